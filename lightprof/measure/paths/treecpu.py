"""CPU time of a process tree, read from the kernel with nanosecond resolution (Linux).

/proc/PID/stat counts CPU in clock ticks (10 ms here): 200 requests that cost 0.2 ms each are
40 ms of CPU, which ticks would get wrong by a quarter. The kernel's per-process CPU clock
(`clock_gettime` on the clock id `MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)`, what
`clock_getcpuclockid(pid)` returns) is the scheduler's own sum over every thread of the process,
living or ended, in nanoseconds. Children the tree has already reaped add their `cutime`/`cstime`
from the stat line (ticks: they are gone, nothing finer is left).
"""

from __future__ import annotations

import os
import time

from lightprof.measure import proctree

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


def tree_pids(root: int) -> list[int]:
    """`root` and every live process below it (children lists from /proc)."""
    found: list[int] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        stat = proctree.read_stat(pid)
        if stat is None or stat.state == "Z":
            continue
        found.append(pid)
        stack.extend(proctree.children(pid, stat.threads))
    return found


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


def tree_cpu_s(root: int, pids: list[int] | None = None) -> dict[int, float]:
    """CPU seconds per live process of the tree of `root` (its reaped children's included)."""
    cpu: dict[int, float] = {}
    for pid in tree_pids(root) if pids is None else pids:
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
