"""Cold-start parity: lightprof's median against `hyperfine -N` on the same commands, same run.

Each command is measured in alternating rounds (hyperfine, lightprof, hyperfine, ...) so that
machine drift hits both tools alike; the script prints both medians and their ratio. The
acceptance bar is |ratio - 1| <= 5%.

    python bench/bench_coldstart.py [--runs 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from lightprof.measure.engine import measure_target
from lightprof.profile import TargetSpec


def commands() -> dict[str, list[str]]:
    found = {"true": [shutil.which("true") or "true"]}
    # The real interpreter, never a pyenv shim (a bash script costing 150+ ms per start).
    python = os.path.realpath(sys.executable)
    found["python3 -c pass"] = [python, "-c", "pass"]
    node = shutil.which("node")
    if node:
        found["node -e 0"] = [os.path.realpath(node), "-e", "0"]
    return found


def hyperfine_median(argv: list[str], runs: int, warmup: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "h.json"
        subprocess.run(
            ["hyperfine", "-N", "--style", "none", "--runs", str(runs), "--warmup", str(warmup),
             "--export-json", str(out), " ".join(argv)],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return float(json.loads(out.read_text())["results"][0]["median"])


def lightprof_median(argv: list[str], runs: int, warmup: int) -> float:
    spec = TargetSpec(name=argv[0], command=tuple(argv), cwd=Path.cwd(), runs=runs, warmup=warmup, max_runs=runs)
    result = measure_target(spec)
    if result.error or result.cold_start_s is None:
        raise SystemExit(f"lightprof could not measure {argv}: {result.error}")
    return result.cold_start_s.p50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    if not shutil.which("hyperfine"):
        print("hyperfine is not installed (apt-get install hyperfine)", file=sys.stderr)
        return 2
    print(f"{'command':<18} {'hyperfine -N':>14} {'lightprof':>12} {'ratio':>8}   per-round ratios")
    worst = 0.0
    for label, argv in commands().items():
        runs = args.runs if label == "true" else max(30, args.runs // 4)
        hyper, light = [], []
        for _ in range(args.rounds):
            hyper.append(hyperfine_median(argv, runs, args.warmup))
            light.append(lightprof_median(argv, runs, args.warmup))
        h, lp = statistics.median(hyper), statistics.median(light)
        ratio = lp / h
        worst = max(worst, abs(ratio - 1))
        rounds = " ".join(f"{b / a:.3f}" for a, b in zip(hyper, light, strict=True))
        print(f"{label:<18} {h * 1e3:>11.3f} ms {lp * 1e3:>9.3f} ms {ratio:>8.3f}   {rounds}")
    print(f"largest deviation from hyperfine: {worst * 100:.1f}% (bar: 5%)")
    return 0 if worst <= 0.05 else 1


if __name__ == "__main__":
    raise SystemExit(main())
