"""End to end in a real terminal: `lightprof -- python3 -c pass` inside tmux, driven by send-keys."""

from __future__ import annotations

import shlex
import shutil
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
        assert "Cold start" in first and "Memory" in first and "Budgets" in first

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
