"""Measure one target: warm-ups, timed runs (more near a threshold), then one memory run.

Timed runs are not sampled, so lightprof's /proc reads do not slow the target it times (on two
cores they would); the final memory run samples the whole tree at `sample_hz` from spawn until it
exits, or for servers through the `hold` window after ready. The memory run is forked by a shell
(`Spawner.launch_forked`), so its wait4 reports the target's own exact peak even when it ends
before the first sample; peak RSS = max(sampled tree peak, that exact peak). The TUI may sample
every run (`sample_all_runs`) to draw memory live. Samples stream out through `on_event` as they
arrive; the headless gate and the TUI consume the same stream. A failed run stops the target: its
budgets are then unmeasured (exit 3).
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Callable

from lightprof.measure.events import (
    EventSink,
    MemorySample,
    RunFinished,
    RunStarted,
    TargetFinished,
    ignore,
)
from lightprof.measure.target.coldstart import Outcome, run_once
from lightprof.measure.target.launched import SpawnError
from lightprof.measure.target.memory import TreeSampler
from lightprof.measure.target.process import Spawner
from lightprof.model.target import Memory, ProcessInfo, TargetResult
from lightprof.profile.spec import TargetSpec
from lightprof.stats import summarize

# Asked after the planned runs: how many more runs would settle an undecided budget (0 = none).
MoreRuns = Callable[[TargetResult], int]
TIMELINE_POINTS = 2000
# Quiet before a target's first run. Whatever lightprof did just before (its imports, the
# watchdog's start, the last target) slows the next spawns for some tens of ms, so the first few
# dozen runs of a short target would time lightprof's aftermath, not the target (time.sleep(0.015)
# was not enough; bench/bench_coldstart.py --against compares with the code before).
SETTLE_S = 0.05


def measure_target(
    spec: TargetSpec,
    *,
    on_event: EventSink = ignore,
    cancel: threading.Event | None = None,
    more_runs: MoreRuns | None = None,
    sample_all_runs: bool = False,
) -> TargetResult:
    """Cold-start `spec` warmup + runs times (up to max_runs), watch its memory, return the result."""
    cancel = cancel or threading.Event()
    result = TargetResult(name=spec.name, command=command_of(spec), ready=spec.ready.describe())
    holds = spec.ready.kind != "exit" and (spec.hold > 0 or bool(spec.paths or spec.telemetry))
    planned = spec.warmup + spec.runs + 1
    state = {"index": 0}

    def forward(t_s: float, rss: int, procs: tuple[ProcessInfo, ...]) -> None:
        on_event(MemorySample(spec.name, state["index"], t_s, rss, procs))

    try:
        spawner = Spawner(spec.argv, str(spec.cwd), spec.env, capture_output=spec.ready.kind == "stdout")
    except SpawnError as exc:
        result.error = str(exc)
        on_event(TargetFinished(spec.name, result))
        return result
    except OSError as exc:
        result.error = f"cannot start: {exc}"
        on_event(TargetFinished(spec.name, result))
        return result
    sampler = TreeSampler(spec.sample_hz, on_sample=forward)
    outcomes: list[Outcome] = []
    cancel.wait(SETTLE_S)

    def launch(warmup: bool, memory_run: bool = False) -> bool:
        state["index"] = index = len(result.runs)
        hold = memory_run and holds
        on_event(RunStarted(spec.name, index, warmup, hold, planned))
        outcome = run_once(
            spec, spawner, sampler, index=index, warmup=warmup, hold=hold,
            sampled=memory_run or sample_all_runs, cancel=cancel, exact_peak=memory_run, on_event=on_event,
        )
        if not outcome.spawned:
            # Nothing ran: the sentence says why this target cannot be measured at all.
            result.error = outcome.run.error
            return False
        outcome.run.memory_run = memory_run
        result.runs.append(outcome.run)
        outcomes.append(outcome)
        on_event(RunFinished(spec.name, outcome.run, planned))
        if outcome.run.error is not None:
            if outcome.run.error != "cancelled":
                kind = "warm-up" if warmup else ("memory run" if memory_run else "run")
                result.error = f"{kind} {index + 1} {outcome.run.error}"
                result.stderr_tail = outcome.run.stderr_tail
            return False
        return True

    try:
        ok = True
        for _ in range(spec.warmup):
            if cancel.is_set() or not (ok := launch(True)):
                break
        measured = 0
        while ok and measured < spec.runs and not cancel.is_set():
            ok = launch(False)
            measured += ok
        summarize_runs(result)
        while ok and more_runs is not None and not cancel.is_set() and result.cold_start_s is not None:
            extra = min(more_runs(result), spec.max_runs - measured)
            if extra <= 0:
                break
            planned += extra
            for _ in range(extra):
                if cancel.is_set() or not (ok := launch(False)):
                    break
                measured += 1
                result.extra_runs += 1
            summarize_runs(result)
        if ok and not cancel.is_set():
            planned = len(result.runs) + 1
            launch(False, memory_run=True)
        result.memory = _memory(outcomes, sampler.interval, exits=spec.ready.kind == "exit")
        if spec.paths or spec.telemetry:
            from lightprof.measure.target.paths.load import apply_load

            memory_run = next((o for o in outcomes if o.run.memory_run), None)
            if memory_run is not None:
                apply_load(result, memory_run.run, memory_run.memory, memory_run.load, memory_run.events)
    finally:
        sampler.close()
        spawner.close()
    on_event(TargetFinished(spec.name, result))
    return result


def command_of(spec: TargetSpec) -> list[str] | str:
    """The command as a report records it: a shell string, or the argv as a list."""
    return spec.command if isinstance(spec.command, str) else list(spec.command)


def summarize_runs(result: TargetResult) -> None:
    """Set the cold-start summary from the timed runs (not warm-ups, not the memory run)."""
    times = [r.ready_s for r in result.runs if not r.warmup and not r.memory_run and r.ready_s is not None]
    failed = sum(1 for r in result.runs if r.error is not None and r.error != "cancelled")
    result.cold_start_s = summarize(times, failed=failed) if times else None


def _memory(outcomes: list[Outcome], interval: float, *, exits: bool) -> Memory | None:
    """The target's memory figures. Steady: after ready for a held target; over its sampled life
    for a target that exits; none for a server that was stopped at ready (its samples are of its
    start-up, not of its steady state: the rss_steady row then asks for a hold)."""
    measured = [o for o in outcomes if not o.run.warmup and o.run.error is None]
    if not measured:
        return None
    sampled = [o for o in measured if o.memory.samples]
    memory_runs = [o for o in measured if o.run.memory_run]
    source = memory_runs[-1] if memory_runs else (sampled[-1] if sampled else measured[-1])
    if source.run.hold:
        steady = source.memory.steady_after(source.run.ready_s or 0.0)
    elif exits and len(source.memory.samples) >= 3:
        # A target that exits: its steady figure is the median over its sampled life.
        steady = int(statistics.median(rss for _, rss in source.memory.samples))
    else:
        steady = None
    timeline = source.memory.samples
    if len(timeline) > TIMELINE_POINTS:
        step = len(timeline) / TIMELINE_POINTS
        timeline = [timeline[int(i * step)] for i in range(TIMELINE_POINTS)]
    # The memory run's figure is exact; a sampled run's tree sum is a real reading too.
    peak = max(o.run.peak_rss_bytes for o in measured)
    return Memory(
        steady_rss_bytes=steady,
        peak_rss_bytes=peak or None,
        timeline=list(timeline),
        sample_hz=1.0 / interval,
        samples=sum(len(o.memory.samples) for o in outcomes),
        sampler_cpu_s=sum(o.memory.cpu_s for o in outcomes),
        processes_seen=len({pid for o in outcomes for pid in o.memory.seen}),
        processes=source.memory.processes,
    )
