"""Ctrl-C and SIGTERM to a headless lightprof stop it (exit 130) and every process its target started."""

from __future__ import annotations

import signal
import textwrap
import time
from pathlib import Path

from tests.headless_support import (
    SERVE_FOREVER,
    free_port,
    headless_in_own_session,
    processes_running,
    read_pids,
    still_alive,
)

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
""" + SERVE_FOREVER


def wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} was never written")
        time.sleep(0.02)


def server_profile(tmp_path: Path, *, ignore_term: bool) -> tuple[Path, Path, Path]:
    """A 50-run server profile; return it and the files the server and its child write their pids to."""
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
    return profile, pidfile, childfile


def interrupt_and_check(tmp_path: Path, sig: signal.Signals, *, ignore_term: bool = False) -> None:
    profile, pidfile, childfile = server_profile(tmp_path, ignore_term=ignore_term)
    with headless_in_own_session(tmp_path, profile=profile) as proc:
        wait_for(pidfile)
        wait_for(childfile)
        time.sleep(0.1)  # let it get into the middle of a run
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=20)
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
