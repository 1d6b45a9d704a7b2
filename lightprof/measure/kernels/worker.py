"""A kernel's fallback, run out of lightprof's process: a worker with a time limit, reaped like a target.

A fallback is the user's Python. In lightprof's own process it could end the whole run
(`sys.exit`), hang it, or leave processes behind. Here it runs in `_fallback_worker.py`, a process
that leads its own session: every request has a deadline, and at the end (or on a timeout, a crash,
a cancel) the worker's whole process group is killed and its descendants swept, as a target's are.
Whatever the fallback does becomes a `KernelFailure("fallback", sentence)`: the kernel is
unmeasured (exit 3) and the other subjects still run.

Not isolated (docs/kernels.md, "Isolation"): the worker runs as the user, with the user's files,
network and environment; a fallback can still write or delete files. It dies with lightprof
(PR_SET_PDEATHSIG) on Linux.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from lightprof.measure.kernels.failure import KernelFailure

_SCRIPT = Path(__file__).with_name("_fallback_worker.py")
_POLL_S = 0.05  # how often a wait looks at the cancel flag


class FallbackWorker:
    """One worker process for one kernel's fallback (and its optional NumPy implementation)."""

    def __init__(self, fallback: Path, timeout_s: float, cancel: threading.Event | None = None) -> None:
        from lightprof.measure.target.subreaper import become_subreaper

        self.fallback = fallback
        self.timeout_s = timeout_s
        self.cancel = cancel
        self.started_at = time.time()
        become_subreaper()  # a grandchild that escapes the group is adopted, and so found and killed
        to_worker_r, self._to = os.pipe()
        self._from, from_worker_w = os.pipe()
        started = time.perf_counter()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, str(_SCRIPT), str(to_worker_r), str(from_worker_w), str(os.getpid())],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(to_worker_r, from_worker_w), start_new_session=True, cwd=str(fallback.parent),
            )
        except OSError as exc:
            os.close(self._to)
            os.close(self._from)
            raise KernelFailure("fallback", f"cannot start a worker process for {fallback.name}: "
                                            f"{exc.strerror or exc}") from None
        finally:
            os.close(to_worker_r)
            os.close(from_worker_w)
        try:
            self.features: dict[str, bool] = self.request(("load", str(fallback)), f"importing {fallback.name}")
            if not self.features.get("run"):
                raise KernelFailure("fallback", f"{fallback} must define run(data, *args)")
        except BaseException:
            self.close()
            raise
        self.start_s = time.perf_counter() - started

    # ------------------------------------------------------------------ requests

    def request(self, message: tuple, doing: str, timeout_s: float | None = None) -> Any:
        """Send one request and wait (within the deadline) for its reply's value."""
        if self.proc is None:
            raise KernelFailure("fallback", f"the worker running {self.fallback.name} was already stopped")
        if self.proc.poll() is not None:
            raise self._ended(doing)
        try:
            data = marshal.dumps(message)
            _write_all(self._to, len(data).to_bytes(4, "little") + data)
        except OSError:
            raise self._ended(doing) from None
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        header = self._read(4, deadline, doing)
        reply = marshal.loads(self._read(int.from_bytes(header, "little"), deadline, doing))
        if reply[0] == "error":
            raise KernelFailure("fallback", f"{self.fallback.name} raised {reply[1]} while {doing}")
        return reply[1]

    def _read(self, size: int, deadline: float, doing: str) -> bytes:
        chunks = []
        while size:
            wait = deadline - time.monotonic()
            if self.cancel is not None and self.cancel.is_set():
                self.close()
                raise KernelFailure("cancelled", "measuring was cancelled")
            if wait <= 0:
                self.close()
                raise KernelFailure("fallback", f"{self.fallback.name} did not finish {doing} within "
                                                f"{self.timeout_s:g} s per call; its worker process was stopped")
            ready, _, _ = select.select([self._from], [], [], min(wait, _POLL_S))
            if not ready:
                continue
            chunk = os.read(self._from, min(size, 1 << 20))
            if not chunk:
                raise self._ended(doing)
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _ended(self, doing: str) -> KernelFailure:
        try:
            code = self.proc.wait(timeout=5) if self.proc is not None else None
        except subprocess.TimeoutExpired:
            code = None
        self.close()
        if code is None:
            how = "closed its pipe"
        elif code < 0:
            how = f"was killed by {_signal_name(-code)}"
        else:
            how = f"exited with code {code}"
        return KernelFailure("fallback", f"the worker process running {self.fallback.name} {how} while {doing} "
                                         "(a fallback must return, not end its process)")

    # ------------------------------------------------------------------ the lab's calls

    def has(self, feature: str) -> bool:
        return bool(self.features.get(feature))

    def make_input(self, size: int, seed: int) -> bytes:
        data = self.request(("input", size, seed), f"make_input({size})")
        if not isinstance(data, bytes) or len(data) != size:
            got = f"{len(data)} bytes" if isinstance(data, bytes) else type(data).__name__
            raise KernelFailure("fallback", f"make_input({size}) in {self.fallback.name} returned {got}, "
                                            f"expected {size} bytes")
        return data

    def call(self, impl: str, data: bytes, args: tuple) -> Any:
        """The output of `impl` ("run" or "run_numpy") on `data`, as plain ints/floats/lists."""
        return self.request(("call", impl, data, list(args)), f"{impl}() on a {len(data)} byte payload")

    def time(self, impl: str, data: bytes, args: tuple, warmup: int, runs: int) -> tuple[list[int], int]:
        """Per-call nanoseconds of `runs` calls after `warmup`, timed inside the worker, and its CPU ns."""
        samples, cpu_ns = self.request(("time", impl, data, list(args), warmup, runs),
                                       f"timing {impl}() on a {len(data)} byte payload",
                                       timeout_s=self.timeout_s * (warmup + runs))
        return list(samples), int(cpu_ns)

    def round_trip_s(self, count: int = 20) -> list[float]:
        """Seconds per empty request: what the pipe costs, reported apart from the fallback's op."""
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            self.request(("ping",), "answering a ping")
            samples.append(time.perf_counter() - started)
        return samples

    def close(self) -> None:
        """Kill the worker's process group and whatever it started, and reap them."""
        proc = getattr(self, "proc", None)
        if proc is None:
            return
        self.proc = None  # type: ignore[assignment]
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        from lightprof.measure.target.reap import sweep_descendants

        sweep_descendants(since=self.started_at, pgid=proc.pid)
        for fd in (self._to, self._from):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> FallbackWorker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
