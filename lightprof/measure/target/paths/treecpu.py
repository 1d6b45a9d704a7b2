"""CPU time of a process tree, read from the kernel with nanosecond resolution (Linux).

/proc/PID/stat counts CPU in clock ticks (10 ms here): 200 requests that cost 0.2 ms each are
40 ms of CPU, which ticks would get wrong by a quarter. The kernel's per-process CPU clock
(`clock_gettime` on the clock id `MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)`, what
`clock_getcpuclockid(pid)` returns) is the scheduler's own sum over every thread of the process,
living or ended, in nanoseconds. Children the tree has already reaped add their `cutime`/`cstime`
from the stat line (ticks: they are gone, nothing finer is left). Which processes make the tree
is the memory sampler's business (its last sample's list, escaped children included).
"""

from __future__ import annotations

import os
import time

from lightprof.measure.target import proctree

_CPUCLOCK_SCHED = 2


def _clock_id(pid: int) -> int:
    return ((~pid) << 3) | _CPUCLOCK_SCHED


def process_cpu_ns(pid: int) -> int | None:
    """The CPU time `pid` has used, in ns; None when it is gone or the clock is not available."""
    try:
        return time.clock_gettime_ns(_clock_id(pid))
    except (OSError, OverflowError):
        return None


def available() -> bool:
    return proctree.available() and process_cpu_ns(os.getpid()) is not None


def _reaped_children_s(pid: int) -> float:
    """cutime + cstime of `pid`: the CPU of the children it has waited for, in seconds."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return 0.0
    fields = data[data.rfind(b")") + 2:].split()
    try:
        return (int(fields[13]) + int(fields[14])) / proctree.CLOCK_TICKS
    except (IndexError, ValueError):
        return 0.0


def cpu_s(pids: list[int]) -> dict[int, float]:
    """CPU seconds of each live process of `pids` (a tree, as the memory sampler lists it), the
    children each has reaped included."""
    cpu: dict[int, float] = {}
    for pid in pids:
        ns = process_cpu_ns(pid)
        if ns is not None:
            cpu[pid] = ns / 1e9 + _reaped_children_s(pid)
    return cpu


def delta_s(before: dict[int, float], after: dict[int, float]) -> float:
    """The tree's CPU between two readings: processes in both by their growth, new ones whole.

    A process that ended in between without being reaped by the tree loses what it spent since
    `before` (nothing reads it any more); one reaped by a member appears in that member's cutime.
    """
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())
