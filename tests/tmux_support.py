"""A private tmux server for end-to-end tests that drive `lightprof` in a real terminal."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class Tmux:
    """One private tmux server (its own socket), so the test never touches a user's sessions."""

    def __init__(self) -> None:
        self.socket = f"lightprof-test-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=check, timeout=10)

    def start_lightprof(self, cwd: Path, args: list[str], size: tuple[int, int] = (120, 40)) -> None:
        """`python -m lightprof ARGS` from this checkout, in `cwd`, in a terminal of `size`."""
        # COLUMNS/LINES (set by some test runners) would override the terminal's own size.
        command = (f"cd {shlex.quote(str(cwd))} && unset COLUMNS LINES && PYTHONPATH={shlex.quote(str(REPO))} "
                   f"exec {shlex.quote(sys.executable)} -m lightprof {shlex.join(args)}")
        self("new-session", "-d", "-s", "ui", "-x", str(size[0]), "-y", str(size[1]), command)
        self("resize-window", "-t", "ui", "-x", str(size[0]), "-y", str(size[1]), check=False)

    def keys(self, *keys: str) -> None:
        """Send each key on its own, as a user types them."""
        for key in keys:
            self("send-keys", "-t", "ui", key)
            time.sleep(0.3)

    def type(self, text: str) -> None:
        """Replace the focused field's text with `text` (typed literally). A dialog just drawn
        focuses its field a moment later (longer on a loaded machine): keys typed before that are
        lost, so the text is typed again until it is on the screen."""
        for _attempt in range(5):
            time.sleep(0.5)
            self("send-keys", "-t", "ui", "C-u")
            self("send-keys", "-t", "ui", "-l", text)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                if text in self.screen():
                    return
                time.sleep(0.1)
            if not text:
                return
        raise AssertionError(f"{text!r} never showed in the focused field:\n{self.screen()}")

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "ui", check=False).stdout

    def wait_for(self, condition: Callable[[str], bool], timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if condition(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"screen never matched; last screen:\n{screen}")
            time.sleep(0.1)

    def wait_text(self, *texts: str, timeout: float = 30.0) -> str:
        return self.wait_for(lambda screen: all(text in screen for text in texts), timeout)

    def press(self, key: str, *texts: str, timeout: float = 30.0) -> str:
        """Press a key whose effect is idempotent (a pane's number) until `texts` show: a key sent
        while a loaded machine is still drawing the last screen has once gone unseen."""
        deadline = time.monotonic() + timeout
        while True:
            self.keys(key)
            try:
                return self.wait_text(*texts, timeout=min(10.0, max(0.0, deadline - time.monotonic())))
            except AssertionError:
                if time.monotonic() >= deadline:
                    raise

    def alive(self) -> bool:
        return self("has-session", "-t", "ui", check=False).returncode == 0

    def quit(self) -> None:
        """q (twice, past an unsaved-budgets warning); the session must end."""
        self.keys("q")
        deadline = time.monotonic() + 20
        while self.alive() and time.monotonic() < deadline:
            if "q again quits" in self.screen():
                self.keys("q")
            time.sleep(0.1)
        assert not self.alive(), "lightprof did not quit on q"

    def kill(self) -> None:
        self("kill-server", check=False)
