"""How the session measures each target: alone, beside a calibration, against another target or its base.

- `--base REV`: the target and the same target in REV's worktree, interleaved in pairs.
- `against = "other"`: the target and the other target, interleaved in pairs.
- a baseline to write, or one that kept a calibrated sample: the target interleaved with the
  calibration command, so the two sessions can be compared net of the machine's drift.
- otherwise: the engine's plain runs (`measure_target`).
In every mode, near a threshold more runs are taken, bounded by max_runs and max_time.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TYPE_CHECKING

from lightprof.gate import compare
from lightprof.gate import judge as verdicts
from lightprof.gate.figures import Figure
from lightprof.model.target import Calibration, Comparison, TargetResult
from lightprof.profile.spec import TIME_BUDGETS, ReadySpec, TargetSpec
from lightprof.stats import summarize

if TYPE_CHECKING:
    from lightprof.measure.events import EventSink
    from lightprof.profile.baseline import TargetSample
    from lightprof.session.basetree import BaseTree


# A target that takes less than this is calibrated with `true`, a longer one with a bare Python
# start: a calibration must feel the machine as the target does, and a process that starts and
# ends in under a millisecond does not feel a busy CPU that a 10 ms one does.
SHORT_TARGET_S = 0.004


def _true() -> tuple[str, ...] | None:
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", "true")
        if os.path.isabs(candidate) and os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return (candidate,)
    return None


def calibration_commands() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The calibration commands, for short and for longer targets (bench/bench_gate.py measures
    them: docs/gate.md): `true`, and this Python starting bare (no site, no environment)."""
    python = (sys.executable, "-S", "-E", "-c", "pass")
    return (_true() or python, python)


def calibration_for(duration_s: float) -> tuple[str, ...]:
    short, long = calibration_commands()
    return short if duration_s < SHORT_TARGET_S else long


def calibration_spec(beside: TargetSpec, command: tuple[str, ...]) -> TargetSpec:
    return TargetSpec(name="calibration", command=command, cwd=beside.cwd, ready=ReadySpec(),
                      runs=beside.runs, warmup=beside.warmup, timeout=beside.timeout)


def _more(spec: TargetSpec) -> int:
    return max(1, spec.runs // 2)


def _limits_undecided(spec: TargetSpec, head_s: list[float]) -> bool:
    """Whether a timing figure's interval straddles its absolute limit."""
    summary = summarize(head_s)
    for metric, limit in spec.budget.items():
        if metric in TIME_BUDGETS:
            stat = metric.removeprefix("cold_start_")
            figure = Figure(spec.name, metric, getattr(summary, stat), limit, "s", ci=getattr(summary, f"{stat}_ci"))
            if verdicts.undecided(figure, None):
                return True
    return False


def _comparison_undecided(spec: TargetSpec, comparison: Comparison) -> bool:
    return compare.undecided(comparison, spec.budget.get("max_slowdown"))


def measure_plain(
    spec: TargetSpec, *, sample: TargetSample | None, on_event: EventSink, cancel: threading.Event
) -> TargetResult:
    """The engine's runs; more of them while a limit, or the comparison with a raw baseline
    sample, is undecided, until max_runs or max_time."""
    from lightprof.measure.target.runner import measure_target

    started = time.monotonic()

    def more_runs(result: TargetResult) -> int:
        if time.monotonic() - started >= spec.max_time:
            return 0
        runs = [r.ready_s for r in result.runs if not r.warmup and not r.memory_run and r.ready_s is not None]
        if not runs:
            return 0
        if _limits_undecided(spec, runs):
            return _more(spec)
        if sample is not None and len(runs) >= 2:
            comparison = compare.baseline_comparison(
                runs, [], baseline_head_s=sample.runs_s, baseline_calibration_s=None, calibration=None,
                tolerance=spec.tolerance,
            )
            if _comparison_undecided(spec, comparison):
                return _more(spec)
        return 0

    return measure_target(spec, on_event=on_event, cancel=cancel, more_runs=more_runs)


def measure_calibrated(
    spec: TargetSpec,
    *,
    sample: TargetSample | None,
    on_event: EventSink,
    cancel: threading.Event,
) -> TargetResult:
    """The target interleaved with a calibration command: the baseline's, when judged against a
    calibrated `sample`; else (a baseline being written) one chosen by the target's duration."""
    from lightprof.measure.target.interleave import Side, measure_interleaved

    chosen: dict[str, tuple[str, ...]] = {}

    def calibration_side(duration_s: float) -> Side:
        command = sample.calibration if sample is not None and sample.calibration else calibration_for(duration_s)
        chosen["command"] = command
        return Side(calibration_spec(spec, command), "calibration", memory=False)

    def comparison_of(head_s: list[float], calibration_s: list[float]) -> Comparison | None:
        if sample is None or sample.calibration_s is None:
            return None
        return compare.baseline_comparison(
            head_s, calibration_s, baseline_head_s=sample.runs_s, baseline_calibration_s=sample.calibration_s,
            calibration=list(chosen["command"]), tolerance=spec.tolerance,
        )

    def more_pairs(head_s: list[float], calibration_s: list[float]) -> int:
        comparison = comparison_of(head_s, calibration_s)
        undecided = _limits_undecided(spec, head_s) or (
            comparison is not None and _comparison_undecided(spec, comparison)
        )
        return _more(spec) if undecided else 0

    pairs = measure_interleaved(
        Side(spec, spec.name), calibration_side, more_pairs=more_pairs, on_event=on_event, cancel=cancel,
    )
    result = pairs.head
    if "command" not in chosen:  # cancelled, or the target failed, before a calibration was chosen
        return result
    if pairs.base.error is not None and result.error is None:
        result.error = f"the calibration command {' '.join(chosen['command'])} failed: {pairs.base.error}"
    if result.error is None:
        result.calibration = Calibration(command=list(chosen["command"]), runs_s=list(pairs.base_s))
        result.extra_runs = pairs.extra_pairs
        comparison = comparison_of(pairs.head_s, pairs.base_s)
        if comparison is not None:
            comparison.extra_pairs, comparison.stopped_by = pairs.extra_pairs, pairs.stopped_by
    return result


def measure_pair(
    spec: TargetSpec,
    reference: TargetSpec,
    *,
    mode: str,
    label: str,
    reference_memory: bool,
    on_event: EventSink,
    cancel: threading.Event,
) -> tuple[TargetResult, TargetResult]:
    """The target and its reference (its base, or another target) interleaved; the target's
    result carries the comparison. Returns (target, reference) results."""
    from lightprof.measure.target.interleave import Side, measure_interleaved

    def comparison_of(head_s: list[float], base_s: list[float], base_summary: object = None) -> Comparison:
        return compare.pair_comparison(
            head_s, base_s, mode=mode, tolerance=spec.tolerance,
            against=reference.name if mode == "against" else None, base=label if mode == "base" else None,
            base_summary=base_summary,  # type: ignore[arg-type]
        )

    def more_pairs(head_s: list[float], base_s: list[float]) -> int:
        undecided = _limits_undecided(spec, head_s) or _comparison_undecided(spec, comparison_of(head_s, base_s))
        return _more(spec) if undecided else 0

    reference_name = reference.name if mode == "against" else f"{spec.name} @ {label}"
    pairs = measure_interleaved(
        Side(spec, spec.name), Side(reference, reference_name, memory=reference_memory),
        more_pairs=more_pairs, on_event=on_event, cancel=cancel,
    )
    head, base = pairs.head, pairs.base
    if base.error is not None and head.error is None:
        where = f"at {label}" if mode == "base" else f"its reference '{reference.name}'"
        head.error = f"{where} could not be measured: {base.error}"
    if head.error is None and base.error is None and pairs.head_s:
        comparison = comparison_of(pairs.head_s, pairs.base_s, base.cold_start_s)
        comparison.extra_pairs, comparison.stopped_by = pairs.extra_pairs, pairs.stopped_by
        comparison.base_memory = base.memory
        head.comparison = comparison
        head.extra_runs = base.extra_runs = pairs.extra_pairs
    return head, base


def measure_targets(
    specs: tuple[TargetSpec, ...],
    *,
    samples: dict[str, TargetSample],
    calibrate: bool,
    base: BaseTree | None,
    on_event: EventSink,
    cancel: threading.Event,
) -> list[TargetResult]:
    """Every target of the profile, each in its mode; results in profile order."""
    by_name = {spec.name: spec for spec in specs}
    results: dict[str, TargetResult] = {}
    for spec in specs:
        if cancel.is_set():
            break
        if spec.name in results:  # measured already as another target's reference
            continue
        if base is not None:
            results[spec.name], _ = measure_pair(
                spec, base.target(spec), mode="base", label=base.label, reference_memory=True,
                on_event=on_event, cancel=cancel,
            )
        elif spec.against is not None:
            other = by_name[spec.against]
            first_time = other.name not in results
            head, reference = measure_pair(
                spec, other, mode="against", label=other.name, reference_memory=first_time,
                on_event=on_event, cancel=cancel,
            )
            results[spec.name] = head
            if first_time:
                results[other.name] = reference
                if head.comparison is not None:
                    head.comparison.base_memory = reference.memory
            elif head.comparison is not None:
                head.comparison.base_memory = results[other.name].memory
        else:
            sample = samples.get(spec.name)
            times = any(metric in TIME_BUDGETS or metric == "max_slowdown" for metric in spec.budget)
            calibrated = sample is not None and sample.calibration_s is not None
            if times and (calibrate or calibrated):
                results[spec.name] = measure_calibrated(
                    spec, sample=sample if calibrated else None, on_event=on_event, cancel=cancel,
                )
            else:
                raw = sample if sample is not None and not calibrated else None
                results[spec.name] = measure_plain(spec, sample=raw, on_event=on_event, cancel=cancel)
    return [results[spec.name] for spec in specs if spec.name in results]
