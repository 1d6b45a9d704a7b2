"""How much slower a cold start (cache = "cold": empty bytecode caches) is than a warm one.

    .venv/bin/python bench/bench_cache.py [--rounds 5] [--runs 10]

The target is this Python importing many stdlib modules (as a CLI with a few dependencies does).
lightprof's own engine measures it with cache = "warm" and cache = "cold", alternating round by
round so that machine drift hits both alike; the medians of the rounds' p50s and their ratio are
printed, with what is left in the temporary folder afterwards (it must be nothing).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lightprof.measure.target.runner import measure_target  # noqa: E402
from lightprof.profile.spec import TargetSpec  # noqa: E402

MODULES = (
    "argparse", "asyncio", "csv", "dataclasses", "decimal", "email.mime.multipart", "http.client", "json",
    "logging.handlers", "pathlib", "sqlite3", "statistics", "subprocess", "tarfile", "typing", "unittest",
    "urllib.request", "uuid", "xml.etree.ElementTree", "zipfile",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    temporary = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    os.environ["TMPDIR"] = str(temporary)
    tempfile.tempdir = None  # so the engine's cold folders go where we look afterwards
    code = "import " + ", ".join(MODULES)
    specs = {
        cache: TargetSpec(name=cache, command=(sys.executable, "-c", code), cwd=REPO, runs=args.runs, warmup=1,
                          cache=cache)
        for cache in ("warm", "cold")
    }
    p50s: dict[str, list[float]] = {"warm": [], "cold": []}
    for round_ in range(args.rounds):
        order = ("warm", "cold") if round_ % 2 == 0 else ("cold", "warm")
        for cache in order:
            result = measure_target(specs[cache])
            assert result.cold_start_s is not None, result.error
            p50s[cache].append(result.cold_start_s.p50)
    warm, cold = statistics.median(p50s["warm"]), statistics.median(p50s["cold"])
    print(f"target: python -c 'import {len(MODULES)} stdlib packages' ({sys.version.split()[0]}); "
          f"{args.rounds} rounds x {args.runs} runs, alternating")
    print(f"warm p50 {warm * 1e3:.1f} ms   cold p50 {cold * 1e3:.1f} ms   cold/warm {cold / warm:.2f}x "
          f"(+{(cold - warm) * 1e3:.1f} ms)")
    left = sorted(p.name for p in temporary.iterdir())
    print(f"left in the temporary folder after {2 * args.rounds * (args.runs + 2)} starts: {left or 'nothing'}")
    temporary.rmdir()


if __name__ == "__main__":
    main()
