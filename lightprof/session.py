"""One session: measure everything a profile names, judge it, and return the Result.

Heavy measures (sizes, images, Wasm kernels) are imported only when the profile has such subjects,
so a profile of plain targets never loads brotli, wasmtime or numpy.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from lightprof import __version__, gate
from lightprof.baseline import Baseline
from lightprof.errors import EXIT_UNMEASURED
from lightprof.machine import current_machine
from lightprof.measure.figures import Figure
from lightprof.measure.target_figures import target_figures
from lightprof.profile import Profile, TargetSpec
from lightprof.result import SCHEMA_VERSION, ProfileRef, Result, TargetResult

if TYPE_CHECKING:
    from lightprof.measure.events import EventSink


def _ignore(event: object) -> None:
    """The event sink when nobody listens (headless without a progress line)."""


def _announce(on_event: EventSink, kind: str, name: str, subject: Any) -> None:
    if on_event is not _ignore:  # the events module's dataclasses cost ms to create: only if heard
        from lightprof.measure.events import SubjectFinished

        on_event(SubjectFinished(kind, name, subject))


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


def _more_runs(spec: TargetSpec, baselines: dict[str, dict[str, float]]) -> Any:
    """How many more runs to take while a timing budget is undecided (CI straddles a threshold)."""

    def ask(result: TargetResult) -> int:
        figures = target_figures(spec, result)
        if any(gate.undecided(f, baselines.get(f.subject, {}).get(f.metric)) for f in figures):
            return max(1, spec.runs // 2)
        return 0

    return ask


def comparable_figures(baseline: Baseline | None, result: Result) -> dict[str, dict[str, float]]:
    if baseline is None or result.baseline is None or not result.baseline.comparable:
        return {}
    return baseline.figures


def measure_profile(
    profile: Profile,
    *,
    baseline: Baseline | None = None,
    on_event: EventSink = _ignore,
    cancel: threading.Event | None = None,
) -> Result:
    """Measure every subject of `profile`, judge the budgets and set the exit code."""
    cancel = cancel or threading.Event()
    result = new_result(profile)
    if baseline is not None:
        result.baseline = baseline.ref(result.machine)
        if result.baseline.note:
            result.notes.append(result.baseline.note)
    baselines = comparable_figures(baseline, result)

    if profile.targets:  # the engine pulls in psutil and http.client: only when there is a target
        from lightprof.measure.engine import measure_target
    for spec in profile.targets:
        if cancel.is_set():
            break
        target = measure_target(spec, on_event=on_event, cancel=cancel, more_runs=_more_runs(spec, baselines))
        result.targets.append(target)

    if profile.artifacts and not cancel.is_set():
        from lightprof.measure.artifacts import measure_artifact

        for aspec in profile.artifacts:
            artifact = measure_artifact(aspec)
            result.artifacts.append(artifact)
            _announce(on_event, "artifact", aspec.name, artifact)

    if profile.images and not cancel.is_set():
        from lightprof.measure.images import measure_image

        for ispec in profile.images:
            image = measure_image(ispec)
            result.images.append(image)
            _announce(on_event, "image", ispec.name, image)

    if profile.kernels and not cancel.is_set():
        from lightprof.measure.kernels import measure_kernel

        for kspec in profile.kernels:
            kernel = measure_kernel(kspec, on_event=on_event, cancel=cancel)
            result.kernels.append(kernel)
            _announce(on_event, "kernel", kspec.name, kernel)

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
    if result.artifacts:
        from lightprof.measure.artifacts import artifact_figures

        artifacts = {a.name: a for a in result.artifacts}
        for aspec in profile.artifacts:
            if aspec.name in artifacts:
                figures.extend(artifact_figures(aspec, artifacts[aspec.name]))
    if result.images:
        from lightprof.measure.images import image_figures

        images = {i.name: i for i in result.images}
        for ispec in profile.images:
            if ispec.name in images:
                figures.extend(image_figures(ispec, images[ispec.name]))
    if result.kernels:
        from lightprof.measure.kernels import kernel_figures

        kernels = {k.name: k for k in result.kernels}
        for kspec in profile.kernels:
            if kspec.name in kernels:
                figures.extend(kernel_figures(kspec, kernels[kspec.name]))
    if any(artifact.wasm_files for artifact in result.artifacts):
        # The practice's rule: Wasm that ships needs a kernel sample proving it pays its way.
        from lightprof.measure.kernels import wasm_rule_figures

        figures.extend(wasm_rule_figures(profile, result.artifacts, result.kernels))
    return figures


def judge(profile: Profile, result: Result, baseline: Baseline | None) -> Result:
    """(Re)compute the budget verdicts and the exit code of `result` in place; return it."""
    if baseline is not None and result.baseline is None:
        result.baseline = baseline.ref(result.machine)
    baselines = comparable_figures(baseline, result)
    result.budgets = gate.judge(collect_figures(profile, result), baselines, profile.budget_lines)
    subjects = [*result.targets, *result.artifacts, *result.images, *result.kernels]
    unmeasured = any(getattr(s, "error", None) is not None for s in subjects)
    result.exit_code = EXIT_UNMEASURED if unmeasured else gate.exit_code(result.budgets)
    return result
