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
`wait4` of the target then reads the target's true peak: see `lightprof.measure.target.forked`.

What lightprof leaves behind is stopped by `reap` (normal ends, signals it can catch) and by the
watchdog (`watchdog`: SIGKILL of lightprof itself).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from lightprof.measure.target import watchdog
from lightprof.measure.target.launched import DEFAULT_SIGNALS, Launched, SpawnError, close_fds
from lightprof.measure.target.subreaper import become_subreaper, release_subreaper
from lightprof.measure.target.supervisor import RunSupervisor

# Popen's way to a new process group (Python 3.11); 3.10 can only start a new session.
NEW_GROUP: dict[str, Any] = {"process_group": 0} if sys.version_info >= (3, 11) else {"start_new_session": True}


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

        Needs `forkable` (Linux: a subreaper, /proc, /bin/sh); see `lightprof.measure.target.forked`.
        """
        from lightprof.measure.target.forked import launch_forked

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
