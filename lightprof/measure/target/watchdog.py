"""Starting the watchdog (`_watchdog.py`) once per lightprof process, and telling it what to stop.

Ctrl-C, SIGTERM and SIGHUP unwind through lightprof's own clean-up; SIGKILL (or a crash) cannot.
The watchdog is a small process that outlives lightprof by the time it takes to notice (end of
file on a pipe only lightprof writes to) and stop what is left: every process whose environment
holds this session's `LIGHTPROF_WATCH` token, and the process groups recorded here.

It must not slow timed runs: it is started, and waited for, before the first run; afterwards it
sleeps in a blocking read. Recording a group is one small write, done only for runs that last
(servers, and runs still going after their first 50 ms), never inside a short timed window.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import threading

from lightprof.measure.target._watchdog import MARKER

START_TIMEOUT_S = 5.0

_lock = threading.Lock()
_token: str | None = None
_pipe: int | None = None  # write end; closed by the kernel when lightprof ends


def marker(start: bool = True) -> dict[str, str]:
    """The environment entry every target gets, the watchdog started first (once) if `start`."""
    global _token
    with _lock:
        if _token is None:
            _token = f"{os.getpid()}-{os.urandom(8).hex()}"
            if start:
                _start(_token)
    return {MARKER: _token}


def watch_group(pgid: int, member: int | None = None) -> None:
    """Have the watchdog stop group `pgid` should lightprof die while `member` (its leader by
    default) still runs."""
    pipe = _pipe
    if pipe is None:
        return
    with contextlib.suppress(OSError):  # includes a full pipe (BlockingIOError): then it is skipped
        os.write(pipe, f"g {pgid} {pgid if member is None else member}\n".encode())


def running() -> bool:
    return _pipe is not None


def _start(token: str) -> None:
    """Spawn the watchdog and wait until it has detached and is listening."""
    global _pipe
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_watchdog.py")
    if not sys.executable or not os.path.isfile(script) or not os.path.isdir("/proc"):
        return
    from lightprof.measure.target.subreaper import paused_subreaper

    to_read, to_write = os.pipe()  # close-on-exec: targets never hold the write end
    ready_read, ready_write = os.pipe()
    try:
        # Its detached copy must not be adopted by lightprof (a subreaper), or every run would
        # find a child of lightprof left to sweep.
        with paused_subreaper():
            pid = os.posix_spawn(
                sys.executable, [sys.executable, "-I", "-S", script, token], os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, to_read, 0),
                    (os.POSIX_SPAWN_DUP2, ready_write, 1),
                    (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                ],
            )
            os.close(ready_write)
            ready_write = -1
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)  # the first copy exits once the detached one runs
        readable, _, _ = select.select([ready_read], [], [], START_TIMEOUT_S)
        if readable and os.read(ready_read, 16).startswith(b"ready"):
            os.set_blocking(to_write, False)  # a watchdog that stopped reading must not stall a run
            _pipe = to_write
            to_write = -1
    except OSError:
        pass
    finally:
        for fd in (to_read, to_write, ready_read, ready_write):
            if fd >= 0:
                os.close(fd)
