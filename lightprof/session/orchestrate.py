"""One session: measure everything a profile names, judge it, and return the Result.

Heavy measures (sizes, images, Wasm kernels) are imported only when the profile has such subjects,
so a profile of plain targets never loads brotli, wasmtime or numpy. How each target is measured
(alone, beside a calibration, against another target or its --base) is lightprof.session.targets' job.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from lightprof import __version__
from lightprof.errors import EXIT_UNMEASURED
from lightprof.gate import compare
from lightprof.gate import judge as verdicts
from lightprof.gate.figures import Figure
from lightprof.gate.targets import target_figures
from lightprof.measure.machine import current_machine
from lightprof.model.result import SCHEMA_VERSION, ProfileRef, Result
from lightprof.profile.baseline import Baseline, TargetSample, timed_runs
from lightprof.profile.spec import RATIO_BUDGETS, TIME_BUDGETS, Profile, TargetSpec

if TYPE_CHECKING:
    from lightprof.measure.events import EventSink
    from lightprof.model.attribution import Attribution
    from lightprof.session.basetree import BaseTree


def _ignore(event: object) -> None:
    """The event sink when nobody listens (headless without a progress line)."""


def _announce(on_event: EventSink, kind: str, name: str, subject: Any) -> None:
    if on_event is not _ignore:  # the events module's dataclasses cost ms to create: only if heard
        from lightprof.measure.events import SubjectFinished

        on_event(SubjectFinished(kind, name, subject))


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_SpecT = TypeVar("_SpecT", bound=_Named)
_MeasuredT = TypeVar("_MeasuredT", bound=_Named)


def _measure_each(specs: Sequence[_SpecT], measure: Callable[[_SpecT], _MeasuredT], kind: str,
                  into: list[_MeasuredT], on_event: EventSink) -> None:
    """Measure the subjects one by one, each kept and announced as soon as it is measured."""
    for spec in specs:
        measured = measure(spec)
        into.append(measured)
        _announce(on_event, kind, spec.name, measured)


def _figures_of_each(specs: Sequence[_SpecT], measured: Sequence[_MeasuredT],
                     figures_of: Callable[[_SpecT, _MeasuredT], list[Figure]]) -> list[Figure]:
    """The budgeted figures of each spec that has a measured subject of its name, in the profile's order."""
    by_name = {subject.name: subject for subject in measured}
    return [figure for spec in specs if spec.name in by_name for figure in figures_of(spec, by_name[spec.name])]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())  # what datetime.isoformat gives, 2 ms sooner


def new_result(profile: Profile) -> Result:
    return Result(
        schema=SCHEMA_VERSION,
        lightprof=__version__,
        profile=ProfileRef(name=profile.name, path=str(profile.path) if profile.path else None, origin=profile.origin),
        machine=current_machine(),
        started_at=_now(),
    )


def comparable_figures(baseline: Baseline | None, result: Result) -> dict[str, dict[str, float]]:
    if baseline is None or result.baseline is None or not result.baseline.comparable:
        return {}
    return baseline.figures


def target_samples(baseline: Baseline | None, result: Result) -> dict[str, TargetSample]:
    """The baseline's samples, when comparable. A calibration taken with a command that is not
    one of this lightprof's (another Python, a hand-edited file) is neither run nor trusted: such
    a sample is compared as it is, and the report says so."""
    from lightprof.session.targets import calibration_commands

    if baseline is None or result.baseline is None or not result.baseline.comparable:
        return {}
    known = calibration_commands()
    samples = {}
    for name, sample in baseline.samples.items():
        if sample.calibration is not None and sample.calibration not in known:
            note = (
                f"baseline {baseline.path.name} calibrated {name} with {' '.join(sample.calibration)}, which this "
                "lightprof does not run: machine drift is not separated; write a new baseline"
            )
            if note not in result.notes:
                result.notes.append(note)
            sample = TargetSample(sample.runs_s)
        samples[name] = sample
    return samples


def measure_profile(
    profile: Profile,
    *,
    baseline: Baseline | None = None,
    calibrate: bool = False,
    base: BaseTree | None = None,
    on_event: EventSink = _ignore,
    cancel: threading.Event | None = None,
    attribute: bool = False,
    attribution_dir: str | Path | None = None,
    compressions: tuple[str, ...] = (),
) -> Result:
    """Measure every subject of `profile`, judge the budgets and set the exit code.

    `attribute` (--attribute) also attributes each target's cold start (imports, hot functions),
    keeping profile files in `attribution_dir`/lightprof-attribution; a target with an import
    budget has its imports measured in any case.

    `calibrate` runs a calibration command beside each timed target (for --update-baseline); a
    baseline that kept a calibrated sample gets one too. With `base` (--base REV) every target is
    run interleaved with its base revision, artifacts and images are sized in both trees, and the
    stored baseline is not used. `compressions`: sizes to compute for each artifact besides the
    counted one (the TUI shows them all).
    """
    from lightprof.session.targets import measure_targets

    cancel = cancel or threading.Event()
    result = new_result(profile)
    if base is not None:
        baseline = None
        result.base = base.label
    if baseline is not None:
        result.baseline = baseline.ref(result.machine)
        if result.baseline.note:
            result.notes.append(result.baseline.note)
    samples = target_samples(baseline, result)
    if base is not None and any(spec.against for spec in profile.targets):
        result.notes.append("with --base every target is compared with its base revision; 'against' is not used")

    if profile.targets:  # the engine pulls in psutil and http.client: only when there is a target
        result.targets.extend(measure_targets(
            profile.targets, samples=samples, calibrate=calibrate, base=base,
            on_event=on_event, cancel=cancel,
        ))
    caches = {spec.name: spec.cache for spec in profile.targets}
    for measured in result.targets:
        measured.cache = caches.get(measured.name, measured.cache)
    if attribute or any("import_time" in s.budget or s.forbid_imports for s in profile.targets):
        from lightprof.measure.attribution.attribute import FOLDER, attribute_results

        report_dir = Path(attribution_dir or ".").absolute()
        attribute_results(profile.targets, result.targets, sample=attribute, out_dir=report_dir / FOLDER,
                          report_dir=report_dir, base_target=base.target if base else None, cancel=cancel)

    base_profile = base.profile(profile) if base is not None else None
    if profile.artifacts and not cancel.is_set():
        from lightprof.measure.sizes.artifacts import measure_artifact

        _measure_each(profile.artifacts, lambda a: measure_artifact(a, extra=compressions), "artifact",
                      result.artifacts, on_event)
        if base_profile is not None:
            result.base_artifacts = [measure_artifact(a) for a in base_profile.artifacts]

    if profile.images and not cancel.is_set():
        from lightprof.measure.images.image import measure_image

        _measure_each(profile.images, measure_image, "image", result.images, on_event)
        if base_profile is not None:
            result.base_images = [measure_image(i) for i in base_profile.images]

    if profile.kernels and not cancel.is_set():
        from lightprof.measure.kernels import measure_kernel

        _measure_each(profile.kernels, lambda k: measure_kernel(k, on_event=on_event, cancel=cancel), "kernel",
                      result.kernels, on_event)

    judge(profile, result, baseline)
    if cancel.is_set():
        result.notes.append("interrupted before every subject was measured")
    result.finished_at = _now()
    return result


def collect_figures(profile: Profile, result: Result) -> list[Figure]:
    """Every budgeted figure of the subjects measured so far."""
    figures: list[Figure] = []
    targets = {t.name: t for t in result.targets}
    for spec in profile.targets:
        if spec.name in targets:
            figures.extend(target_figures(spec, targets[spec.name]))
            if spec.paths or spec.telemetry:
                from lightprof.gate.paths import path_figures

                figures.extend(path_figures(spec, targets[spec.name]))
    if result.artifacts:
        from lightprof.gate.sizes import artifact_figures

        figures.extend(_figures_of_each(profile.artifacts, result.artifacts, artifact_figures))
    if result.images:
        from lightprof.gate.images import image_figures

        figures.extend(_figures_of_each(profile.images, result.images, image_figures))
    if result.kernels:
        from lightprof.gate.kernels import kernel_figures

        figures.extend(_figures_of_each(profile.kernels, result.kernels, kernel_figures))
    if any(artifact.wasm_files for artifact in result.artifacts):
        # The practice's rule: Wasm that ships needs a kernel sample proving it pays its way.
        from lightprof.gate.kernels import kernel_samples, wasm_rule_figures
        from lightprof.gate.paths import event_samples

        finders = [kernel_samples(result.kernels), event_samples(result.targets)]
        figures.extend(wasm_rule_figures(profile, result.artifacts, result.kernels, finders))
    return figures


def _compare_with_baseline(profile: Profile, result: Result, baseline: Baseline | None) -> None:
    """Give each target measured against a stored sample its comparison (mode "baseline");
    note the targets whose baseline is one number per figure."""
    samples = target_samples(baseline, result) if baseline is not None else {}
    specs = {spec.name: spec for spec in profile.targets}
    weak = []
    for target in result.targets:
        spec = specs.get(target.name)
        if spec is None or target.error is not None or spec.against is not None:
            continue
        if not any(metric in TIME_BUDGETS or metric in RATIO_BUDGETS for metric in spec.budget):
            continue  # memory budgets compare with the baseline's figures; no sample needed
        if target.comparison is not None and target.comparison.mode != "baseline":
            continue
        sample = samples.get(target.name)
        runs = timed_runs(target)
        if sample is None or len(runs) < 2:
            if baseline is not None and target.name in baseline.figures and not target.comparison:
                weak.append(target.name)
            continue
        calibrated = sample.calibration_s is not None and target.calibration is not None
        comparison = compare.baseline_comparison(
            runs, target.calibration.runs_s if calibrated else [],  # type: ignore[union-attr]
            baseline_head_s=sample.runs_s, baseline_calibration_s=sample.calibration_s if calibrated else None,
            calibration=target.calibration.command if calibrated else None,  # type: ignore[union-attr]
            tolerance=spec.tolerance,
        )
        previous = target.comparison
        if previous is not None:
            comparison.extra_pairs, comparison.stopped_by = previous.extra_pairs, previous.stopped_by
        target.comparison = comparison
    if weak and baseline is not None and result.baseline is not None and result.baseline.comparable:
        note = (
            f"baseline {baseline.path.name} is weak for {', '.join(weak)}: one number per figure, no sample; "
            "only a change whose whole interval is beyond the tolerance counts. "
            "Run --update-baseline to keep samples"
        )
        if note not in result.notes:
            result.notes.append(note)


def _reference_figures_of(profile: Profile, result: Result) -> dict[str, dict[str, float]]:
    """With --base: the base tree's artifact and image figures, judged like a baseline's."""
    if not result.base_artifacts and not result.base_images:
        return {}
    base = dataclasses.replace(result, targets=[], kernels=[], artifacts=result.base_artifacts,
                               images=result.base_images)
    figures: dict[str, dict[str, float]] = {}
    for figure in collect_figures(profile, base):
        if figure.measured is not None:
            figures.setdefault(figure.subject, {})[figure.metric] = figure.measured
    return figures


def judge(profile: Profile, result: Result, baseline: Baseline | None) -> Result:
    """(Re)compute the budget verdicts and the exit code of `result` in place; return it."""
    if baseline is not None and result.baseline is None:
        result.baseline = baseline.ref(result.machine)
    baselines = comparable_figures(baseline, result)
    if result.base is None:
        _compare_with_baseline(profile, result, baseline)
    else:
        baselines = _reference_figures_of(profile, result)
    result.budgets = verdicts.judge(collect_figures(profile, result), baselines, profile.budget_lines)
    subjects = [*result.targets, *result.artifacts, *result.images, *result.kernels]
    unmeasured = any(getattr(s, "error", None) is not None for s in subjects) or any(
        row.verdict == "unmeasured" for row in result.budgets
    )
    result.exit_code = EXIT_UNMEASURED if unmeasured else verdicts.exit_code(result.budgets)
    return result


def attribute_target(
    spec: TargetSpec,
    *,
    cache: str | None = None,
    sample: bool = True,
    out_dir: Path | None = None,
    cancel: threading.Event | None = None,
) -> Attribution:
    """One target's attribution, for the TUI's Attribution view: `cache` ("cold" or "warm")
    overrides the target's, so that both can be run and compared; profile files go to `out_dir`."""
    from lightprof.measure.attribution.attribute import attribute_target as attribute

    if cache is not None:
        spec = dataclasses.replace(spec, cache=cache)
    return attribute(spec, sample=sample, out_dir=out_dir, report_dir=out_dir.parent if out_dir else None,
                     cancel=cancel)
