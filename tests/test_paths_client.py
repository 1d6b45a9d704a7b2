"""The pieces under a path: the tree's CPU clock against /proc, and the loopback-only client."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from lightprof.measure.target import proctree
from lightprof.measure.target.paths import treecpu
from lightprof.measure.target.paths.client import Client, run_requests

BURN = r'''
import os, sys, threading, time
def burn(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass
if sys.argv[1] == "parent":
    child = os.fork()
    if child == 0:
        burn(0.3)
        time.sleep(30)
        os._exit(0)
    threads = [threading.Thread(target=burn, args=(0.4,)) for _ in range(2)]
    for t in threads: t.start()
    for t in threads: t.join()
    print("done", flush=True)
    time.sleep(30)
'''


def _proc_ticks_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as handle:
        fields = handle.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not treecpu.available(), reason="needs Linux /proc and per-process CPU clocks")
def test_tree_cpu_counts_every_thread_and_child_as_proc_does_in_finer_steps() -> None:
    proc = subprocess.Popen([sys.executable, "-c", BURN, "parent"], stdout=subprocess.PIPE, text=True)
    pids: list[int] = []
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "done\n"
        time.sleep(0.1)
        pids = [proc.pid, *proctree.children(proc.pid, 2)]
        assert len(pids) == 2
        ours = treecpu.cpu_s(pids)
        ticks = sum(_proc_ticks_s(pid) for pid in pids)
        assert sum(ours.values()) >= 1.05  # two threads of 0.4 s and a child of 0.3 s, plus starting
        assert abs(sum(ours.values()) - ticks) <= 0.03 * len(pids), (ours, ticks)
        later = treecpu.cpu_s(pids)
        assert 0 <= treecpu.delta_s(ours, later) < 0.02  # both sleep now
    finally:
        proc.kill()
        proc.wait()
    for pid in pids[1:]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route's source address
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_a_request_never_leaves_loopback_even_when_a_name_resolves_elsewhere() -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address off loopback to listen on")
    with socket.socket() as listener:
        listener.bind((address, 0))
        listener.listen()
        port = listener.getsockname()[1]
        received: list[bytes] = []

        def accept() -> None:
            listener.settimeout(5)
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    received.append(conn.recv(65536))

        thread = threading.Thread(target=accept)
        thread.start()
        answer = Client(f"http://{address}:{port}/x", timeout=2).request("GET", None, {})
        thread.join()
    assert answer.status is None and answer.failure is not None and "not loopback" in answer.failure
    assert received in ([], [b""])  # the connection was opened and closed: not one byte was sent


def test_the_request_loop_is_bounded_in_time_and_stops_on_a_dead_server() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    # Nothing listens: every connection is refused at once; the loop gives up after a few in a row.
    run = run_requests(f"http://127.0.0.1:{port}/", "GET", None, {}, requests=10_000, warmup=0, concurrency=4,
                       timeout=1.0, max_time=30.0, cancel=threading.Event())
    assert run.stopped_by == "connection" and run.sent < 20
    assert all(a.failure == "connection refused" for a in run.measured)
