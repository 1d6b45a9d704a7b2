"""The figures of attribution on a known program, and what --attribute costs a headless run.

    .venv/bin/python bench/bench_attribution.py

The program (built in a temporary folder, as tests/attribution_support.py does) imports csv,
decimal, json and `heavy`, a module that spins 80 ms at import, then runs a hot function
`crunch`. lightprof --headless runs it with and without --attribute, alternating; printed: the
imports that cost most, import_time, the lazy-load candidates, the hottest functions, the
speedscope file, and the wall time of the two kinds of headless run (medians).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from attribution_support import HOT, PY, profile, program  # noqa: E402

ROUNDS = 3


def headless(folder: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([PY, "-m", "lightprof", "--headless", *args], cwd=folder, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        program(folder, calls_heavy=False, extra=HOT)
        profile(folder, ["{python}", "prog.py"])
        plain, attributed = [], []
        for _ in range(ROUNDS):
            plain.append(headless(folder))
            attributed.append(headless(folder, "--attribute", "--json", "r.json"))
        attribution = json.loads((folder / "r.json").read_text())["targets"][0]["attribution"]
    own = [row for row in attribution["imports"] if not row["startup"]]
    print("costliest own imports (self):", ", ".join(f"{r['module']} {r['self_s'] * 1e3:.1f} ms" for r in own[:4]))
    print(f"import_time {attribution['import_time_s'] * 1e3:.1f} ms (median of {attribution['runs']} starts), "
          f"interpreter start-up {attribution['startup_s'] * 1e3:.1f} ms apart")
    print("lazy-load candidates:", ", ".join(f"{c['module']} (saves {c['saves_s'] * 1e3:.1f} ms)"
                                             for c in attribution["lazy"]) or "none")
    print("hot functions (self share):", ", ".join(f"{f['name']} {f['self_share']:.0%}"
                                                  for f in attribution["functions"][:3]),
          f"of {attribution['samples']} samples ({attribution['sampler']})")
    print(f"speedscope file: {attribution['speedscope']}")
    print(f"headless run, median of {ROUNDS}: {statistics.median(plain):.2f} s without --attribute, "
          f"{statistics.median(attributed):.2f} s with it")


if __name__ == "__main__":
    main()
