"""End to end in a real terminal: `lightprof -- python3 -c pass` inside tmux, driven by send-keys."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    """One private tmux server (its own socket), so the test never touches a user's sessions."""

    def __init__(self) -> None:
        self.socket = f"lightprof-test-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=check, timeout=10)

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "ui", check=False).stdout

    def wait_for(self, condition: Callable[[str], bool], timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if condition(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"screen never matched; last screen:\n{screen}")
            time.sleep(0.1)

    def alive(self) -> bool:
        return self("has-session", "-t", "ui", check=False).returncode == 0


def test_lightprof_runs_an_adhoc_command_in_a_real_terminal(tmp_path: Path) -> None:
    tmux = Tmux()
    # The venv's interpreter runs lightprof from the checkout; the target is that same python.
    command = (
        f"cd {shlex.quote(str(tmp_path))} && PYTHONPATH={shlex.quote(str(REPO))} "
        f"{shlex.quote(sys.executable)} -m lightprof -- {shlex.quote(sys.executable)} -c pass"
    )
    tmux("new-session", "-d", "-s", "ui", "-x", "120", "-y", "40", command)
    try:
        first = tmux.wait_for(lambda s: "press r to start runs" in s)
        assert "lightprof" in first and "ad-hoc command" in first
        assert "1 Cold" in first and "2 Mem" in first and "3 Budgets" in first  # full or short tab titles

        tmux("send-keys", "-t", "ui", "r")
        done = tmux.wait_for(lambda s: "runs · done" in s, timeout=60)
        assert "p50" in done and "p95" in done and "34/34 runs" in done

        tmux("send-keys", "-t", "ui", "2")
        memory = tmux.wait_for(lambda s: "resident memory" in s)
        assert "peak" in memory

        tmux("send-keys", "-t", "ui", "q")
        deadline = time.monotonic() + 15
        while tmux.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not tmux.alive(), "lightprof did not quit on q"
    finally:
        tmux("kill-server", check=False)



def _alive(marker: str) -> list[tuple[int, bytes]]:
    """(pid, command line) of live processes whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            zombie = "\nState:\tZ" in (entry / "status").read_text()
        except OSError:
            continue
        if marker.encode() in cmdline and not zombie:
            found.append((int(entry.name), cmdline))
    return found


@pytest.mark.parametrize("how", ["terminal closed at first paint", "terminal closed", "SIGTERM"])
def test_lightprof_ends_with_its_targets_when_the_terminal_closes_or_on_sigterm(tmp_path: Path, how: str) -> None:
    # The profile and the target's script carry a marker, so every process of this test is found.
    marker = f"lightprof-hup-{uuid.uuid4().hex[:8]}"
    script = tmp_path / f"{marker}.py"
    script.write_text("import time\ntime.sleep(0.3)\n")
    profile = tmp_path / f"{marker}.toml"
    profile.write_text(
        'version = 1\nname = "hup"\n[[target]]\nname = "slow"\n'
        f"command = [{sys.executable!r}, {str(script)!r}]\nruns = 1000\nmax_runs = 1000\nwarmup = 0\n"
    )
    tmux = Tmux()
    tmux("new-session", "-d", "-s", "ui", "-x", "120", "-y", "40",
         f"cd {shlex.quote(str(tmp_path))} && PYTHONPATH={shlex.quote(str(REPO))} "
         f"exec {shlex.quote(sys.executable)} -m lightprof -p {shlex.quote(str(profile))}")
    try:
        tmux.wait_for(lambda s: "press r to start runs" in s)
        if how == "terminal closed at first paint":
            tmux("kill-server", check=False)
            deadline = time.monotonic() + 20
            while _alive(marker) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _alive(marker) == [], "lightprof outlived the terminal"
            return
        tmux("send-keys", "-t", "ui", "r")
        deadline = time.monotonic() + 20
        while not any(str(script).encode() in cmd for _pid, cmd in _alive(marker)):
            assert time.monotonic() < deadline, "no target run started"
            time.sleep(0.02)
        ui = [pid for pid, cmd in _alive(marker) if b"-m\x00lightprof" in cmd]
        assert len(ui) == 1
        if how == "SIGTERM":
            os.kill(ui[0], signal.SIGTERM)
        else:
            tmux("kill-server", check=False)  # the pty goes away: lightprof gets SIGHUP
        deadline = time.monotonic() + 20
        while _alive(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _alive(marker) == [], "lightprof or a target outlived the terminal"
    finally:
        tmux("kill-server", check=False)
