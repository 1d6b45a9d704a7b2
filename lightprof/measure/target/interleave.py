"""Two commands measured in one session, their runs interleaved: the base of every comparison.

A slower machine slows both sides of a pair alike, so the per-pair ratio cancels the drift that a
comparison with numbers taken minutes earlier cannot (FIELD-NOTES.md, "Which gate survives
noise"). Each pair runs both sides once, in random order (a fixed order would hand one side the
caches or the CPU boost the other warmed). Warm-up pairs come first and are discarded: the first
runs of a session are 10-60% slower. After the planned pairs, `more_pairs` is asked how many more
would settle an undecided check; they are taken until `max_runs` pairs or until the pairs have
taken `max_time`, whichever comes first.

The runs go through the engine's own `run_once` and `Spawner`, so an interleaved run is timed
exactly as a plain one; each side's memory run is the engine's (`measure_target` with one run).
Both sides are spawned the same way: before each launch the process changes into that side's
working folder, so neither pays for the `subprocess` path that another folder would need
(~40 µs, 4% of a 1 ms target). The working folder is restored afterwards, whatever happens.
"""

from __future__ import annotations

import dataclasses
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from lightprof.measure.events import EventSink, RunFinished, RunStarted, TargetFinished, ignore
from lightprof.measure.target.coldstart import run_once
from lightprof.measure.target.launched import SpawnError
from lightprof.measure.target.memory import TreeSampler
from lightprof.measure.target.process import Spawner
from lightprof.measure.target.runner import command_of, measure_target, summarize_runs
from lightprof.model.target import TargetResult
from lightprof.profile.spec import TargetSpec

# Asked after the planned pairs with both sides' timed runs so far (pair order): how many more
# pairs would settle an undecided check (0: none).
MorePairs = Callable[[list[float], list[float]], int]
# Given the head's first warm-up run time, the side to pair it with.
ChooseBase = Callable[[float], "Side"]


@dataclass
class Side:
    """One side of the comparison: what to run, the name its runs carry, whether to watch memory."""

    spec: TargetSpec
    name: str
    memory: bool = True


@dataclass
class Interleaved:
    """Both sides' results and their timed runs in pair order (`head_s[i]` ran beside `base_s[i]`)."""

    head: TargetResult
    base: TargetResult
    head_s: list[float]
    base_s: list[float]
    extra_pairs: int = 0
    stopped_by: str | None = None  # "max_runs" or "max_time" when more pairs were still wanted


CHOICE_WARMUPS = 3  # lone warm-ups of the head at most, when `base` depends on its duration
CHOICE_RECHECK_S = 0.05  # ... while the fastest so far is shorter than this (a slow target needs one)


def measure_interleaved(
    head: Side,
    base: Side | ChooseBase,
    *,
    more_pairs: MorePairs | None = None,
    on_event: EventSink = ignore,
    cancel: threading.Event | None = None,
    seed: int | None = None,
) -> Interleaved:
    """Run `head` and `base` in pairs (random order within each), then each side's memory run.

    The pair count, warm-ups, max_runs and max_time are the head's. A failed run of either side
    stops both; the side that failed carries the error (its budgets are then unmeasured). `base`
    may be a function of the head's duration: the head then runs a warm-up alone first (up to
    CHOICE_WARMUPS while it is short), and the function picks, from the fastest, the side to pair
    it with (a calibration of a similar cost).
    """
    cancel = cancel or threading.Event()
    rng = random.Random(seed)
    spec = head.spec
    out = Interleaved(
        head=TargetResult(name=head.name, command=command_of(head.spec), ready=head.spec.ready.describe()),
        base=TargetResult(name="", command=[], ready="exit"), head_s=[], base_s=[],
    )
    home = os.getcwd()
    sampler = TreeSampler(spec.sample_hz)
    spawners: list[Spawner] = []
    planned = {"pairs": spec.runs, "warmup": spec.warmup}

    def launch(side: Side, result: TargetResult, spawner: Spawner, warm: bool) -> bool:
        if cancel.is_set():
            return False
        index = len(result.runs)
        total = planned["warmup"] + planned["pairs"] + 1
        on_event(RunStarted(side.name, index, warm, False, total))
        os.chdir(side.spec.cwd)
        outcome = run_once(side.spec, spawner, sampler, index=index, warmup=warm, hold=False, sampled=False,
                           cancel=cancel)
        result.runs.append(outcome.run)
        on_event(RunFinished(side.name, outcome.run, total))
        error = outcome.run.error
        if error is not None:
            if error != "cancelled":
                result.error = f"{'warm-up' if warm else 'run'} {index + 1} {error}"
                result.stderr_tail = outcome.run.stderr_tail
            return False
        return True

    try:
        try:
            spawners.append(_spawner(head.spec))
            if not isinstance(base, Side):
                durations: list[float] = []
                # A loaded machine only slows a run: the fastest of a few lone warm-ups of a short
                # target picks its pair (one warm-up slowed to 8 ms once chose a Python start
                # to calibrate a 1 ms target).
                while not durations or (len(durations) < CHOICE_WARMUPS and min(durations) < CHOICE_RECHECK_S):
                    if not launch(head, out.head, spawners[0], True):
                        return _finish(out, head, on_event)
                    durations.append(out.head.runs[-1].ready_s or 0.0)
                base = base(min(durations))
            out.base = TargetResult(name=base.name, command=command_of(base.spec), ready=base.spec.ready.describe())
            spawners.append(_spawner(base.spec))
        except (SpawnError, OSError) as exc:
            failed = out.head if len(spawners) == 0 else out.base
            failed.error = f"cannot start: {exc}"
            return _finish(out, head, on_event)
        warmup = planned["warmup"] = max(head.spec.warmup, base.spec.warmup)
        sides = ((head, out.head, spawners[0]), (base, out.base, spawners[1]))

        def run_pair(warm: bool) -> bool:
            order = sides if rng.random() < 0.5 else sides[::-1]
            if not all(launch(side, result, spawner, warm) for side, result, spawner in order):
                return False
            if not warm:
                out.head_s.append(out.head.runs[-1].ready_s or 0.0)
                out.base_s.append(out.base.runs[-1].ready_s or 0.0)
            return True

        ok = all(run_pair(True) for _ in range(warmup))
        started = time.monotonic()
        while ok and len(out.head_s) < spec.runs:
            ok = run_pair(False)
        while ok and more_pairs is not None and not cancel.is_set():
            wanted = more_pairs(out.head_s, out.base_s)
            if wanted <= 0:
                break
            room = spec.max_runs - len(out.head_s)
            if room <= 0 or time.monotonic() - started >= spec.max_time:
                out.stopped_by = "max_runs" if room <= 0 else "max_time"
                break
            planned["pairs"] += min(wanted, room)
            for _ in range(min(wanted, room)):
                if not (ok := run_pair(False)):
                    break
                out.extra_pairs += 1
                if time.monotonic() - started >= spec.max_time:
                    break
        for _side, result, _unused in sides:
            summarize_runs(result)
        if ok and not cancel.is_set():
            for side, result, _unused in sides:
                if side.memory:
                    os.chdir(side.spec.cwd)
                    _memory_run(side, result, on_event, cancel)
    finally:
        os.chdir(home)
        sampler.close()
        for spawner in spawners:
            spawner.close()
    return _finish(out, head, on_event)


def _spawner(spec: TargetSpec) -> Spawner:
    """A Spawner made from inside the target's folder, so it takes the posix_spawn path."""
    os.chdir(spec.cwd)
    return Spawner(spec.argv, str(spec.cwd), spec.env, capture_output=spec.ready.kind == "stdout")


def _finish(out: Interleaved, head: Side, on_event: EventSink) -> Interleaved:
    on_event(TargetFinished(head.name, out.head))
    return out




def _memory_run(side: Side, result: TargetResult, on_event: EventSink, cancel: threading.Event) -> None:
    """The engine's memory run for one side (it takes one timed run first, which is dropped: the
    cold-start figures are the interleaved runs')."""

    def forward(event: object) -> None:
        if not isinstance(event, TargetFinished):
            on_event(event)  # type: ignore[arg-type]

    one = dataclasses.replace(side.spec, runs=1, warmup=0, max_runs=1)
    measured = measure_target(one, on_event=forward, cancel=cancel)
    if measured.error is not None:
        result.error = f"memory run {measured.error}"
        result.stderr_tail = measured.stderr_tail
        return
    offset = len(result.runs)
    for i, run in enumerate(r for r in measured.runs if r.memory_run):
        result.runs.append(dataclasses.replace(run, index=offset + i))
    result.memory = measured.memory
    result.paths, result.events, result.counters = measured.paths, measured.events, measured.counters
    result.telemetry = measured.telemetry
