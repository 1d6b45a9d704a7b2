"""End to end in a real terminal: `lightprof -- python3 -c pass` inside tmux, driven by send-keys."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.tmux_support import Tmux

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def test_lightprof_runs_an_adhoc_command_in_a_real_terminal(tmp_path: Path, tmux: Tmux) -> None:
    # The venv's interpreter runs lightprof from the checkout; the target is that same python.
    tmux.start_lightprof(tmp_path, ["--", sys.executable, "-c", "pass"])
    first = tmux.wait_text("press r to start runs")
    assert "lightprof" in first and "ad-hoc command" in first
    assert "1 Cold" in first and "2 Mem" in first and "3 Budgets" in first  # full or short tab titles

    tmux.keys("r")
    done = tmux.wait_text("runs · done", timeout=60)
    assert "p50" in done and "p95" in done and "34/34 runs" in done

    memory = tmux.press("2", "resident memory")
    assert "peak" in memory
    tmux.quit()


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
def test_lightprof_ends_with_its_targets_when_the_terminal_closes_or_on_sigterm(
    tmp_path: Path, how: str, tmux: Tmux
) -> None:
    # The profile and the target's script carry a marker, so every process of this test is found.
    marker = f"lightprof-hup-{uuid.uuid4().hex[:8]}"
    script = tmp_path / f"{marker}.py"
    script.write_text("import time\ntime.sleep(0.3)\n")
    profile = tmp_path / f"{marker}.toml"
    profile.write_text(
        'version = 1\nname = "hup"\n[[target]]\nname = "slow"\n'
        f"command = [{sys.executable!r}, {str(script)!r}]\nruns = 1000\nmax_runs = 1000\nwarmup = 0\n"
    )
    tmux.start_lightprof(tmp_path, ["-p", str(profile)])
    tmux.wait_text("press r to start runs")
    if how == "terminal closed at first paint":
        tmux.kill()
        deadline = time.monotonic() + 20
        while _alive(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _alive(marker) == [], "lightprof outlived the terminal"
        return
    tmux.keys("r")
    deadline = time.monotonic() + 20
    while not any(str(script).encode() in cmd for _pid, cmd in _alive(marker)):
        assert time.monotonic() < deadline, "no target run started"
        time.sleep(0.02)
    ui = [pid for pid, cmd in _alive(marker) if b"-m\x00lightprof" in cmd]
    assert len(ui) == 1
    if how == "SIGTERM":
        os.kill(ui[0], signal.SIGTERM)
    else:
        tmux.kill()  # the pty goes away: lightprof gets SIGHUP
    deadline = time.monotonic() + 20
    while _alive(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive(marker) == [], "lightprof or a target outlived the terminal"
