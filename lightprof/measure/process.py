"""Launching a target in its own session and making sure nothing it started outlives us.

Timing fidelity: a list command is started with `os.posix_spawnp` (vfork+exec in glibc), the same
path hyperfine's `-N` takes, and its end is observed through a pidfd, so a blocking wait can still
time out and be cancelled. `subprocess.Popen` is used only when the target needs another working
directory (posix_spawn cannot chdir), at a cost of ~40 µs per launch.

Reaping: the target leads a new session and process group, so one `killpg` reaches what it forks.
Children that call `setsid` escape the group; lightprof makes itself a child subreaper (Linux), so
such orphans become its own children instead of init's and a sweep over its descendants finds them.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import psutil

_PR_SET_CHILD_SUBREAPER = 36
# Linux reports ru_maxrss in KiB, macOS in bytes.
_MAXRSS_UNIT = 1 if sys.platform == "darwin" else 1024
_started_at = time.time()
_subreaper_lock = threading.Lock()
_subreaper_done = False


def become_subreaper() -> None:
    """Adopt orphaned descendants (Linux only) so that escaped grandchildren can be reaped."""
    global _subreaper_done
    with _subreaper_lock:
        if _subreaper_done:
            return
        _subreaper_done = True
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


class SpawnError(Exception):
    """The program could not be started at all (not found, not executable)."""


@dataclass
class Exit:
    """How a process ended, with its own rusage (not RUSAGE_CHILDREN's running total)."""

    status: int
    user_s: float
    sys_s: float
    maxrss_bytes: int

    @property
    def code(self) -> int | None:
        return os.waitstatus_to_exitcode(self.status)

    def describe(self) -> str:
        code = os.waitstatus_to_exitcode(self.status)
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"was killed by {name}"
        return f"exited with code {code}"


class Launched:
    """One running target: its pid (= process group = session id), pidfd and output capture."""

    def __init__(self, pid: int, popen: subprocess.Popen[bytes] | None, output_fd: int | None) -> None:
        self.pid = pid
        self.popen = popen
        self.output_fd = output_fd  # read end of the stdout+stderr pipe (stdout ready mode)
        self.pidfd: int | None = None
        with contextlib.suppress(OSError, AttributeError):
            self.pidfd = os.pidfd_open(pid)
        self.exit: Exit | None = None
        self.ended_ns = 0  # perf_counter_ns right after wait4 returned

    def wait_exit(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the process to end; True when it has (not reaped yet)."""
        if self.exit is not None:
            return True
        if self.pidfd is not None:
            readable, _, _ = select.select([self.pidfd], [], [], max(timeout, 0.0))
            return bool(readable)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, rusage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self.ended_ns = time.perf_counter_ns()
                self._record(status, rusage)
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.001)

    def reap(self) -> Exit:
        """Block until the process ends and collect its status and rusage."""
        if self.exit is None:
            _, status, rusage = os.wait4(self.pid, 0)
            self.ended_ns = time.perf_counter_ns()
            self._record(status, rusage)
        assert self.exit is not None
        return self.exit

    def _record(self, status: int, rusage: object) -> None:
        maxrss = getattr(rusage, "ru_maxrss", 0)
        self.exit = Exit(status, rusage.ru_utime, rusage.ru_stime, int(maxrss) * _MAXRSS_UNIT)  # type: ignore[attr-defined]
        if self.popen is not None:
            self.popen.returncode = os.waitstatus_to_exitcode(status)

    def close(self) -> None:
        for fd in (self.pidfd, self.output_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.pidfd = self.output_fd = None


class Spawner:
    """Starts one target again and again with the least work inside the timed window.

    Everything that does not depend on the run (environment, file actions, stderr file) is
    prepared once; `launch` is the only call inside the timed window.
    """

    def __init__(self, argv: list[str], cwd: str, env: Mapping[str, str], *, capture_output: bool) -> None:
        if not argv or not argv[0]:
            raise SpawnError("empty command")
        self.argv = argv
        self.cwd = cwd
        self.env = {**os.environ, **env}
        self.capture_output = capture_output
        self._devnull = os.open(os.devnull, os.O_RDWR)
        # Kept open for the Spawner's lifetime (every run's stderr goes here); close() releases it.
        self._stderr_file = tempfile.TemporaryFile(prefix="lightprof-stderr-")  # noqa: SIM115
        self._use_popen = os.path.realpath(cwd) != os.path.realpath(os.getcwd())
        self._actions = [
            (os.POSIX_SPAWN_DUP2, self._devnull, 0),
            (os.POSIX_SPAWN_DUP2, self._devnull, 1),
            (os.POSIX_SPAWN_DUP2, self._stderr_file.fileno(), 2),
        ]
        become_subreaper()

    def prepare(self) -> None:
        """Reset per-run state; called before the timed window opens."""
        # The target shares the file's offset: one fstat tells whether it wrote anything to clear.
        if not self.capture_output and os.fstat(self._stderr_file.fileno()).st_size:
            self._stderr_file.seek(0)
            self._stderr_file.truncate()

    def launch(self) -> Launched:
        """Start the target in a new session; raise SpawnError when it cannot start at all."""
        read_fd = write_fd = None
        if self.capture_output:
            read_fd, write_fd = os.pipe()
            os.set_blocking(read_fd, False)
        out_fd = write_fd if write_fd is not None else self._devnull
        err_fd = write_fd if write_fd is not None else self._stderr_file.fileno()
        try:
            if self._use_popen:
                popen = subprocess.Popen(
                    self.argv, cwd=self.cwd, env=self.env, stdin=self._devnull, stdout=out_fd,
                    stderr=err_fd, start_new_session=True, close_fds=True,
                )
                launched = Launched(popen.pid, popen, read_fd)
            else:
                actions = self._actions if write_fd is None else [
                    (os.POSIX_SPAWN_DUP2, self._devnull, 0),
                    (os.POSIX_SPAWN_DUP2, out_fd, 1),
                    (os.POSIX_SPAWN_DUP2, err_fd, 2),
                ]
                pid = os.posix_spawnp(self.argv[0], self.argv, self.env, file_actions=actions, setsid=True)
                launched = Launched(pid, None, read_fd)
        except FileNotFoundError:
            self._close_pair(read_fd, write_fd)
            raise SpawnError(f"command not found: {self.argv[0]}") from None
        except PermissionError:
            self._close_pair(read_fd, write_fd)
            raise SpawnError(f"permission denied: {self.argv[0]} is not executable") from None
        except NotADirectoryError:
            self._close_pair(read_fd, write_fd)
            raise SpawnError(f"working directory {self.cwd} is not a folder") from None
        except OSError as exc:
            self._close_pair(read_fd, write_fd)
            raise SpawnError(f"cannot start {self.argv[0]}: {exc.strerror}") from None
        if write_fd is not None:
            os.close(write_fd)
        return launched

    @staticmethod
    def _close_pair(*fds: int | None) -> None:
        for fd in fds:
            if fd is not None:
                os.close(fd)

    def stderr_tail(self, limit: int = 2000) -> str:
        """The last `limit` bytes the latest run wrote to stderr, as text."""
        handle = self._stderr_file
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - limit))
        return handle.read().decode("utf-8", "replace").strip()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._devnull)
        self._stderr_file.close()


def _kill(pid: int, create_time: float | None, sig: int) -> bool:
    """Signal pid if it is still the process we saw (create_time guards against PID reuse)."""
    try:
        if create_time is not None and psutil.Process(pid).create_time() != create_time:
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
    `since` (wall-clock) in a foreign session. Returns the target's own exit, reaped.
    """
    pgid = launched.pid
    if launched.exit is not None and not seen:
        # The usual end of a timed run: the target ended by itself and nothing else was seen.
        # Kept to three syscalls, since any work between two runs slows the next spawn.
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
    lightprof in a foreign session that was created after `since` (a wall-clock time; None means
    lightprof's own start) or that belongs to group `pgid`.
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
    own_sid = os.getsid(0)
    threshold = (_started_at if since is None else since) - _create_time_lag()
    try:
        descendants = psutil.Process(os.getpid()).children(recursive=True)
    except psutil.Error:
        descendants = []
    for proc in descendants:
        try:
            sid = os.getsid(proc.pid)
            in_group = pgid is not None and os.getpgid(proc.pid) == pgid
            if in_group or (sid != own_sid and proc.create_time() >= threshold - 0.01):
                proc.kill()
                killed.append(proc.pid)
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
    _reap_if_ours(killed)
    # Zombies of children already killed elsewhere (reparented to us as subreaper).
    with contextlib.suppress(psutil.Error):
        for proc in psutil.Process(os.getpid()).children():
            with contextlib.suppress(psutil.Error):
                if proc.status() == psutil.STATUS_ZOMBIE and os.getsid(proc.pid) != own_sid:
                    _reap_if_ours([proc.pid])
    return killed
