"""Ctrl-C while a target is being attributed: exit 130, and neither the target, nor py-spy, nor
a child the target started outlives lightprof."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from attribution_support import profile
from test_signals import free_port, processes_running, read_pids, still_alive, wait_for

from lightprof.errors import EXIT_INTERRUPTED
from tests.headless_support import headless_in_own_session

# Listens at once when timed; in the attribution phase named by argv[3] (the import starts, which
# have PYTHONPROFILEIMPORTTIME, or py-spy's start, whose parent is py-spy) it starts a child and
# never gets ready, so that the interrupt finds it mid-start.
SERVER = """
import os
import socket
import subprocess
import sys
import time

port, pids, phase = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(f"/proc/{os.getppid()}/comm") as parent:
    under_pyspy = parent.read().strip() == "py-spy"
if (phase == "imports" and os.environ.get("PYTHONPROFILEIMPORTTIME")) or (phase == "py-spy" and under_pyspy):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(pids, "a") as out:
        out.write(f"{os.getpid()} {child.pid}\\n")
    time.sleep(600)
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", port))
sock.listen()
while True:
    sock.accept()[0].close()
"""


@pytest.mark.skipif(not Path("/proc/self/comm").exists(), reason="reads /proc/PPID/comm")
@pytest.mark.parametrize("phase", ["imports", "py-spy"])
def test_ctrl_c_during_attribution_stops_everything_with_130(tmp_path: Path, phase: str) -> None:
    port = free_port()
    (tmp_path / "server.py").write_text(SERVER, encoding="utf-8")
    pids = tmp_path / "attributed.pids"
    profile(tmp_path, ["{python}", "server.py", str(port), str(pids), phase],
            extra=f'ready = {{ port = {port} }}\ntimeout = "60s"\ngrace = "0.5s"')
    with headless_in_own_session(tmp_path, "--attribute") as proc:
        wait_for(pids, timeout=120)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)

    assert proc.returncode == EXIT_INTERRUPTED, stdout + stderr
    assert "Traceback" not in stderr
    started = read_pids(pids)
    assert len(started) == 2
    assert still_alive(started) == []
    assert processes_running(str(tmp_path)) == []
