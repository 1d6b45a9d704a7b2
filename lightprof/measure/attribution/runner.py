"""One attribution start: launch a command, wait until the target is ready, stop it.

Attribution runs are not timed against budgets (the cold-start runs are): they only need to know
when the target became ready, so that what it wrote to stderr until then (its import times) and
what a profiler sampled until then belong to the way to ready. stderr goes to a file, read up to
its size at the moment of ready. A server is stopped with `stop_signal` first (SIGINT lets py-spy
and node write their profiles), then its whole process group with SIGTERM and SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lightprof.measure.target.ready import OutputWatch, busy_port, make_probe, poll_interval
from lightprof.profile.spec import ReadySpec

TAIL_BYTES = 2000


@dataclass
class Started:
    """What one start left: its stderr up to ready, its time to ready, or why it failed."""

    stderr: str
    ready_s: float | None
    error: str | None = None
    exit_code: int | None = None
    # The launched process ended while others of its group still ran: a profiler that lost its
    # target (py-spy exits when it can no longer read it) leaves the target running.
    left_running: bool = False


def start_to_ready(
    argv: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    ready: ReadySpec,
    timeout: float,
    grace: float,
    stderr_path: Path,
    stop_signal: int = signal.SIGTERM,
) -> Started:
    """Run `argv` once to ready and stop it (and everything it started); never leaves a process behind."""
    probe = make_probe(ready)
    if probe is not None and (taken := busy_port(probe)) is not None:
        return Started("", None, taken)
    watch = OutputWatch(ready.pattern) if ready.kind == "stdout" and ready.pattern else None
    with open(stderr_path, "wb") as err:
        try:
            proc = subprocess.Popen(
                argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stderr=err,
                stdout=subprocess.PIPE if watch is not None else subprocess.DEVNULL, start_new_session=True,
            )
        except OSError as exc:
            return Started("", None, f"cannot start {argv[0]}: {exc.strerror or exc}")
    started = time.monotonic()
    if proc.stdout is not None:
        os.set_blocking(proc.stdout.fileno(), False)
    ready_s: float | None = None
    seen_err = 0
    left_running = False
    try:
        while True:
            elapsed = time.monotonic() - started
            exited = proc.poll() is not None
            left_running = exited and _group_alive(proc.pid)
            if ready.kind == "exit":
                if exited:
                    ready_s = elapsed
                    break
            elif watch is not None:
                seen_err = _feed(watch, proc, stderr_path, seen_err)
                if watch.matched:
                    ready_s = elapsed
                    break
            elif probe is not None and probe(max(timeout - elapsed, 0.001)):
                ready_s = elapsed
                break
            if exited:
                break
            if elapsed >= timeout:
                break
            time.sleep(poll_interval(elapsed) if ready.kind != "exit" else 0.002)
        size = stderr_path.stat().st_size
    finally:
        _stop(proc, stop_signal, grace)
    text = stderr_path.read_bytes()[:size].decode("utf-8", "replace")
    if ready_s is not None:
        return Started(text, ready_s, exit_code=proc.returncode, left_running=left_running)
    if proc.returncode is not None and (ready.kind != "exit" and time.monotonic() - started < timeout):
        tail = text[-TAIL_BYTES:].strip()
        return Started(text, None, f"exited with code {proc.returncode} before it was ready"
                       + (f": {tail.splitlines()[-1]}" if tail else ""), proc.returncode, left_running)
    return Started(text, None, f"was not ready within {timeout:g}s", left_running=left_running)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _feed(watch: OutputWatch, proc: subprocess.Popen[bytes], stderr_path: Path, seen: int) -> int:
    """Give the ready pattern what the target printed since last time, stdout and stderr alike."""
    assert proc.stdout is not None
    with contextlib.suppress(BlockingIOError, OSError, ValueError):
        while chunk := proc.stdout.read(65536):
            watch.feed(chunk)
    with open(stderr_path, "rb") as err:
        err.seek(seen)
        data = err.read()
    # The interpreter's import-time lines are lightprof's doing, not the target's output.
    text = b"".join(line for line in data.splitlines(keepends=True) if not line.startswith(b"import time:"))
    if text:
        watch.feed(text)
    return seen + len(data)


def _stop(proc: subprocess.Popen[bytes], first: int, grace: float) -> None:
    """`first` to the target alone (it lets a profiler write its file), then its group: SIGTERM, SIGKILL."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            proc.send_signal(first)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(grace, 0.5))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        if sig == signal.SIGTERM:
            time.sleep(0.01)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(grace + 5)
    if proc.stdout is not None:
        proc.stdout.close()
