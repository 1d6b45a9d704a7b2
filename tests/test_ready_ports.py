"""A ready port held by someone else is never timed as the target (issue: a leftover server).

Real listeners squat the target's port: a Python `http.server`, a Node `net` server, and one that
starts listening only once the target is running.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lightprof.measure.target.coldstart import _check_answer
from lightprof.measure.target.process import Spawner
from lightprof.measure.target.ready import PortProbe
from tests.headless_support import (
    HTTP_SERVER,
    free_port,
    load_report,
    only_target,
    output_of,
    read_pids,
    run_lightprof,
    still_alive,
    target_profile,
    write,
)

NODE = shutil.which("node")


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, "the squatter died"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            assert time.monotonic() < deadline, "the squatter never listened"
            time.sleep(0.05)


def squat(argv: list[str], port: int) -> subprocess.Popen[bytes]:
    squatter = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, squatter)
    except BaseException:
        squatter.kill()
        squatter.wait()
        raise
    return squatter


def python_squatter(port: int) -> list[str]:
    return [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]


def node_squatter(port: int) -> list[str]:
    assert NODE is not None
    return [NODE, "-e", f"require('net').createServer(s => s.end()).listen({port}, '127.0.0.1')"]


SQUATTERS = [
    pytest.param(python_squatter, id="python-http.server"),
    pytest.param(node_squatter, id="node-net", marks=pytest.mark.skipif(NODE is None, reason="node is not installed")),
]


@pytest.mark.parametrize("squatter", SQUATTERS)
@pytest.mark.parametrize("ready_kind", ["port", "http"])
def test_a_port_held_before_the_spawn_is_exit_3_naming_port_and_holder_with_no_run(
    tmp_path: Path, squatter, ready_kind: str  # noqa: ANN001 - a parametrized function
) -> None:
    port = free_port()
    script = write(tmp_path / "http_server.py", HTTP_SERVER)
    pidfile = tmp_path / "pids"
    ready = f"{{ port = {port} }}" if ready_kind == "port" else f'{{ http = "http://127.0.0.1:{port}/health" }}'
    profile = target_profile(tmp_path, ["{python}", str(script), str(port), str(pidfile)], ready=ready, runs=3)
    holder = squat(squatter(port), port)
    try:
        proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)
        assert holder.poll() is None, "lightprof must not stop a process that is not its target's"
    finally:
        holder.kill()
        holder.wait()

    assert proc.returncode == 3, output_of(proc)
    assert "Traceback" not in output_of(proc)
    target = only_target(load_report(tmp_path / "out.json"))
    assert target["runs"] == []
    assert read_pids(pidfile) == [], "the target was started although its port was taken"
    assert f"port {port}" in target["error"]
    assert f"pid {holder.pid}" in target["error"]
    assert f"ready port {port} on 127.0.0.1 is already in use by pid {holder.pid}" in proc.stdout


# A target that asks the test to start listening on its port (by writing a file), then waits.
ASKS_OTHERS_TO_LISTEN = """
import os, sys, time
pidfile, request = sys.argv[1], sys.argv[2]
with open(pidfile, "a") as f:
    f.write(f"{os.getpid()}\\n")
open(request, "w").close()
time.sleep(60)
"""


def listen_when_asked(port: int, request: Path, stop: threading.Event) -> None:
    """In this (the test's) process: listen on `port` once `request` exists, until `stop`."""
    while not request.exists():
        if stop.wait(0.01):
            return
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen()
        sock.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            conn.close()


def test_a_probe_answered_by_a_process_outside_the_target_is_a_failed_run(tmp_path: Path) -> None:
    port = free_port()
    script = write(tmp_path / "asks.py", ASKS_OTHERS_TO_LISTEN)
    pidfile, request = tmp_path / "pids", tmp_path / "listen-now"
    profile = target_profile(
        tmp_path, ["{python}", str(script), str(pidfile), str(request)], ready=f"{{ port = {port} }}", runs=3,
        extra='timeout = "20s"\n',
    )
    stop = threading.Event()
    listener = threading.Thread(target=listen_when_asked, args=(port, request, stop), daemon=True)
    listener.start()
    try:
        proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)
    finally:
        stop.set()
        listener.join(timeout=5)

    assert proc.returncode == 3, output_of(proc)
    target = only_target(load_report(tmp_path / "out.json"))
    [run] = target["runs"]
    assert run["ready_s"] is None
    assert f"port {port} answered, but it is held by pid {os.getpid()}" in run["error"]
    assert "not by the target" in run["error"]
    assert still_alive(read_pids(pidfile)) == []


def test_a_probe_answered_after_the_target_exited_names_who_answered(tmp_path: Path) -> None:
    port = free_port()
    spawner = Spawner(["true"], str(tmp_path), {}, capture_output=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        try:
            launched = spawner.launch()
            deadline = time.monotonic() + 20
            while not launched.wait_exit(0.05):
                assert time.monotonic() < deadline
            probe = PortProbe("127.0.0.1", port)
            assert probe()
            error, exit_info, _end = _check_answer(probe, launched, f"port 127.0.0.1:{port}")
        finally:
            spawner.close()
    assert exit_info is not None and exit_info.code == 0
    assert error is not None and error.startswith(
        f"exited with code 0 before it became ready (port 127.0.0.1:{port}): the probe was answered "
        f"by pid {os.getpid()} ("
    )
