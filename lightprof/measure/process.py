"""Launching a target in its own process group, with nothing of lightprof's inside the timed window.

Timing fidelity: a list command is started with `os.posix_spawnp` (vfork+exec in glibc), the same
path hyperfine's `-N` takes. `subprocess.Popen` is used only when the target needs another
working directory (posix_spawn cannot chdir), at a cost of ~40 µs per launch. Both reset the
signals Python ignores (SIGPIPE, SIGXFSZ) to their defaults, as a shell would leave them.

The target leads a new process group (one `killpg` reaches what it forks), not a new session:
with the scheduler's autogroups (Linux's default) every `setsid` also creates, and at exit frees,
a scheduling group inside the timed window, work that `hyperfine -N`'s targets (which stay in its
session) do not do.

Exact peak memory (`launch_forked`): at exec Linux folds the old address space's high-water mark
into the new program's `ru_maxrss`, and a vfork'd child's old address space is lightprof's own,
so a spawned `python -S -c pass` would read lightprof's size. The memory run is therefore forked
by /bin/sh (a copy of a small shell) and handed to lightprof, a child subreaper, whose own
`wait4` of the target then reads the target's true peak: see `lightprof.measure.forked`.

What lightprof leaves behind is stopped by `reap` (normal ends, signals it can catch) and by the
watchdog (`watchdog`: SIGKILL of lightprof itself).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from lightprof.measure import watchdog
from lightprof.measure.reap import stop_tree, sweep_descendants  # noqa: F401 - the old home of both
from lightprof.measure.supervisor import RunSupervisor

_PR_SET_CHILD_SUBREAPER = 36
# Linux reports ru_maxrss in KiB, macOS in bytes.
_MAXRSS_UNIT = 1 if sys.platform == "darwin" else 1024
DEFAULT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, name))
# Popen's way to a new process group (Python 3.11); 3.10 can only start a new session.
NEW_GROUP: dict[str, object] = {"process_group": 0} if sys.version_info >= (3, 11) else {"start_new_session": True}
_subreaper_lock = threading.Lock()
_subreaper_holders = 0  # Spawners alive: lightprof is a subreaper only while it measures


def _set_subreaper(on: bool) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux only) so that escaped grandchildren can be reaped.

    Held until `release_subreaper`: a process that stays a subreaper after measuring would adopt,
    and never reap, the orphans of whatever else it runs (another lightprof's watchdog, say).
    """
    global _subreaper_holders
    with _subreaper_lock:
        if _set_subreaper(True):
            _subreaper_holders += 1
            return True
        return False


def release_subreaper() -> None:
    global _subreaper_holders
    with _subreaper_lock:
        _subreaper_holders = max(0, _subreaper_holders - 1)
        if _subreaper_holders == 0:
            _set_subreaper(False)


@contextlib.contextmanager
def paused_subreaper() -> Iterator[None]:
    """Orphans made inside go to init, not to lightprof (for a helper that must outlive it)."""
    with _subreaper_lock:
        paused = _subreaper_holders > 0 and _set_subreaper(False)
        try:
            yield
        finally:
            if paused:
                _set_subreaper(True)


class SpawnError(Exception):
    """The program could not be started at all (not found, not executable, bad working directory)."""


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
    """One running target: its pid, its process group, output capture and (on demand) a pidfd."""

    def __init__(
        self, pid: int, popen: subprocess.Popen[bytes] | None, output_fd: int | None, *,
        pgid: int | None = None, started_ns: int | None = None,
    ) -> None:
        self.pid = pid
        self.pgid = pid if pgid is None else pgid  # the target leads its group unless forked by sh
        self.popen = popen
        self.output_fd = output_fd  # read end of the stdout+stderr pipe (stdout ready mode)
        self.started_ns = started_ns  # perf_counter_ns when the target itself was let go (forked)
        self.pidfd: int | None = None
        self._pidfd_tried = False
        self.exit: Exit | None = None
        self.ended_ns = 0  # perf_counter_ns right after wait4 returned

    def watch(self) -> None:
        """Open a pidfd so that waits can sleep until the process ends (Linux ≥ 5.3)."""
        if not self._pidfd_tried:
            self._pidfd_tried = True
            with contextlib.suppress(OSError, AttributeError):
                self.pidfd = os.pidfd_open(self.pid)

    def wait_exit(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the process to end; True when it has (not reaped yet)."""
        if self.exit is not None:
            return True
        self.watch()
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

    def close_output(self) -> None:
        """Stop reading the target's output (it closed it: polling it again would spin)."""
        if self.output_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.output_fd)
            self.output_fd = None

    def close(self) -> None:
        self.close_output()
        if self.pidfd is not None:
            with contextlib.suppress(OSError):
                os.close(self.pidfd)
            self.pidfd = None


def _bad_text(argv: list[str], cwd: str, env: Mapping[str, str]) -> str | None:
    """Why the command, working directory or environment cannot be passed to exec, or None."""
    if any("\0" in arg for arg in argv):
        return "its command holds a NUL byte"
    if "\0" in cwd:
        return "its working directory holds a NUL byte"
    for key, value in env.items():
        if not key or "=" in key or "\0" in key:
            return f"the environment variable name {key!r} is not valid (empty, or holds '=' or a NUL byte)"
        if "\0" in value:
            return f"the environment variable {key} holds a NUL byte"
    return None


class Spawner:
    """Starts one target again and again with the least work inside the timed window.

    Everything that does not depend on the run (environment, file actions, the stderr pipe and
    its supervisor thread, the watchdog) is prepared once; `launch` is the only call inside the
    timed window.
    """

    def __init__(self, argv: list[str], cwd: str, env: Mapping[str, str], *, capture_output: bool) -> None:
        if not argv or not argv[0]:
            raise SpawnError("empty command")
        reason = _bad_text(argv, cwd, env)
        if reason is not None:
            raise SpawnError(f"cannot start {argv[0]!r}: {reason}")
        if not os.path.isdir(cwd):
            what = "is not a folder" if os.path.exists(cwd) else "does not exist"
            raise SpawnError(f"working directory {cwd} {what}")
        self.argv = argv
        self.cwd = cwd
        # The watchdog starts (once) before lightprof becomes a subreaper, so it is not adopted.
        self.env = {**os.environ, **env, **watchdog.marker()}
        self.capture_output = capture_output
        self._devnull = os.open(os.devnull, os.O_RDWR)
        self.supervisor = RunSupervisor()
        self._stdout_fd = self._devnull
        self._use_popen = os.path.realpath(cwd) != os.path.realpath(os.getcwd())
        self._actions = [
            (os.POSIX_SPAWN_DUP2, self._devnull, 0),
            (os.POSIX_SPAWN_DUP2, self._devnull, 1),
            (os.POSIX_SPAWN_DUP2, self.supervisor.write_fd, 2),
        ]
        self._subreaper = become_subreaper()  # last: close() gives it back
        self.forkable = self._subreaper and os.path.isfile("/proc/self/stat") and os.access("/bin/sh", os.X_OK)

    def route_stdout(self, to_supervisor: bool) -> None:
        """Send the next runs' stdout into the supervisor's pipe (their event lines are read
        there, beside stderr) or back to /dev/null."""
        self._stdout_fd = self.supervisor.write_fd if to_supervisor else self._devnull
        self._actions[1] = (os.POSIX_SPAWN_DUP2, self._stdout_fd, 1)

    def prepare(self) -> None:
        """Reset per-run state; called before the timed window opens."""
        if not self.capture_output:
            self.supervisor.clear()

    def output(self) -> tuple[int | None, int | None, list[tuple[int, int, int]]]:
        """(read end, write end, file actions for fds 0-2) of this run's output."""
        if not self.capture_output:
            return None, None, self._actions
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        return read_fd, write_fd, [
            (os.POSIX_SPAWN_DUP2, self._devnull, 0),
            (os.POSIX_SPAWN_DUP2, write_fd, 1),
            (os.POSIX_SPAWN_DUP2, write_fd, 2),
        ]

    def launch(self) -> Launched:
        """Start the target in a new process group; raise SpawnError when it cannot start at all."""
        read_fd, write_fd, actions = self.output()
        try:
            if self._use_popen:
                out_fd = self._stdout_fd if write_fd is None else write_fd
                err_fd = self.supervisor.write_fd if write_fd is None else write_fd
                popen = subprocess.Popen(
                    self.argv, cwd=self.cwd, env=self.env, stdin=self._devnull, stdout=out_fd,
                    stderr=err_fd, close_fds=True, **NEW_GROUP,
                )
                launched = Launched(popen.pid, popen, read_fd)
            else:
                pid = os.posix_spawnp(self.argv[0], self.argv, self.env, file_actions=actions, setpgroup=0,
                                      setsigdef=DEFAULT_SIGNALS)
                launched = Launched(pid, None, read_fd)
        except (OSError, ValueError) as exc:
            close_fds(read_fd, write_fd)
            raise self.spawn_error(exc) from None
        if write_fd is not None:
            os.close(write_fd)
        return launched

    def launch_forked(self, timeout: float) -> Launched:
        """Start the target forked by /bin/sh, so that its wait4 reports its own peak RSS.

        Needs `forkable` (Linux: a subreaper, /proc, /bin/sh); see `lightprof.measure.forked`.
        """
        from lightprof.measure.forked import launch_forked

        return launch_forked(self, timeout)

    def spawn_error(self, exc: BaseException) -> SpawnError:
        program = self.argv[0]
        if isinstance(exc, ValueError):
            return SpawnError(f"cannot start {program!r}: {exc}")
        if isinstance(exc, FileNotFoundError) and exc.filename == self.cwd:
            return SpawnError(f"working directory {self.cwd} does not exist")
        if isinstance(exc, FileNotFoundError):
            return SpawnError(f"command not found: {program}")
        if isinstance(exc, PermissionError):
            return SpawnError(f"permission denied: {program} is not executable")
        if isinstance(exc, NotADirectoryError):
            return SpawnError(f"working directory {self.cwd} is not a folder")
        assert isinstance(exc, OSError)
        return SpawnError(f"cannot start {program}: {exc.strerror}")

    def stderr_tail(self, limit: int = 2000) -> str:
        """The last `limit` bytes the latest run wrote to stderr, as text."""
        return self.supervisor.tail()[-limit:].decode("utf-8", "replace").strip()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._devnull)
        self.supervisor.close()
        if self._subreaper:
            self._subreaper = False
            release_subreaper()


def close_fds(*fds: int | None) -> None:
    for fd in fds:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
