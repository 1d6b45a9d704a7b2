"""One cold start: spawn → ready, timed with a monotonic clock, then the target is stopped.

The timed window holds only the spawn, the start of memory sampling (a condition notify, sampled
runs only) and the wait for readiness; everything else (probe objects, file actions, environment)
is made before it. For `ready = "exit"` the window is posix_spawn + a blocking wait4, exactly what
`hyperfine -N` times; the run's supervisor thread enforces the timeout and cancellation from
outside. Servers are probed in a loop that sleeps on the target's pidfd.

Before a server is spawned its loopback ready port must be free; after its probe succeeds, the
target must still be alive and (where /proc tells) hold the listening socket itself, or the run
has timed someone else.
"""

from __future__ import annotations

import gc
import os
import select
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lightprof.measure.target import ports, watchdog
from lightprof.measure.target.launched import Exit, Launched, SpawnError
from lightprof.measure.target.memory import RunMemory, TreeSampler
from lightprof.measure.target.process import Spawner
from lightprof.measure.target.ready import OutputWatch, busy_port, make_probe, poll_interval, probed_address
from lightprof.measure.target.reap import stop_tree
from lightprof.model.target import Run
from lightprof.profile.spec import TargetSpec
from lightprof.units import format_duration

if TYPE_CHECKING:
    from lightprof.measure.events import EventSink
    from lightprof.measure.target.paths.eventlines import EventLines
    from lightprof.measure.target.paths.load import LoadOutcome

CANCEL_POLL_S = 0.05


@dataclass
class Outcome:
    run: Run
    memory: RunMemory
    # False when nothing was started (the command could not be spawned, or its ready port was
    # taken before the spawn): such a run says why the target cannot be measured, not how it ran.
    spawned: bool = True
    # The memory run of a target with paths or telemetry (measure/target/paths): what its load saw.
    load: LoadOutcome | None = None
    events: EventLines | None = None


def _drain(launched: Launched, watch: OutputWatch | None) -> bool:
    """Read what the target printed so far; True when the ready pattern has appeared."""
    if launched.output_fd is None or watch is None:
        return bool(watch and watch.matched)
    matched = False
    while True:
        try:
            chunk = os.read(launched.output_fd, 65536)
        except (BlockingIOError, InterruptedError):
            break
        except OSError:
            chunk = b""
        if not chunk:
            # End of file: the target closed its output. Polling it again would return at once,
            # for ever (a busy loop); from now on only its exit or the timeout can end the wait.
            launched.close_output()
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


def _not_started(error: str, *, warmup: bool, hold: bool, index: int) -> Outcome:
    run = Run(warmup=warmup, ready_s=None, wall_s=0.0, user_s=0.0, sys_s=0.0, peak_rss_bytes=0,
              exit_code=None, error=error, hold=hold, index=index)
    return Outcome(run, RunMemory(), spawned=False)


def run_once(spec: TargetSpec, spawner: Spawner, sampler: TreeSampler, **kwargs: Any) -> Outcome:
    """One run (see `_run_once`); with cache = "cold", in fresh bytecode and compile cache folders."""
    if spec.cache != "cold":
        return _run_once(spec, spawner, sampler, **kwargs)
    from lightprof.measure.attribution.cache import cold_caches

    with cold_caches(spawner.env):
        return _run_once(spec, spawner, sampler, **kwargs)


def _run_once(
    spec: TargetSpec,
    spawner: Spawner,
    sampler: TreeSampler,
    *,
    index: int,
    warmup: bool,
    hold: bool,
    sampled: bool,
    cancel: threading.Event,
    exact_peak: bool = False,
    on_event: EventSink | None = None,
) -> Outcome:
    """Launch the target once, time it to ready, optionally hold it, then stop its whole tree.

    Only a `sampled` run has its tree's RSS sampled: the sampler's /proc reads compete with the
    target for CPU on small machines. With `exact_peak` (the memory run) the target is forked by
    /bin/sh (see `Spawner.launch_forked`) so that its wait4 reports its own peak RSS; its spawn
    → ready time then excludes the shell's start.
    """
    ready = spec.ready
    blocking = ready.kind == "exit"
    probe = None if blocking else make_probe(ready)
    watch = OutputWatch(ready.pattern) if ready.kind == "stdout" and ready.pattern else None
    if probe is not None and (taken := busy_port(probe)) is not None:
        return _not_started(taken, warmup=warmup, hold=hold, index=index)
    forked = exact_peak and spawner.forkable
    error: str | None = None
    ready_ns: int | None = None
    end_ns: int | None = None
    exit_info: Exit | None = None
    memory = RunMemory()
    load: LoadOutcome | None = None

    spawner.prepare()
    lines = _listen_for_events(spec, spawner) if exact_peak else None
    wall_start = time.time()
    if blocking:
        spawner.supervisor.arm(time.perf_counter_ns() + int(spec.timeout * 1e9), spec.grace, cancel)
    # No garbage collection inside the timed window (as timeit does): a pass costs ~100 µs.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    t0 = time.perf_counter_ns()
    try:
        try:
            launched = spawner.launch_forked(spec.timeout) if forked else spawner.launch()
        except SpawnError:
            if not forked:
                raise
            # No exact peak then, but the run still counts: spawn it the usual way.
            forked = False
            launched = spawner.launch()
    except SpawnError as exc:
        if gc_was_enabled:
            gc.enable()
        if blocking:
            spawner.supervisor.disarm()
        return _not_started(str(exc), warmup=warmup, hold=hold, index=index)
    if blocking:
        spawner.supervisor.started(launched.pgid, launched.pid)
    if launched.started_ns is not None:
        t0 = launched.started_ns  # the shell that forked it is not the target's start
    if sampled:
        sampler.begin(launched.pid, t0)
    try:
        if blocking:
            exit_info = launched.reap()  # the supervisor ends it on timeout or cancel
            end_ns = launched.ended_ns
            stopped = spawner.supervisor.disarm()
            if stopped == "cancelled":
                error = "cancelled"
            elif stopped == "timeout":
                error = f"timed out after {format_duration(spec.timeout)}"
            elif exit_info.status != 0:
                error = exit_info.describe()
            else:
                ready_ns = end_ns
        else:
            launched.watch()
            # A server lives on: the watchdog stops its group even if lightprof dies (one small
            # write; a server's spawn → ready is milliseconds at least).
            watchdog.watch_group(launched.pgid, launched.pid)
            while True:
                now = time.perf_counter_ns()
                elapsed = (now - t0) / 1e9
                if (probe is not None and probe(spec.timeout - elapsed)) or _drain(launched, watch):
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
                if elapsed >= spec.timeout:
                    error = f"never became ready ({ready.describe()}) within {format_duration(spec.timeout)}"
                    break
                # Output and exit wake the wait at once; only a probe needs polling.
                interval = poll_interval(elapsed) if probe is not None else CANCEL_POLL_S
                _wait(launched, min(interval, spec.timeout - elapsed))
            if ready_ns is not None and probe is not None:
                # After the ready stamp, so these checks never count in the time.
                error, exit_info, end_ns = _check_answer(probe, launched, ready.describe())
                if error is not None:
                    ready_ns = None
            if ready_ns is not None and hold:
                if sampled:
                    sampler.sample_now()
                error, exit_info, end_ns = _hold(launched, watch, ready_ns + int(spec.hold * 1e9), cancel)
                if sampled:
                    sampler.sample_now()
                if error is None and sampled and (spec.paths or spec.telemetry):
                    # The critical paths and telemetry (measure/target/paths), then the loaded hold.
                    from lightprof.measure.target.paths.load import run_load

                    load = run_load(spec, launched, sampler, t0, cancel, on_event)
                    if lines is not None:
                        lines.settle(spawner.supervisor.tail)
                    error = load.error or ("cancelled" if cancel.is_set() else None)
                    if launched.exit is not None:
                        exit_info, end_ns = launched.exit, launched.ended_ns or time.perf_counter_ns()
                    elif error is None:
                        error, exit_info, end_ns = _hold(
                            launched, watch, time.perf_counter_ns() + int(spec.hold * 1e9), cancel)
                        sampler.sample_now()
    finally:
        if gc_was_enabled:
            gc.enable()
        if blocking:
            spawner.supervisor.disarm()
        if sampled:
            memory = sampler.end()
        if exit_info is None:
            exit_info = stop_tree(launched, spec.grace, memory.seen, since=wall_start)
            end_ns = time.perf_counter_ns()
        else:
            # The target ended by itself: kill whatever it left running (daemons, setsid escapees).
            stop_tree(launched, 0.0, memory.seen, since=wall_start)
        if lines is not None:
            spawner.supervisor.tail()  # what the target wrote before it ended is still in the pipe
            spawner.supervisor.lines = None
            spawner.route_stdout(False)
            lines.close()

    assert end_ns is not None
    # A forked target's wait4 is its own peak (and its waited-for children's, each alone);
    # otherwise ru_maxrss holds lightprof's own size (vfork) and says nothing about the target.
    exact = exit_info.maxrss_bytes if forked else 0
    peak = max(memory.peak, exact) if sampled else exact
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
        peak_rss_bytes=peak,
        exit_code=exit_info.code,
        error=error,
        stderr_tail=tail,
        hold=hold,
        memory_run=sampled,
        index=index,
    )
    return Outcome(run, memory, load=load, events=lines)


def _listen_for_events(spec: TargetSpec, spawner: Spawner) -> EventLines | None:
    """With `[target.telemetry] events = true`: this run's stdout joins stderr in the supervisor's
    pipe, whose drain hands every chunk to the event lines."""
    if spec.telemetry is None or not spec.telemetry.events:
        return None
    from lightprof.measure.target.paths.eventlines import EventLines

    lines = EventLines()
    spawner.route_stdout(True)
    spawner.supervisor.lines = lines.feed
    return lines


def _hold(launched: Launched, watch: OutputWatch | None, until_ns: int,
          cancel: threading.Event) -> tuple[str | None, Exit | None, int | None]:
    """Keep the ready target running until `until_ns`: (why it stopped early, its exit, end)."""
    while (left := (until_ns - time.perf_counter_ns()) / 1e9) > 0:
        if launched.wait_exit(0):
            exit_info = launched.reap()
            return f"{exit_info.describe()} while held after ready", exit_info, time.perf_counter_ns()
        if cancel.is_set():
            return "cancelled", None, None
        _drain(launched, watch)
        _wait(launched, min(left, CANCEL_POLL_S))
    return None, None, None


def _check_answer(
    probe: object, launched: Launched, what: str
) -> tuple[str | None, Exit | None, int | None]:
    """After a successful probe: (why the answer was not the target's, its exit if it ended, end).

    A probe answered while the target has already exited came from another process; so did one
    whose listening socket no process of the target's tree holds (where /proc tells).
    """
    if launched.wait_exit(0):
        exit_info = launched.reap()
        address = probed_address(probe)  # type: ignore[arg-type]
        holder = (ports.describe_holder(address[1]) if address else "") or " by another process"
        sentence = f"{exit_info.describe()} before it became ready ({what}): the probe was answered{holder}"
        return sentence, exit_info, time.perf_counter_ns()
    address = probed_address(probe)  # type: ignore[arg-type]
    if address is not None:
        problem = ports.owner_problem(address[1], launched.pid)
        if problem is not None:
            return problem, None, None
    return None, None, None

