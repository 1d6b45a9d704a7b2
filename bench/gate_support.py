"""The parts of bench/bench_gate.py that are not the gate: its targets (sized on this machine),
the noise it runs beside them, and --study (other statistics judged on saved runs)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable  # runs lightprof (the venv's interpreter, with its packages)
TARGET_PYTHON = os.path.realpath(sys.executable)  # the ~10 ms target: -S -E, no venv needed
C_SOURCE = """
#include <stdlib.h>
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 0;
    volatile long x = 0;
    for (long i = 0; i < n; i++) x += i;
    return 0;
}
"""
# Noise processes end when the bench does, even if it is killed: they watch their parent.
BURSTY = """
import os, random, sys, time
rng = random.Random(int(sys.argv[1]))
parent = os.getppid()
while os.getppid() == parent:
    end = time.perf_counter() + rng.uniform(0.005, 0.060)
    while time.perf_counter() < end:
        pass
    time.sleep(rng.uniform(0.005, 0.100))
"""
HOG = """
import os
parent = os.getppid()
while os.getppid() == parent:
    for _ in range(100000):
        pass
"""
EFFECTS = (0, 5, 10, 20)


# --------------------------------------------------------------------------- targets


def spawn_time(argv: list[str]) -> float:
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ)
    os.waitpid(pid, 0)
    return time.perf_counter() - start


def median_time(argv: list[str], runs: int) -> float:
    for _ in range(3):
        spawn_time(argv)
    return statistics.median(spawn_time(argv) for _ in range(runs))


class Target:
    """A command with a loop count: `argv(n)` runs n iterations of fixed work."""

    def __init__(self, name: str, prefix: list[str], suffix: str) -> None:
        self.name, self.prefix, self.suffix = name, prefix, suffix
        self.base_n = 0
        self.per_effect: dict[int, int] = {}
        self.truth: dict[int, float] = {}

    def argv(self, n: int) -> list[str]:
        return [*self.prefix, self.suffix.format(n=n)]

    def size(self, work_s: float) -> None:
        """Pick the base loop count for `work_s` of work beside the start-up, and a first guess of
        the extra iterations for each effect (`tune` then measures and corrects them)."""
        n = 1_000_000 if self.name == "c" else 100_000
        per_iter = 0.0
        for _ in range(6):  # the cost of an iteration in a short run, where the target runs
            extra = statistics.median(spawn_time(self.argv(n)) - spawn_time(self.argv(0)) for _ in range(31))
            if extra <= 0:  # lost in the noise: more work
                n *= 4
                continue
            per_iter = extra / n
            wanted = max(n // 10, min(n * 10, int(work_s / per_iter)))
            if abs(wanted - n) <= n * 0.1:
                break
            n = wanted
        self.base_n = n
        total = median_time(self.argv(self.base_n), 41)
        self.per_effect = {e: self.base_n + int(total * e / 100 / (per_iter or 1e-9)) for e in EFFECTS}

    def pair_ratio(self, n: int, pairs: int, rng: random.Random) -> float:
        """Median of per-pair ratios, n iterations against the base, plain alternating spawns."""
        base, slowed = self.argv(self.per_effect[0]), self.argv(n)
        for _ in range(3):
            spawn_time(base), spawn_time(slowed)
        ratios = []
        for _ in range(pairs):
            if rng.random() < 0.5:
                b, s = spawn_time(base), spawn_time(slowed)
            else:
                s, b = spawn_time(slowed), spawn_time(base)
            ratios.append(s / b)
        return statistics.median(ratios)

    def measure_truth(self, pairs: int) -> dict[int, float]:
        """Each effect's true slowdown in the condition at hand (its noise running), by plain
        alternating spawns: what the gate's ratios are checked against."""
        rng = random.Random(5)
        return {e: (self.pair_ratio(n, pairs, rng) if e else 1.0) for e, n in self.per_effect.items()}

    def tune(self, pairs: int) -> None:
        """Adjust each effect's extra work until its measured slowdown is within half a point of
        the aim (a long run's cost per iteration is not a short run's), and keep the last
        measured ratio as the truth the gate's ratios are checked against."""
        rng = random.Random(3)
        self.truth[0] = 1.0
        for effect in EFFECTS[1:]:
            extra = self.per_effect[effect] - self.base_n
            for _ in range(6):
                ratio = self.pair_ratio(self.base_n + extra, pairs, rng)
                if abs(ratio - 1 - effect / 100) <= 0.005 or ratio - 1 < 0.002:
                    break
                extra = int(extra * min(4.0, max(0.25, (effect / 100) / (ratio - 1))))
            self.per_effect[effect] = self.base_n + extra
            self.truth[effect] = ratio


def make_targets(names: list[str], work: Path) -> list[Target]:
    targets = []
    if "c" in names:
        gcc = shutil.which("gcc") or shutil.which("cc")
        if gcc is None:
            raise SystemExit("bench_gate: the ~1 ms target needs gcc")
        (work / "work.c").write_text(C_SOURCE)
        subprocess.run([gcc, "-O1", "-o", str(work / "work"), str(work / "work.c")], check=True)
        targets.append((Target("c", [str(work / "work")], "{n}"), 0.0004))  # + ~0.6 ms of spawn
    if "py" in names:
        # + ~7 ms of interpreter start-up
        targets.append((Target("py", [TARGET_PYTHON, "-S", "-E", "-c"], "for i in range({n}): pass"), 0.003))
    for target, total in targets:
        target.size(total)
    return [t for t, _ in targets]


# --------------------------------------------------------------------------- noise


class Noise:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, kind: str, hog_procs: int) -> None:
        if kind == "bursty":
            for i in range(os.cpu_count() or 1):
                self.procs.append(subprocess.Popen([PYTHON, "-S", "-c", BURSTY, str(i)]))
        elif kind == "hog":
            for _ in range(hog_procs):
                self.procs.append(subprocess.Popen([PYTHON, "-S", "-c", HOG]))

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        self.procs.clear()


# --------------------------------------------------------------------------- other statistics, same runs


def study(path: str, tolerance: float) -> int:
    """Judge the stored-baseline decisions saved by --save with other statistics: without the
    calibration (the two raw samples' medians), and with the ratio of the calibrated medians
    instead of the median of per-pair ratios. Same rule each: beyond tolerance, interval above 1."""
    sys.path.insert(0, str(REPO))
    from lightprof.stats import bootstrap_ratio_ci, median

    def verdict(ratio: float, low: float) -> bool:
        return ratio > 1 + tolerance and low > 1

    cells: dict[tuple[str, str], dict[str, int]] = {}
    for line in Path(path).read_text().splitlines():
        item = json.loads(line)
        if "baseline_s" not in item:
            continue
        key = (item["condition"], item["id"])
        head, calib = item["head_s"], item["base_s"]
        then, then_c = item["baseline_s"], item["baseline_calibration_s"]
        counts = cells.setdefault(key, {"n": 0, "lightprof": 0, "raw": 0, "ratio of medians": 0, "drift>10%": 0})
        counts["n"] += 1
        counts["lightprof"] += item["exit_code"] == 1
        counts["drift>10%"] += abs(item["drift"]) > 0.10
        raw = median(head) / median(then)
        counts["raw"] += verdict(raw, bootstrap_ratio_ci(head, then, resamples=500)[0])
        now_pairs = [h / median(calib) for h in head]
        then_pairs = [h / median(then_c) for h in then]
        ratio = median(now_pairs) / median(then_pairs)
        counts["ratio of medians"] += verdict(ratio, bootstrap_ratio_ci(now_pairs, then_pairs, resamples=500)[0])
    print(f"alarms per cell (tolerance {tolerance * 100:g}%): lightprof's verdict (exit 1), the raw "
          "samples, the ratio of calibrated medians")
    for (condition, ident), counts in sorted(cells.items()):
        n = counts.pop("n")
        print(f"{condition:<7} {ident:<16} " + "  ".join(f"{k} {v:>3}/{n}" for k, v in counts.items()))
    return 0
