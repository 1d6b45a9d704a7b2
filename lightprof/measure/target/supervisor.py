"""A thread beside the runs of one target: it keeps a bounded tail of stderr and enforces deadlines.

Stderr: every run writes its stderr into one pipe that lives as long as the Spawner (enlarged to
1 MiB where Linux allows); this thread drains it into a ring of `TAIL_BYTES` on each tick, so a
target that floods stderr costs neither disk nor memory (an unbounded temporary file grew by
gigabytes), and only a failed run reads the tail. It does not wake for every write: a wake-up
inside a run that writes some stderr slows that run (bench/bench_coldstart.py times such a target
against hyperfine, whose targets write to /dev/null). A target that fills half the pipe within a
tick is drained as it writes from then on, so a flood is not held back.

Deadlines: a run that waits for its target to exit blocks in wait4 with nothing else in the timed
window, exactly as `hyperfine -N` does (a pidfd and a select there made `true` measurably slower
than hyperfine in bench/bench_coldstart.py). This thread ends such a wait when the run's time is
up or it is cancelled: SIGTERM to the target's group, SIGKILL after the grace period. It also
records long runs with the watchdog, so a short timed run never pays for that write.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import threading
import time
from collections.abc import Callable

from lightprof.measure.target import watchdog

TAIL_BYTES = 16 * 1024
PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = 1031  # Linux; fcntl.F_SETPIPE_SZ from Python 3.10 on
TICK_S = 0.05  # how often deadlines and cancellation are checked and the pipe drained
WATCH_AFTER_NS = 50_000_000  # a run still going after this is recorded with the watchdog


class RunSupervisor:
    """Drains the stderr pipe and stops a run that overstays its deadline or is cancelled."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()  # both close-on-exec; runs get write_fd as fd 2
        os.set_blocking(self.read_fd, False)
        self.capacity = 65536
        with contextlib.suppress(OSError):
            self.capacity = fcntl.fcntl(self.write_fd, getattr(fcntl, "F_SETPIPE_SZ", _F_SETPIPE_SZ), PIPE_BYTES)
        self._flooding = False  # once a tick found the pipe half full: drain as it is written
        self._pending = select.poll()
        self._pending.register(self.read_fd, select.POLLIN)
        self._tail = bytearray()
        # Handed every chunk drained while set (the memory run's event lines: measure/target/paths).
        self.lines: Callable[[bytes], None] | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._wake = threading.Event()  # set by close(): the thread need not finish its tick
        # The armed run (all None when idle), set by the measuring thread, read by this one.
        self._deadline_ns: int | None = None
        self._armed_ns = 0
        self._grace_s = 0.0
        self._cancel: threading.Event | None = None
        self._pgid: int | None = None
        self._pid: int | None = None
        self._watched = False
        self._stop_reason: str | None = None
        self._term_ns: int | None = None
        self._thread = threading.Thread(target=self._loop, name="lightprof-run-supervisor", daemon=True)
        self._thread.start()

    # -- the measuring thread's side --------------------------------------------------------

    def clear(self) -> None:
        """Forget the last run's stderr (before the next run's timed window)."""
        with self._lock:
            # One poll finds the pipe empty in the usual case (a read that finds nothing raises).
            if self._tail or self._pending.poll(0):
                self._drain_locked()
                self._tail.clear()

    def tail(self) -> bytes:
        with self._lock:
            self._drain_locked()
            return bytes(self._tail)

    def arm(self, deadline_ns: int, grace_s: float, cancel: threading.Event) -> None:
        """Watch the next run: it must end by `deadline_ns` (perf_counter_ns) unless cancelled."""
        with self._lock:
            self._pgid = None
            self._watched = False
            self._stop_reason = None
            self._term_ns = None
            self._grace_s = grace_s
            self._cancel = cancel
            self._armed_ns = time.perf_counter_ns()
            self._deadline_ns = deadline_ns

    def started(self, pgid: int, pid: int | None = None) -> None:
        """The armed run's target `pid` now runs in group `pgid` (attribute stores: timed window)."""
        self._pid = pid
        self._pgid = pgid

    def disarm(self) -> str | None:
        """Stop watching; why this thread stopped the run ("timeout", "cancelled"), or None."""
        with self._lock:
            self._deadline_ns = None
            self._pgid = None
            return self._stop_reason

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=1.0)
        for fd in (self.read_fd, self.write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)

    # -- this thread ------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._closed:
            if self._flooding:
                select.select([self.read_fd], [], [], TICK_S)
            elif self._wake.wait(TICK_S):
                return
            with self._lock:
                if self._drain_locked() >= self.capacity // 2:
                    self._flooding = True
                if self._deadline_ns is not None and self._pgid is not None:
                    self._enforce_locked(time.perf_counter_ns())

    def _drain_locked(self) -> int:
        """Move what the pipe holds into the tail; return how many bytes that was."""
        moved = 0
        # Bounded: a target that writes as fast as this reads must not hold the lock for ever.
        for _ in range(max(16, 2 * self.capacity // 65536)):
            try:
                chunk = os.read(self.read_fd, 65536)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            moved += len(chunk)
            if self.lines is not None:
                self.lines(chunk)
            self._tail += chunk
            if len(self._tail) > TAIL_BYTES:
                del self._tail[: len(self._tail) - TAIL_BYTES]
        return moved

    def _enforce_locked(self, now: int) -> None:
        pgid = self._pgid
        assert pgid is not None and self._deadline_ns is not None
        if not self._watched and now - self._armed_ns >= WATCH_AFTER_NS:
            self._watched = True
            watchdog.watch_group(pgid, self._pid)
        if self._term_ns is None:
            cancelled = self._cancel is not None and self._cancel.is_set()
            if cancelled or now >= self._deadline_ns:
                self._stop_reason = "cancelled" if cancelled else "timeout"
                self._term_ns = now
                self._signal(pgid, signal.SIGTERM)
        elif now >= self._term_ns + int(self._grace_s * 1e9):
            self._signal(pgid, signal.SIGKILL)

    @staticmethod
    def _signal(pgid: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
