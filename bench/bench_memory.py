"""Peak memory against GNU time, and what one sample of a process tree costs lightprof.

    .venv/bin/python bench/bench_memory.py [--repeat 5] [--samples 300] [--rounds 3]

1. Peak RSS: `lightprof --headless` (a fresh process per command, as a user runs it; its memory
   run is forked by /bin/sh so wait4 reads the target's own peak) against GNU `time -f %M` on the
   same commands, medians of `--repeat` each, interleaved. lightprof's figure should be within
   ±10%; GNU time's own fork makes its figure for `true` about its own size.
2. Sampler CPU: the thread CPU time of one sample of a real tree (a Python parent with three
   children), read from /proc (children files and stat lines, lightprof's way on Linux) and
   through psutil (`children(recursive=True)`, which reads every process on the machine), in
   the same run: back to back (interleaved), and as the memory run's sampler thread takes them at
   20 Hz (its `cpu_s / samples`, what the report's `sampler_cpu_s` sums), one second per reader
   in turn.
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
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402

from lightprof.measure.target.memory import TreeSampler, _ProcTree, _PsutilTree  # noqa: E402

GNU_TIME = "/usr/bin/time"
PYTHON = os.path.realpath(sys.executable)
ALLOCATE_50MIB = "buf = bytearray(50 * 2**20)\nfor i in range(0, len(buf), 4096): buf[i] = 1"
TREE = (
    "import subprocess, sys, time\n"
    "kids = [subprocess.Popen([sys.executable, '-c', 'x = bytearray(20_000_000); import time; time.sleep(60)'])"
    " for _ in range(3)]\n"
    "time.sleep(60)\n"
)


def commands() -> dict[str, list[str]]:
    found = {"true": [shutil.which("true") or "/bin/true"], "python -S -c pass": [PYTHON, "-S", "-c", "pass"]}
    node = shutil.which("node")
    if node:
        found["node -e 0"] = [os.path.realpath(node), "-e", "0"]
    found["python: 50 MiB"] = [PYTHON, "-S", "-c", ALLOCATE_50MIB]
    return found


def gnu_time(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "m"
        subprocess.run([GNU_TIME, "-f", "%M", "-o", str(out), *argv], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return int(out.read_text().split()[-1]) * 1024


def lightprof_peak(argv: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "lightprof.toml"
        profile.write_text(
            f"version = 1\nname = \"memory\"\n[[target]]\nname = \"t\"\ncommand = {json.dumps(argv)}\n"
            "runs = 1\nwarmup = 0\n"
        )
        done = subprocess.run([sys.executable, "-m", "lightprof", "--headless", "-p", str(profile), "--json", "-"],
                              capture_output=True, text=True, cwd=tmp)
        if done.returncode != 0:
            raise SystemExit(f"lightprof could not measure {argv}: {done.stdout}{done.stderr}")
        return json.loads(done.stdout)["targets"][0]["memory"]


def peaks(repeat: int) -> None:
    print(f"{'command':<20} {'GNU time %M':>12} {'lightprof':>12} {'ratio':>7}")
    for label, argv in commands().items():
        reference, ours = [], []
        for _ in range(repeat):
            reference.append(gnu_time(argv))
            ours.append(lightprof_peak(argv)["peak_rss_bytes"])
        ref, got = statistics.median(reference), statistics.median(ours)
        print(f"{label:<20} {ref / 2**20:>8.2f} MiB {got / 2**20:>8.2f} MiB {got / ref:>7.3f}")


def sample_costs(samples: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "tree.py"
        script.write_text(TREE)
        parent = subprocess.Popen([PYTHON, str(script)])
        try:
            deadline = time.monotonic() + 30
            while len(psutil.Process(parent.pid).children()) < 3:
                if time.monotonic() > deadline:
                    raise SystemExit("the sample tree never grew")
                time.sleep(0.02)
            time.sleep(0.3)
            back_to_back = _back_to_back(parent.pid, samples)
            at_20_hz = _at_20_hz(parent.pid, rounds)
        finally:
            for child in psutil.Process(parent.pid).children():
                child.kill()
            parent.kill()
            parent.wait()
    print(f"\nCPU time of one sample of a 4-process tree ({len(psutil.pids())} processes on the machine):")
    print(f"  {'reader':<18} {'back to back':>13} {'at 20 Hz (TreeSampler)':>24}")
    for name in back_to_back:
        hz_cpu, hz_samples = at_20_hz[name]
        print(f"  {name:<18} {statistics.median(back_to_back[name]) * 1e6:>10.1f} µs "
              f"{hz_cpu / hz_samples * 1e6:>17.1f} µs ({hz_samples} samples)")


READERS = {"/proc (lightprof)": True, "psutil": False}


def _back_to_back(pid: int, samples: int) -> dict[str, list[float]]:
    """Median-ready lists of one sample's thread CPU time, the readers interleaved."""
    readers = {"/proc (lightprof)": _ProcTree(), "psutil": _PsutilTree()}
    costs: dict[str, list[float]] = {name: [] for name in readers}
    for _ in range(samples):
        for name, reader in readers.items():
            before = time.thread_time()
            infos = reader.sample(pid, {})
            costs[name].append(time.thread_time() - before)
            assert len(infos) == 4, infos
    return costs


def _at_20_hz(pid: int, rounds: int) -> dict[str, tuple[float, int]]:
    """(CPU seconds, samples) of the memory run's sampler thread, 1 s per reader per round."""
    totals = {name: (0.0, 0) for name in READERS}
    for _ in range(rounds):
        for name, use_proc in READERS.items():
            sampler = TreeSampler(20.0, use_proc=use_proc)
            sampler.begin(pid, time.perf_counter_ns())
            time.sleep(1.0)
            run = sampler.end()
            sampler.close()
            cpu, count = totals[name]
            totals[name] = (cpu + run.cpu_s, count + len(run.samples))
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="peak readings per command and tool")
    parser.add_argument("--samples", type=int, default=300, help="back-to-back tree samples per reader")
    parser.add_argument("--rounds", type=int, default=3, help="seconds of 20 Hz sampling per reader")
    args = parser.parse_args()
    if not Path(GNU_TIME).exists():
        print("GNU time is not installed (apt-get install time)", file=sys.stderr)
        return 2
    peaks(args.repeat)
    sample_costs(args.samples, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
