"""One cold start: spawn → ready, timed with a monotonic clock, then the target is stopped.

The timed window holds only the spawn, the start of memory sampling (a condition notify) and the
wait for readiness; everything else (probe objects, file actions, environment) is made before it.
For `ready = "exit"` the window ends when the process has ended, exactly as `hyperfine -N` times it.
"""

from __future__ import annotations

import gc
import os
import select
import threading
import time
from dataclasses import dataclass

from lightprof.measure.memory import RunMemory, TreeSampler
from lightprof.measure.process import Launched, Spawner, SpawnError, stop_tree
from lightprof.measure.ready import OutputWatch, make_probe, poll_interval
from lightprof.profile import TargetSpec
from lightprof.result import Run
from lightprof.units import format_duration

CANCEL_POLL_S = 0.05


_status_fd: int | None = None


def own_rss_floor() -> int:
    """lightprof's own peak resident size (VmHWM).

    posix_spawn uses vfork, and on exec Linux folds the *parent's* peak RSS into the child's
    ru_maxrss (fork copies it too). So a child's ru_maxrss at or below this figure says only "no
    more than lightprof itself", never the child's own peak. (Resetting the mark through
    /proc/self/clear_refs would lower the floor, but measurably slows the next spawn.)

    One pread of a descriptor opened once; see `child_peak` for how rarely it is needed.
    """
    global _status_fd
    try:
        if _status_fd is None:
            _status_fd = os.open("/proc/self/status", os.O_RDONLY | os.O_CLOEXEC)
        status = os.pread(_status_fd, 8192, 0)
        start = status.index(b"VmHWM:")
        return int(status[start + 6 : status.index(b"\n", start)].split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        return 0


_floor_seen = 0


def child_peak(maxrss: int) -> tuple[int, int]:
    """(the child's own peak from its ru_maxrss, or 0 when that says nothing; the floor used).

    Reading lightprof's own peak costs ~20 µs of kernel work, and any work between two runs slows
    the next spawn (bench/bench_coldstart.py against hyperfine). lightprof's peak only grows, so
    the last figure read settles a ru_maxrss at or below it; only a larger one needs a fresh read.
    """
    global _floor_seen
    if maxrss > _floor_seen:
        _floor_seen = max(_floor_seen, own_rss_floor())
    return (maxrss if maxrss > _floor_seen else 0), _floor_seen


@dataclass
class Outcome:
    run: Run
    memory: RunMemory


def _drain(launched: Launched, watch: OutputWatch | None) -> bool:
    """Read what the target printed so far; True when the ready pattern has appeared."""
    if launched.output_fd is None or watch is None:
        return False
    matched = False
    while True:
        try:
            chunk = os.read(launched.output_fd, 65536)
        except BlockingIOError:
            break
        except OSError:
            break
        if not chunk:
            break
        matched = watch.feed(chunk) or matched
    return matched or watch.matched


def _wait(launched: Launched, seconds: float) -> None:
    """Sleep up to `seconds`, waking early when the target exits or prints."""
    fds = [fd for fd in (launched.pidfd, launched.output_fd) if fd is not None]
    if fds:
        select.select(fds, [], [], max(seconds, 0.0))
    else:
        time.sleep(max(seconds, 0.0))


def run_once(
    spec: TargetSpec,
    spawner: Spawner,
    sampler: TreeSampler,
    *,
    index: int,
    warmup: bool,
    hold: bool,
    sampled: bool,
    cancel: threading.Event,
) -> Outcome:
    """Launch the target once, time it to ready, optionally hold it, then stop its whole tree.

    Only a `sampled` run has its tree's RSS sampled: the sampler's /proc walks compete with the
    target for CPU on small machines, so timed runs rely on wait4's rusage alone.
    """
    ready = spec.ready
    probe = make_probe(ready)
    watch = OutputWatch(ready.pattern) if ready.kind == "stdout" and ready.pattern else None
    timeout_ns = int(spec.timeout * 1e9)
    error: str | None = None
    ready_ns: int | None = None
    end_ns: int | None = None

    spawner.prepare()
    wall_start = time.time()
    # No garbage collection inside the timed window (as timeit does): a pass costs ~100 µs.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    t0 = time.perf_counter_ns()
    try:
        launched = spawner.launch()
    except SpawnError as exc:
        if gc_was_enabled:
            gc.enable()
        run = Run(warmup=warmup, ready_s=None, wall_s=0.0, user_s=0.0, sys_s=0.0, peak_rss_bytes=0,
                  exit_code=None, error=str(exc), hold=hold, index=index)
        return Outcome(run, RunMemory())
    if sampled:
        sampler.begin(launched.pid, t0)
    memory = RunMemory()
    exit_info = None
    try:
        if ready.kind == "exit":
            while True:
                remaining = (t0 + timeout_ns - time.perf_counter_ns()) / 1e9
                if launched.wait_exit(min(remaining, CANCEL_POLL_S)):
                    exit_info = launched.reap()
                    end_ns = launched.ended_ns
                    break
                if cancel.is_set():
                    error = "cancelled"
                    break
                if remaining <= 0:
                    error = f"timed out after {format_duration(spec.timeout)}"
                    break
            if exit_info is not None and exit_info.status != 0:
                error = exit_info.describe()
            elif exit_info is not None:
                ready_ns = end_ns
        else:
            while True:
                now = time.perf_counter_ns()
                if (probe is not None and probe()) or _drain(launched, watch):
                    ready_ns = time.perf_counter_ns() if probe is not None else now
                    break
                if launched.wait_exit(0):
                    _drain(launched, watch)
                    exit_info = launched.reap()
                    end_ns = time.perf_counter_ns()
                    error = f"{exit_info.describe()} before it became ready ({ready.describe()})"
                    break
                if cancel.is_set():
                    error = "cancelled"
                    break
                elapsed = (now - t0) / 1e9
                if elapsed >= spec.timeout:
                    error = f"never became ready ({ready.describe()}) within {format_duration(spec.timeout)}"
                    break
                _wait(launched, min(poll_interval(elapsed), spec.timeout - elapsed))
            if ready_ns is not None and hold:
                if sampled:
                    sampler.sample_now()
                hold_end = ready_ns + int(spec.hold * 1e9)
                while (left := (hold_end - time.perf_counter_ns()) / 1e9) > 0:
                    if launched.wait_exit(0):
                        exit_info = launched.reap()
                        end_ns = time.perf_counter_ns()
                        error = f"{exit_info.describe()} while held after ready"
                        break
                    if cancel.is_set():
                        error = "cancelled"
                        break
                    _drain(launched, watch)
                    _wait(launched, min(left, CANCEL_POLL_S))
                if sampled:
                    sampler.sample_now()
    finally:
        if gc_was_enabled:
            gc.enable()
        if sampled:
            memory = sampler.end()
        if exit_info is None:
            exit_info = stop_tree(launched, spec.grace, memory.seen, since=wall_start)
            end_ns = time.perf_counter_ns()
        else:
            # The target ended by itself: kill whatever it left running (daemons, setsid escapees).
            stop_tree(launched, 0.0, memory.seen, since=wall_start)

    assert end_ns is not None
    own_peak, rss_floor = child_peak(exit_info.maxrss_bytes)
    # Only a failed run shows its output: a passing one costs no read of it.
    tail = None
    if error:
        tail = watch.tail() if watch is not None else spawner.stderr_tail()
    run = Run(
        warmup=warmup,
        ready_s=(ready_ns - t0) / 1e9 if ready_ns is not None and error is None else None,
        wall_s=(end_ns - t0) / 1e9,
        user_s=exit_info.user_s,
        sys_s=exit_info.sys_s,
        peak_rss_bytes=max(memory.peak, own_peak),
        rss_floor_bytes=rss_floor,
        exit_code=exit_info.code,
        error=error,
        stderr_tail=tail,
        hold=hold,
        memory_run=sampled,
        index=index,
    )
    return Outcome(run, memory)
