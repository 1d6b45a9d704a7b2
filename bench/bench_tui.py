"""How responsive the TUI is, measured in a real terminal (tmux) on this machine.

1. Launch to first paint: `python -m lightprof -- python -c pass` started in a fresh tmux pane,
   timed until its first screen (the "press r to start runs" line) is on the pane.
2. Key response while a run streams samples: a target cold-started back to back (a run every
   ~15 ms, so results and progress stream as fast as the engine produces them), keys pressed with
   `tmux send-keys`, each timed until its effect is on the screen (tab switches and runs +5).

Targets: first paint ≤ 400 ms (median), key response while runs stream ≤ 60 ms (p95).
Run: `.venv/bin/python bench/bench_tui.py [--repeat 5] [--keys 30]`.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
POLL_S = 0.002


class Tmux:
    def __init__(self) -> None:
        self.socket = f"lightprof-bench-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True)
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "ui")

    def until(self, condition: Callable[[str], bool], timeout: float = 30.0) -> float:
        """Poll the pane until `condition` holds; return the monotonic time it was first seen."""
        deadline = time.monotonic() + timeout
        while True:
            if condition(self.screen()):
                return time.monotonic()
            if time.monotonic() > deadline:
                raise TimeoutError(f"screen never matched:\n{self.screen()}")
            time.sleep(POLL_S)

    def close(self) -> None:
        self("kill-server")


def launch_command(cwd: Path, lightprof_args: str) -> str:
    # COLUMNS/LINES (set by some runners) would override the terminal's own size.
    return (f"cd {shlex.quote(str(cwd))} && unset COLUMNS LINES && PYTHONPATH={shlex.quote(str(REPO))} "
            f"exec {shlex.quote(sys.executable)} -m lightprof {lightprof_args}")


def first_paint(repeat: int, cwd: Path) -> list[float]:
    times = []
    for _ in range(repeat):
        tmux = Tmux()
        try:
            args = f"-- {shlex.quote(sys.executable)} -c pass"
            start = time.monotonic()
            tmux("new-session", "-d", "-s", "ui", "-x", "120", "-y", "40",
                 launch_command(cwd, args))
            seen = tmux.until(lambda s: "press r to start runs" in s)
            times.append(seen - start)
        finally:
            tmux.close()
    return times


def key_response(presses: int, cwd: Path, stream: bool) -> tuple[dict[str, list[float]], int, int]:
    """Seconds from send-keys to the effect on screen, by key; plus runs done before and after.

    With `stream` False the same keys are pressed with nothing running: the difference between the
    two is what streaming samples costs the UI (the rest is tmux and the terminal).
    """
    profile = cwd / "lightprof.toml"
    profile.write_text(
        'version = 1\nname = "bench"\n\n[[target]]\nname = "stream"\n'
        f"command = [{sys.executable!r}, \"-c\", \"pass\"]\nruns = 100000\nwarmup = 0\n"
        "max_runs = 100000\n"
    )
    tmux = Tmux()
    latencies: dict[str, list[float]] = {}
    try:
        tmux("new-session", "-d", "-s", "ui", "-x", "120", "-y", "40",
             launch_command(cwd, f"-p {shlex.quote(str(profile))}"))
        tmux.until(lambda s: "press r to start runs" in s)
        if stream:
            tmux("send-keys", "-t", "ui", "r")
            tmux.until(lambda s: "running" in s)
            time.sleep(1.0)  # let the stream settle in
        runs_before = _runs_done(tmux.screen())
        runs = 100000
        for i in range(presses):
            # A cycle that always has a visible effect: runs +5 on the cold-start tab, then to the
            # memory tab and back.
            if i % 3 == 0:
                runs += 5
                key, expect = "+", f"runs {runs} "
            else:
                key, expect = ("2", "resident memory") if i % 3 == 1 else ("1", "ready exit")
            start = time.monotonic()
            tmux("send-keys", "-t", "ui", key)
            seen = tmux.until(lambda s, e=expect: e in s, timeout=5)
            latencies.setdefault(key, []).append(seen - start)
            time.sleep(0.05)
        tmux("send-keys", "-t", "ui", "1")
        time.sleep(0.3)
        runs_after = _runs_done(tmux.screen())
        tmux("send-keys", "-t", "ui", "q")
    finally:
        tmux.close()
    return latencies, runs_before, runs_after


def _describe(label: str, by_key: dict[str, list[float]]) -> float:
    """Print the response figures of one session, per key and overall; return the p95."""
    every = sorted(t for times in by_key.values() for t in times)
    names = {"+": "runs +5", "1": "tab 1", "2": "tab 2"}
    per_key = ", ".join(f"{names.get(k, k)} {statistics.median(v) * 1e3:.0f}/{max(v) * 1e3:.0f}"
                        for k, v in sorted(by_key.items()))
    print(f"key response {label} (n={len(every)}): median {statistics.median(every) * 1e3:.0f} ms, "
          f"p95 {every[int(0.95 * (len(every) - 1))] * 1e3:.0f} ms, max {every[-1] * 1e3:.0f} ms"
          f"   [median/max ms by key: {per_key}]")
    return every[int(0.95 * (len(every) - 1))]


def _runs_done(screen: str) -> int:
    for token in screen.split():
        if "/" in token and token.split("/")[0].isdigit():
            return int(token.split("/")[0])
    return -1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="launches to time")
    parser.add_argument("--keys", type=int, default=30, help="key presses to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        paint = first_paint(args.repeat, cwd)
        idle, _, _ = key_response(args.keys, cwd, stream=False)
        keys, before, after = key_response(args.keys, cwd, stream=True)
    print(f"first paint   (n={len(paint)}): median {statistics.median(paint) * 1e3:.0f} ms, "
          f"min {min(paint) * 1e3:.0f} ms, max {max(paint) * 1e3:.0f} ms   (target: median ≤ 400 ms)")
    _describe("idle     ", idle)
    p95 = _describe("streaming", keys)
    print(f"while streaming: runs done {before} → {after} during the key presses (target: p95 ≤ 60 ms)")
    print("(each figure includes tmux's own send-keys and capture-pane round trip, ~2-5 ms)")
    return 0 if statistics.median(paint) <= 0.4 and p95 <= 0.06 else 1


if __name__ == "__main__":
    raise SystemExit(main())
