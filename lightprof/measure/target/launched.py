"""A started target (`Launched`) and how it ended (`Exit`), read with its own rusage."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

# Linux reports ru_maxrss in KiB, macOS in bytes.
_MAXRSS_UNIT = 1 if sys.platform == "darwin" else 1024
DEFAULT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, name))


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


def close_fds(*fds: int | None) -> None:
    for fd in fds:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
