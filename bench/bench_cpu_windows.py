"""How far a server's CPU per request drifts between windows, and whether the clock agrees with /proc.

    .venv/bin/python bench/bench_cpu_windows.py [--kind python] [--windows 12] [--requests 60]

Starts the `kind` test server of tests/paths_servers.py (GET /costly, the route the
ops_per_cpu_s end-to-end test measures) and sends `--windows` back-to-back windows of
`--requests` requests with lightprof's own client. For each window the server's CPU is read at
the same two moments from the kernel's per-process CPU clock (what lightprof's `treecpu` reads)
and from /proc/PID/stat utime + stime (10 ms ticks). Printed per window: ops per CPU-second by
each; then the spread across windows, the largest clock-vs-/proc difference in one window, and
how many windows fall outside ±15% of the range of the windows just before and just after (the
check the end-to-end test made when its independent counts came from runs of their own).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lightprof.measure.target.paths import treecpu  # noqa: E402
from lightprof.measure.target.paths.client import Client  # noqa: E402
from tests.paths_servers import free_port, server_command  # noqa: E402

COSTLY = {"python": "300000", "node": "10000000"}


def proc_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as handle:
        fields = handle.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def clock_cpu_s(pid: int) -> float:
    ns = treecpu.process_cpu_ns(pid)
    assert ns is not None, "no per-process CPU clock here (Linux only)"
    return ns / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=sorted(COSTLY), default="python")
    parser.add_argument("--windows", type=int, default=12)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        proc = subprocess.Popen(server_command(Path(folder), args.kind, port), stdout=subprocess.DEVNULL,
                                env={**os.environ, "COSTLY_WORK": COSTLY[args.kind]})
        try:
            client = Client(f"http://127.0.0.1:{port}/costly", 30.0)
            deadline = time.monotonic() + 30
            while client.request("GET", None, {}).status != 200:  # ready, and the first request apart
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.05)
            by_clock: list[float] = []
            by_proc: list[float] = []
            for window in range(args.windows):
                clock0, proc0 = clock_cpu_s(proc.pid), proc_cpu_s(proc.pid)
                for _ in range(args.requests):
                    assert client.request("GET", None, {}).status == 200
                clock1, proc1 = clock_cpu_s(proc.pid), proc_cpu_s(proc.pid)
                by_clock.append(args.requests / (clock1 - clock0))
                by_proc.append(args.requests / (proc1 - proc0))
                print(f"window {window:2d}: ops/CPU-s {by_clock[-1]:6.1f} by the CPU clock, {by_proc[-1]:6.1f} "
                      f"by /proc/PID/stat ({by_clock[-1] / by_proc[-1] - 1:+.1%})", flush=True)
            client.close()
        finally:
            proc.kill()
            proc.wait()
    worst = max(abs(c / p - 1) for c, p in zip(by_clock, by_proc, strict=True))
    outside = sum(1 for i in range(1, len(by_proc) - 1)
                  if not min(by_proc[i - 1], by_proc[i + 1]) * 0.85 <= by_clock[i]
                  <= max(by_proc[i - 1], by_proc[i + 1]) * 1.15)
    print(f"{args.kind}: across windows {min(by_proc):.1f}–{max(by_proc):.1f} ops/CPU-s by /proc "
          f"(max/min {max(by_proc) / min(by_proc):.2f}); in one window the clock and /proc differ by at most "
          f"{worst:.1%}; windows outside ±15% of their neighbours' range: {outside} of {len(by_proc) - 2}")


if __name__ == "__main__":
    main()
