"""Cold-start parity: lightprof's median against `hyperfine -N` on the same commands, same run.

Each command is measured in many pairs of short rounds, one of each tool in random order, each
tool a fresh process per round (as a user runs it); the ratio is the median over pairs of
lightprof's median over hyperfine's, so the drift of this shared machine cancels within a pair.
The script also prints the medians over all runs of each tool. The acceptance bar is
|ratio - 1| <= 5% on `true`, `python -S -c pass` and `node -e 0`.

One more command is shown, not judged: a shell writing 4 KiB to stderr. hyperfine sends a
target's stderr to /dev/null; lightprof keeps its last 16 KiB (a pipe drained by a thread) to
show when a run fails, and this line shows what that costs a run that writes.

    python bench/bench_coldstart.py [--runs 50] [--rounds 60] [--only true] [--against PYTHON]

`--against /other/checkout/.venv/bin/python` adds a third tool to every round: lightprof run by
that interpreter (another checkout's editable install), so a change to the run loop is judged
against the code before it in the same paired rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROUND_S = 0.25  # the measured time a round of one tool aims at


def commands() -> dict[str, list[str]]:
    found = {"true": [shutil.which("true") or "true"]}
    # The real interpreter, never a pyenv shim (a bash script costing 150+ ms per start).
    python = os.path.realpath(sys.executable)
    found["python -S -c pass"] = [python, "-S", "-c", "pass"]
    node = shutil.which("node")
    if node:
        found["node -e 0"] = [os.path.realpath(node), "-e", "0"]
    return found


# Shown beside the judged commands: what keeping a tail of stderr costs a run that writes some.
SHOWN_ONLY = {"sh: 4 KiB to stderr": ["/bin/sh", "-c", "printf '%4096s' x >&2"]}


def hyperfine_times(argv: list[str], runs: int, warmup: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "h.json"
        subprocess.run(
            ["hyperfine", "-N", "--style", "none", "--runs", str(runs), "--warmup", str(warmup),
             "--export-json", str(out), shlex.join(argv)],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return [float(t) for t in json.loads(out.read_text())["results"][0]["times"]]


def lightprof_times(argv: list[str], runs: int, warmup: int, python: str = sys.executable) -> list[float]:
    """One round of `lightprof --headless` in a fresh process, as hyperfine runs in one: both tools
    start cold each round, so neither gains from a warm process the other lacks."""
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "lightprof.toml"
        profile.write_text(
            f"version = 1\nname = \"parity\"\n[[target]]\nname = \"t\"\ncommand = {json.dumps(argv)}\n"
            f"runs = {runs}\nwarmup = {warmup}\nmax_runs = {runs}\n"
        )
        done = subprocess.run([python, "-m", "lightprof", "--headless", "-p", str(profile), "--json", "-"],
                              capture_output=True, text=True, cwd=tmp)
        if done.returncode != 0:
            raise SystemExit(f"lightprof could not measure {argv}: {done.stderr.strip()}")
        runs_data = json.loads(done.stdout)["targets"][0]["runs"]
    return [r["ready_s"] for r in runs_data if not r["warmup"] and not r.get("memory_run") and r["ready_s"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50,
                        help=f"runs per round at most (fewer for slower commands: rounds of ~{ROUND_S} s)")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--only", action="append", help="measure only this command label (repeatable)")
    parser.add_argument("--against", metavar="PYTHON",
                        help="also time lightprof as run by this interpreter (another checkout), in the same rounds")
    args = parser.parse_args()
    if not shutil.which("hyperfine"):
        print("hyperfine is not installed (apt-get install hyperfine)", file=sys.stderr)
        return 2
    print(f"{'command':<20} {'hyperfine -N':>12} {'lightprof':>12} {'ratio':>8}   per-round ratios: "
          "quartiles, and the pooled medians' ratio")
    other = (lambda argv, runs, warmup: lightprof_times(argv, runs, warmup, args.against)) if args.against else None
    worst = 0.0
    order = random.Random(1)
    for label, argv in {**commands(), **SHOWN_ONLY}.items():
        if args.only and label not in args.only:
            continue
        # One round of each, not counted: first runs pay for page faults and cold caches.
        first = hyperfine_times(argv, 5, args.warmup)
        lightprof_times(argv, 5, args.warmup)
        # Rounds of about the same length (ROUND_S) for every command, at most --runs runs: a
        # round of five 10 ms runs is over before a burst of the neighbours' load is.
        runs = max(5, min(args.runs, int(ROUND_S / statistics.median(first))))
        hyper: list[float] = []
        light: list[float] = []
        ratios = []
        against: list[float] = []  # this checkout's median over the other's, per round
        other_ratios = []  # the other checkout's median over hyperfine's, per round
        for _ in range(args.rounds):
            # A pair of short rounds, in random order: this shared machine's speed drifts by ±25%
            # within seconds, and a ratio of two neighbouring rounds cancels most of that drift.
            tools = [("h", hyperfine_times), ("l", lightprof_times)] + ([("a", other)] if other else [])
            order.shuffle(tools)
            got = {key: measure(argv, runs, args.warmup) for key, measure in tools}
            hyper += got["h"]
            light += got["l"]
            ratios.append(statistics.median(got["l"]) / statistics.median(got["h"]))
            if other:
                against.append(statistics.median(got["l"]) / statistics.median(got["a"]))
                other_ratios.append(statistics.median(got["a"]) / statistics.median(got["h"]))
        h, lp = statistics.median(hyper), statistics.median(light)
        ratio = statistics.median(ratios)
        if label not in SHOWN_ONLY:
            worst = max(worst, abs(ratio - 1))
        q1, _q2, q3 = statistics.quantiles(ratios, n=4)
        print(f"{label:<20} {h * 1e3:>9.3f} ms {lp * 1e3:>9.3f} ms {ratio:>8.3f}   "
              f"{q1:.3f} … {q3:.3f}, pooled {lp / h:.3f} · {args.rounds} rounds of {runs} runs")
        if other:
            a1, _a2, a3 = statistics.quantiles(against, n=4)
            print(f"{'':<20} --against: its ratio to hyperfine {statistics.median(other_ratios):.3f}; "
                  f"this checkout over it {statistics.median(against):.3f} ({a1:.3f} … {a3:.3f})")
    print(f"largest deviation from hyperfine of the judged commands (median of paired-round ratios): "
          f"{worst * 100:.1f}% (bar: 5%)")
    return 0 if worst <= 0.05 else 1


if __name__ == "__main__":
    raise SystemExit(main())
