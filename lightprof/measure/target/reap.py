"""Stopping a target's whole tree and sweeping up what targets left behind.

The target leads a new process group, so one `killpg` reaches what it forks. Children that call
`setsid` (or `setpgid`) escape the group; lightprof is a child subreaper (Linux) while it
measures, so such orphans become its own children instead of init's, and a sweep over its
descendants outside its own process group finds them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from lightprof.measure.target.launched import Exit, Launched

_started_at = time.time()


def _kill(pid: int, create_time: float | None, sig: int) -> bool:
    """Signal pid if it is still the process we saw (create_time guards against PID reuse)."""
    try:
        if create_time is not None and abs(psutil.Process(pid).create_time() - create_time) > 1e-3:
            return False
        os.kill(pid, sig)
        return True
    except (ProcessLookupError, psutil.NoSuchProcess, psutil.AccessDenied, PermissionError):
        return False


def _reap_if_ours(pids: Iterable[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)


def stop_tree(
    launched: Launched, grace: float, seen: Mapping[int, float] | None = None, *, since: float | None = None
) -> Exit:
    """Stop a target and everything it started: SIGTERM to its group, SIGKILL after `grace`.

    `seen` maps pids observed in its tree to their create_time, so children that left the group
    (setsid) are killed too, and so are orphans adopted by lightprof that were created after
    `since` (wall-clock) outside lightprof's process group. Returns the target's own exit, reaped.
    """
    pgid = launched.pgid
    if launched.exit is not None and not seen:
        # The usual end of a timed run: the target ended by itself and nothing else was seen.
        # Kept to two syscalls: the common case needs no walk of lightprof's descendants.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)  # whatever of its group is left
        if _has_children():
            sweep_descendants(since=since, pgid=pgid)
        launched.close()
        return launched.exit
    if launched.exit is None and not launched.wait_exit(0):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        launched.wait_exit(grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    result = launched.reap()
    sweep_descendants(since=since, extra=seen, pgid=pgid)
    launched.close()
    return result


def _create_time_lag() -> float:
    """How far psutil's create_time runs behind time.time() for a process started now.

    On Linux psutil adds ticks since boot to the integer `btime` of /proc/stat, so its clock lags
    the wall clock by up to a second (measured 0.54 s). Comparing a create_time with a
    time.time() stamp needs this correction, or processes started just after the stamp look older.
    """
    try:
        with open("/proc/uptime", encoding="ascii") as handle:
            uptime = float(handle.read().split()[0])
        return max(0.0, time.time() - (psutil.boot_time() + uptime))
    except (OSError, ValueError, IndexError, psutil.Error):
        return 1.0


def _has_children() -> bool:
    """Whether lightprof has a child process, alive or a zombie (one syscall). With none, it has
    no descendants either: orphans of a target are adopted by lightprof, the subreaper."""
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    except (AttributeError, OSError):  # no waitid (macOS): assume there may be some
        return True
    return True


def sweep_descendants(
    *, since: float | None, extra: Mapping[int, float] | None = None, pgid: int | None = None
) -> list[int]:
    """SIGKILL and reap what targets left behind; return the pids killed.

    Kills: every pid in `extra` still alive with the same create_time; every descendant of
    lightprof outside its own process group that was created after `since` (a wall-clock time;
    None means lightprof's own start) or that belongs to group `pgid`. (Helpers lightprof starts
    for itself, such as the folder walker, stay in its group.)
    """
    killed: list[int] = []
    for pid, create_time in (extra or {}).items():
        if _kill(pid, create_time, signal.SIGKILL):
            killed.append(pid)
    if not _has_children():
        # Nothing left anywhere below lightprof: the usual case after a run, and the walk of /proc
        # skipped here costs ~1 ms and slows the next spawn by ~0.15 ms (caches it evicts).
        _reap_if_ours(killed)
        return killed
    own_group = os.getpgid(0)
    threshold = (_started_at if since is None else since) - _create_time_lag()
    try:
        descendants = psutil.Process(os.getpid()).children(recursive=True)
    except psutil.Error:
        descendants = []
    for proc in descendants:
        try:
            group = os.getpgid(proc.pid)
            in_group = pgid is not None and group == pgid
            if in_group or (group != own_group and proc.create_time() >= threshold - 0.01):
                proc.kill()
                killed.append(proc.pid)
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
    _reap_if_ours(killed)
    # Zombies of children already killed elsewhere (reparented to us as subreaper).
    with contextlib.suppress(psutil.Error):
        for proc in psutil.Process(os.getpid()).children():
            with contextlib.suppress(psutil.Error):
                if proc.status() == psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) != own_group:
                    _reap_if_ours([proc.pid])
    return killed
