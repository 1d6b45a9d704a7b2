"""Targets that misbehave: every wait ends by the timeout, floods stay bounded, nothing is left.

Real servers on 127.0.0.1 that trickle their answer, a target that closes its stdout, one that
floods stderr, and a headless lightprof killed with SIGKILL while it measures a server tree.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from lightprof.measure.target.runner import measure_target
from lightprof.profile.spec import TargetSpec
from tests.headless_support import (
    LISTEN,
    free_port,
    headless_argv,
    headless_env,
    headless_in_own_session,
    load_report,
    only_target,
    output_of,
    read_pids,
    still_alive,
    target_profile,
    write,
)

MiB = 2**20


def _headless_watched(cwd: Path, profile: Path, watch: Callable[[psutil.Popen], None]) -> tuple[int, str, str]:
    """Run `lightprof --headless -p profile` to its end (60 s at most), calling `watch` on its
    process every 50 ms meanwhile; its exit code, stdout and stderr."""
    lightprof = psutil.Popen(headless_argv(profile), cwd=cwd, env=headless_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while lightprof.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(psutil.Error):  # it may end between poll and watch
                watch(lightprof)
            time.sleep(0.05)
        stdout, stderr = lightprof.communicate(timeout=30)
    finally:
        if lightprof.poll() is None:
            lightprof.kill()
            lightprof.wait()
    return lightprof.returncode, stdout, stderr


# A server that accepts, reads the request, then answers one byte every 0.5 s: either a status
# line that never ends ("status") or a proper status line followed by an endless body ("body").
TRICKLING_SERVER = """
import os, socket, sys, threading, time
mode, port, pidfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(pidfile, "a") as f:
    f.write(f"{os.getpid()}\\n")
def serve(conn):
    try:
        conn.recv(4096)
        head = b"" if mode == "status" else b"HTTP/1.1 200 OK\\r\\nContent-Length: 100000\\r\\n\\r\\n"
        conn.sendall(head)
        text = b"HTTP/1.1 200 " + b"O" * 100000 if mode == "status" else b"x" * 100000
        for byte in text:
            conn.sendall(bytes([byte]))
            time.sleep(0.5)
    except OSError:
        pass
""" + LISTEN + """
while True:
    conn, _ = sock.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""


def run_timed(tmp_path: Path, profile: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run headless lightprof; return it and its wall time."""
    started = time.monotonic()
    proc = subprocess.Popen(headless_argv(profile, *args), cwd=tmp_path, env=headless_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    wall = time.monotonic() - started
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), wall


def _trickling(tmp_path: Path, mode: str, runs: int) -> tuple[Path, Path]:
    """A profile whose target is TRICKLING_SERVER in `mode`, ready when it answers (3 s at most);
    the file its pids go to."""
    port = free_port()
    script = write(tmp_path / "trickle.py", TRICKLING_SERVER)
    pidfile = tmp_path / "pids"
    profile = target_profile(
        tmp_path, ["{python}", str(script), mode, str(port), str(pidfile)],
        ready=f'{{ http = "http://127.0.0.1:{port}/" }}', runs=runs, extra='timeout = "3s"\n',
    )
    return profile, pidfile


def test_a_status_line_trickling_in_ends_by_the_timeout(tmp_path: Path) -> None:
    profile, pidfile = _trickling(tmp_path, "status", runs=2)

    proc, wall = run_timed(tmp_path, profile)

    assert proc.returncode == 3, output_of(proc)
    assert "never became ready" in output_of(proc) and "within 3.000 s" in output_of(proc)
    # One run, stopped at its timeout (it once blocked for minutes); start-up and stop on top.
    assert wall < 20, wall
    assert still_alive(read_pids(pidfile)) == []


def test_a_body_trickling_in_does_not_hold_the_probe(tmp_path: Path) -> None:
    profile, pidfile = _trickling(tmp_path, "body", runs=3)

    proc, wall = run_timed(tmp_path, profile, "--json", "out.json")

    assert proc.returncode == 0, output_of(proc)
    target = only_target(load_report(tmp_path / "out.json"))
    assert all(run["error"] is None and run["ready_s"] < 3 for run in target["runs"])
    assert wall < 60, wall
    assert still_alive(read_pids(pidfile)) == []


CLOSES_STDOUT = """
import os, sys, time
with open(sys.argv[1], "a") as f:
    f.write(f"{os.getpid()}\\n")
os.close(1)
os.close(2)
time.sleep(60)
"""


def test_a_target_that_closes_its_stdout_does_not_make_lightprof_spin(tmp_path: Path) -> None:
    script = write(tmp_path / "closes.py", CLOSES_STDOUT)
    pidfile = tmp_path / "pids"
    profile = target_profile(
        tmp_path, ["{python}", str(script), str(pidfile)], ready='{ stdout = "never printed" }', runs=1,
        extra='timeout = "3s"\n',
    )
    cpu = 0.0

    def watch(lightprof: psutil.Popen) -> None:
        nonlocal cpu  # lightprof's own CPU time, read until just before it ends (a spin showed 2 CPU-s in 3 s)
        times = lightprof.cpu_times()
        cpu = times.user + times.system

    code, stdout, stderr = _headless_watched(tmp_path, profile, watch)
    assert code == 3, stdout + stderr
    assert "never became ready" in stdout
    assert cpu < 1.5, f"lightprof used {cpu:.2f} CPU-s waiting 3 s for a target with a closed stdout"
    assert still_alive(read_pids(pidfile)) == []


def test_a_stderr_flood_stays_bounded_on_disk_and_in_memory(tmp_path: Path) -> None:
    profile = target_profile(tmp_path, "yes lightprof-flood >&2", runs=1, extra='timeout = "3s"\n')
    spool = Path(tempfile.gettempdir())
    free_before = shutil.disk_usage(spool).free
    peak_rss = 0
    least_free = free_before

    def watch(lightprof: psutil.Popen) -> None:
        nonlocal peak_rss, least_free
        least_free = min(least_free, shutil.disk_usage(spool).free)
        peak_rss = max(peak_rss, lightprof.memory_info().rss)

    code, stdout, stderr = _headless_watched(tmp_path, profile, watch)
    assert code == 3, stdout + stderr
    assert "timed out after 3.000 s" in stdout
    assert "lightprof-flood" in stdout  # the tail of what it wrote is shown
    # It wrote gigabytes in 3 s; an unbounded spool grew /tmp by 4.9 GiB in 9.5 s. Other tests on
    # this machine may write too, so the disk bound is loose; lightprof itself keeps a 16 KiB tail.
    assert free_before - least_free < 256 * MiB
    assert peak_rss < 150 * MiB


def test_a_missing_working_directory_is_said_as_such(tmp_path: Path) -> None:
    profile = target_profile(tmp_path, ["true"], extra='cwd = "no-such-folder"\n')

    proc, _wall = run_timed(tmp_path, profile)

    assert proc.returncode == 3, output_of(proc)
    assert f"working directory {tmp_path / 'no-such-folder'} does not exist" in proc.stdout
    assert "command not found" not in output_of(proc)
    assert "Traceback" not in output_of(proc)


def test_nul_bytes_and_bad_variable_names_reaching_the_engine_are_sentences(tmp_path: Path) -> None:
    for command, env, expected in (
        (("tr\0ue",), {}, "its command holds a NUL byte"),
        (("true",), {"A=B": "1"}, "the environment variable name 'A=B' is not valid"),
        (("true",), {"A": "x\0y"}, "the environment variable A holds a NUL byte"),
    ):
        spec = TargetSpec(name="t", command=command, cwd=tmp_path, env=env, runs=1, warmup=0)
        result = measure_target(spec)
        assert result.error is not None and expected in result.error, result.error
        assert result.runs == []


# A server (Python http.server) that forks one child, starts another that calls setsid and a third
# with an empty environment, and records all four pids: the tree a SIGKILLed lightprof must not leak.
SERVER_TREE = """
import http.server, os, subprocess, sys
port, pidfile = int(sys.argv[1]), sys.argv[2]
sleeper = "import time; time.sleep(300)"
child = subprocess.Popen([sys.executable, "-c", sleeper])
escapee = subprocess.Popen([sys.executable, "-c", "import os; os.setsid(); " + sleeper])
scrubbed = subprocess.Popen([sys.executable, "-c", sleeper], env={})
with open(pidfile, "a") as f:
    f.write(f"{os.getpid()} {child.pid} {escapee.pid} {scrubbed.pid}\\n")
http.server.ThreadingHTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler).serve_forever()
"""


def test_sigkill_of_lightprof_leaves_nothing_of_the_target_tree(tmp_path: Path) -> None:
    port = free_port()
    script = write(tmp_path / "server_tree.py", SERVER_TREE)
    pidfile = tmp_path / "pids"
    # One timed run, then the memory run holds its server tree for 30 s: lightprof is killed then.
    profile = target_profile(
        tmp_path, ["{python}", str(script), str(port), str(pidfile)],
        ready=f'{{ http = "http://127.0.0.1:{port}/" }}', runs=1, extra='hold = "30s"\ntimeout = "60s"\n',
    )
    lightprof = subprocess.Popen(headless_argv(profile), cwd=tmp_path, env=headless_env(),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    seen: dict[int, float] = {}
    try:
        deadline = time.monotonic() + 60
        while len(pidfile.read_text().splitlines() if pidfile.exists() else []) < 2:
            assert lightprof.poll() is None, "lightprof ended before it was killed"
            assert time.monotonic() < deadline, "the memory run's server tree never started"
            time.sleep(0.02)
        held = [int(word) for word in pidfile.read_text().splitlines()[1].split()]
        wait_answering(port, deadline)
        for pid in held:
            seen[pid] = psutil.Process(pid).create_time()  # all four alive, mid-hold
        lightprof.send_signal(signal.SIGKILL)
        lightprof.wait()
        left = still_alive_same(seen, within=5.0)
        assert left == [], f"still running 5 s after lightprof was killed: {left}"
    finally:
        if lightprof.poll() is None:
            lightprof.kill()
            lightprof.wait()
        for pid in read_pids(pidfile):  # clean up even when the test failed
            with contextlib.suppress(psutil.Error):
                if pid in seen and psutil.Process(pid).create_time() == seen[pid]:
                    psutil.Process(pid).kill()


def wait_answering(port: int, deadline: float) -> None:
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        assert time.monotonic() < deadline, "the held server never answered"
        time.sleep(0.02)


def still_alive_same(seen: dict[int, float], within: float) -> list[int]:
    """The processes of `seen` (pid -> create_time) still running after up to `within` seconds."""

    def running(pid: int, created: float) -> bool:
        try:
            proc = psutil.Process(pid)
            return proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    deadline = time.monotonic() + within
    left = [pid for pid, created in seen.items() if running(pid, created)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [pid for pid in left if running(pid, seen[pid])]
    return left


def test_the_watchdog_does_not_outlive_a_normal_run(tmp_path: Path) -> None:
    profile = target_profile(tmp_path, ["true"], runs=2)
    before = set(watchdogs())

    proc, _wall = run_timed(tmp_path, profile)

    assert proc.returncode == 0, output_of(proc)
    deadline = time.monotonic() + 5
    while set(watchdogs()) - before:
        assert time.monotonic() < deadline, "a watchdog outlived its lightprof"
        time.sleep(0.05)


def watchdogs() -> list[int]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if any(part.endswith("_watchdog.py") for part in proc.info["cmdline"] or ()):
                found.append(proc.pid)
    return found


def test_sigterm_during_a_long_exit_run_stops_it_at_once(tmp_path: Path) -> None:
    # An exit run waits in a blocking wait4; a signal must still end it (and its target) promptly.
    script = write(tmp_path / "sleeper.py", "import os, sys, time\nopen(sys.argv[1], 'a').write(f'{os.getpid()}\\n')\n"
                                            "time.sleep(120)\n")
    pidfile = tmp_path / "pids"
    profile = target_profile(tmp_path, ["{python}", str(script), str(pidfile)], runs=1, extra='timeout = "100s"\n')
    with headless_in_own_session(tmp_path, profile=profile) as lightprof:
        deadline = time.monotonic() + 60
        while not read_pids(pidfile):
            assert lightprof.poll() is None and time.monotonic() < deadline, "the target never started"
            time.sleep(0.02)
        lightprof.send_signal(signal.SIGTERM)
        _stdout, stderr = lightprof.communicate(timeout=30)
    assert lightprof.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert still_alive(read_pids(pidfile)) == []
