"""Ctrl-C and SIGTERM to a headless lightprof stop it (exit 130) and every process its target started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable
from pathlib import Path

import psutil

PY = sys.executable
EXIT_INTERRUPTED = 130

# A server that starts one child, records both pids (appending, one run per line), then listens.
# With `ignore_term` both ignore SIGTERM, so only lightprof's SIGKILL after the grace period ends them.
SERVER = """
import os, signal, socket, subprocess, sys, time
port, pidfile, childfile, ignore_term = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "1"
if ignore_term:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child_code = (
    "import signal, sys, time\\n"
    "if sys.argv[1] == '1':\\n"
    "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\\n"
    "time.sleep(120)\\n"
)
kid = subprocess.Popen([sys.executable, "-c", child_code, sys.argv[4], childfile])
with open(childfile, "a") as f:
    f.write(f"{kid.pid}\\n")
with open(pidfile, "a") as f:
    f.write(f"{os.getpid()}\\n")
time.sleep(0.05)
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", port))
sock.listen()
while True:
    conn, _ = sock.accept()
    conn.close()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_pids(path: Path) -> list[int]:
    return [int(word) for word in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def still_alive(pids: Iterable[int], within: float = 5.0) -> list[int]:
    """The pids still alive after waiting up to `within` seconds for them to go."""
    deadline = time.monotonic() + within
    left = [pid for pid in pids if alive(pid)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [pid for pid in left if alive(pid)]
    return left


def processes_running(marker: str) -> list[int]:
    """Live processes whose command line mentions `marker`."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and any(marker in a for a in proc.info["cmdline"] or ()):
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found


def wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} was never written")
        time.sleep(0.02)


def start_lightprof(tmp_path: Path, *, ignore_term: bool) -> tuple[subprocess.Popen[str], Path, Path, Path]:
    """Start a headless lightprof (own session) on a 50-run server profile; return it and its files."""
    port = free_port()
    script = tmp_path / "server.py"
    script.write_text(textwrap.dedent(SERVER).lstrip(), encoding="utf-8")
    pidfile, childfile = tmp_path / "server.pids", tmp_path / "child.pids"
    argv = ["{python}", str(script), str(port), str(pidfile), str(childfile), "1" if ignore_term else "0"]
    profile = tmp_path / "lightprof.toml"
    profile.write_text(
        "version = 1\n"
        'name = "signals"\n'
        "[[target]]\n"
        'name = "server"\n'
        "command = [" + ", ".join(f'"{a}"' for a in argv) + "]\n"
        f"ready = {{ port = {port} }}\n"
        "runs = 50\n"
        "warmup = 0\n"
        'grace = "0.5s"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    proc = subprocess.Popen(
        [PY, "-m", "lightprof", "--headless", "-p", str(profile)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    return proc, script, pidfile, childfile


def interrupt_and_check(tmp_path: Path, sig: signal.Signals, *, ignore_term: bool = False) -> None:
    proc, _script, pidfile, childfile = start_lightprof(tmp_path, ignore_term=ignore_term)
    try:
        wait_for(pidfile)
        wait_for(childfile)
        time.sleep(0.1)  # let it get into the middle of a run
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:  # lightprof hung: clean up what this test started, then fail
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == EXIT_INTERRUPTED, stdout + stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    pids = read_pids(pidfile) + read_pids(childfile)
    assert len(pids) >= 2
    assert len(read_pids(pidfile)) < 50, "lightprof finished before the signal arrived"
    assert still_alive(pids) == []
    assert processes_running(str(tmp_path)) == []


def test_sigint_stops_lightprof_with_130_and_kills_server_and_child(tmp_path: Path) -> None:
    interrupt_and_check(tmp_path, signal.SIGINT)


def test_sigterm_stops_lightprof_with_130_and_kills_server_and_child(tmp_path: Path) -> None:
    interrupt_and_check(tmp_path, signal.SIGTERM)


def test_interrupt_kills_targets_that_ignore_sigterm(tmp_path: Path) -> None:
    interrupt_and_check(tmp_path, signal.SIGINT, ignore_term=True)
