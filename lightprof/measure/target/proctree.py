"""A process tree read straight from /proc (Linux): each process's children and one stat line.

psutil's `children(recursive=True)` reads /proc/*/stat of every process on the machine to build a
parent map, so its cost grows with the machine, not with the target. The kernel already lists
each thread's children in /proc/PID/task/TID/children, and /proc/PID/stat holds the parent,
group, session, CPU ticks, start time and RSS in one line: a tree of k processes costs about
k + (threads) small reads. `bench/bench_memory.py` shows the per-sample CPU of both ways.
"""

from __future__ import annotations

import os
from typing import NamedTuple

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


class Stat(NamedTuple):
    """The fields of /proc/PID/stat that lightprof uses."""

    pid: int
    state: str  # R, S, D, Z (zombie), ...
    ppid: int
    pgid: int
    sid: int
    cpu_ticks: int  # utime + stime of the process itself
    threads: int
    start_ticks: int  # clock ticks after boot at which it started: with pid, its identity
    rss_bytes: int


def _read(path: str, size: int = 4096) -> bytes | None:
    try:
        fd = os.open(path, _READ)
    except OSError:
        return None
    try:
        return os.read(fd, size)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_stat(pid: int) -> Stat | None:
    """The process's stat line, or None when it is gone (or /proc is not there)."""
    data = _read(f"/proc/{pid}/stat", 1024)
    if not data:
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
    fields = data[data.rfind(b")") + 2 :].split()
    try:
        return Stat(
            pid=pid,
            state=fields[0].decode("ascii", "replace"),
            ppid=int(fields[1]),
            pgid=int(fields[2]),
            sid=int(fields[3]),
            cpu_ticks=int(fields[11]) + int(fields[12]),
            threads=int(fields[17]),
            start_ticks=int(fields[19]),
            rss_bytes=int(fields[21]) * PAGE_SIZE,
        )
    except (IndexError, ValueError):
        return None


def children(pid: int, threads: int = 0) -> list[int]:
    """The pids of `pid`'s children (every thread's: a child belongs to the thread that forked it).

    `threads` from its stat line saves listing /proc/PID/task for a single-threaded process.
    """
    tids = [str(pid)] if threads == 1 else _tasks(pid)
    found: list[int] = []
    for tid in tids:
        data = _read(f"/proc/{pid}/task/{tid}/children", 65536)
        if data:
            found.extend(int(word) for word in data.split())
    return found


def _tasks(pid: int) -> list[str]:
    try:
        return os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []


def command_line(pid: int) -> str | None:
    """The process's argv joined by spaces, its name for a kernel thread or zombie, None if gone."""
    data = _read(f"/proc/{pid}/cmdline", 4096)
    if data:
        return data.rstrip(b"\0").replace(b"\0", b" ").decode("utf-8", "replace")
    name = _read(f"/proc/{pid}/comm", 64)
    return name.decode("utf-8", "replace").strip() if name else None


def available() -> bool:
    """Whether this kernel lists children in /proc (Linux with CONFIG_PROC_CHILDREN)."""
    return os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")


def boot_time() -> float:
    """The boot time in seconds since the epoch, as psutil computes it (/proc/stat btime)."""
    try:
        with open("/proc/stat", "rb") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return 0.0
    for line in lines:
        if line.startswith(b"btime"):
            return float(line.split()[1])
    return 0.0


def create_time(stat: Stat, booted: float) -> float:
    """Wall-clock start of the process, computed like psutil's `Process.create_time()`."""
    return stat.start_ticks / CLOCK_TICKS + booted
