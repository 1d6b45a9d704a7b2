"""The memory run's launch: the target exec'd by a fork of /bin/sh, so its wait4 is its own peak.

At exec Linux folds the old address space's high-water mark into the new program's `ru_maxrss`;
a child that lightprof vforks (posix_spawn) has lightprof's own address space until exec, so its
figure would start at lightprof's size. A *fork* of a shell starts at the shell's size instead.
The shell runs, in the target's working directory and a new process group,

    ( read pid < /proc/self/stat; echo $pid >&4; read go <&5; exec "$@" ) ; :

The subshell is a fork of the shell and, being in the foreground, keeps default signal
dispositions (a background `&` job of a non-interactive shell would ignore SIGINT and SIGQUIT for
good, and the shell may reap it first). Once it has told its pid, lightprof kills the outer shell,
so the subshell is re-parented to lightprof (a child subreaper), and only then lets it exec the
target: the outer shell can never reap it, and lightprof's own wait4 reads the target's peak. The
target keeps the outer shell's process group (`Launched.pgid`). /bin/sh adds PWD to the
environment when it is missing (it is unset again here) and drops variables whose names are not
shell names.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import time
from collections.abc import Mapping
from typing import Protocol

from lightprof.measure.target.launched import DEFAULT_SIGNALS, Launched, SpawnError, close_fds


class Forkable(Protocol):
    """What a launch through /bin/sh needs of its Spawner (process.Spawner, which calls this)."""

    @property
    def argv(self) -> list[str]: ...

    @property
    def cwd(self) -> str: ...

    @property
    def env(self) -> Mapping[str, str]: ...

    def output(self) -> tuple[int | None, int | None, list[tuple[int, int, int]]]: ...

    def spawn_error(self, exc: BaseException) -> SpawnError: ...


def launch_forked(spawner: Forkable, timeout: float) -> Launched:
    """Start `spawner`'s target through /bin/sh; SpawnError when the shell cannot hand it over."""
    unset = "" if "PWD" in spawner.env else "unset PWD; "
    script = (
        'cd -- "$1" || exit 126; shift; '
        '( read -r pid rest </proc/self/stat; echo "$pid" >&4; read -r go <&5 || exit 125; '
        f'{unset}exec "$@" 4>&- 5<&- ); :'
    )
    read_fd, write_fd, actions = spawner.output()
    pid_read, pid_write_end = _high_pipe()
    go_read_end, go_write = _high_pipe()
    pid_write: int | None = pid_write_end  # None once closed here
    go_read: int | None = go_read_end
    deadline = time.monotonic() + timeout
    shell = None
    try:
        try:
            shell = os.posix_spawn(
                "/bin/sh", ["sh", "-c", script, "sh", spawner.cwd, *spawner.argv], spawner.env,
                file_actions=[*actions, (os.POSIX_SPAWN_DUP2, pid_write, 4), (os.POSIX_SPAWN_DUP2, go_read, 5)],
                setpgroup=0, setsigdef=DEFAULT_SIGNALS,
            )
        except (OSError, ValueError) as exc:
            raise spawner.spawn_error(exc) from None
        close_fds(pid_write, go_read)
        pid_write = go_read = None
        pid = _read_pid(pid_read, deadline)
        group = shell  # the shell led a new process group: the target stays in it
        os.kill(shell, signal.SIGKILL)
        os.waitpid(shell, 0)  # once reaped, its subshell is lightprof's child
        shell = None
        if pid is None:
            with contextlib.suppress(OSError):
                os.killpg(group, signal.SIGKILL)  # a subshell that never reported, if any
            raise SpawnError("/bin/sh did not report the pid of the target it forked")
        started = time.perf_counter_ns()
        os.write(go_write, b"\n")
    except BaseException:
        if shell is not None:
            with contextlib.suppress(OSError):
                os.killpg(shell, signal.SIGKILL)
                os.waitpid(shell, 0)
        close_fds(read_fd)
        raise
    finally:
        close_fds(write_fd, pid_read, pid_write, go_read, go_write)
    return Launched(pid, None, read_fd, pgid=group, started_ns=started)


def _high_pipe() -> tuple[int, int]:
    """A pipe numbered above 9 (close-on-exec), so dup2 onto fds 4 and 5 cannot clobber it."""
    ends = os.pipe()
    try:
        return tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in ends)  # type: ignore[return-value]
    finally:
        close_fds(*ends)


def _read_pid(fd: int, deadline: float) -> int | None:
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 32)
        if not chunk:
            return None
        data += chunk
    try:
        return int(data)
    except ValueError:
        return None
