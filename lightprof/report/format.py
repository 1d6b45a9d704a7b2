"""Formatting shared by the renderers: a budget figure in its unit, verdict marks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lightprof.model.result import Result
from lightprof.model.target import TargetResult
from lightprof.model.verdict import BudgetRow
from lightprof.units import format_duration, format_ratio, format_size

if TYPE_CHECKING:
    from lightprof.model.kernels import KernelResult
    from lightprof.model.sizes import ArtifactResult, ImageResult

VERDICT_MARK = {
    "pass": "✓ pass", "fail": "✗ FAIL", "regression": "✗ REGRESSION", "inconclusive": "~ INCONCLUSIVE",
    "unmeasured": "? UNMEASURED",
}
ASCII_MARK = {
    "pass": "pass", "fail": "FAIL", "regression": "REGRESSION", "inconclusive": "INCONCLUSIVE",
    "unmeasured": "UNMEASURED",
}


def format_value(value: float | None, unit: str, kind: str = "target") -> str:
    """A figure in its unit: times in µs/ms/s, memory in IEC, shipped sizes in SI (kB = 1000 B)."""
    if value is None:
        return "—"
    if unit == "s":
        return format_duration(value)
    if unit == "bytes":
        return format_size(value, si=kind in ("artifact", "image"))
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "ops_per_cpu_s":
        return f"{value:,.0f} ops/CPU-s"
    return f"{value:g}"


def measured_text(row: BudgetRow) -> str:
    """The measured figure; an upper bound (a target too short-lived to sample) reads "≤ x"."""
    text = format_value(row.measured, row.unit, row.kind)
    return f"≤ {text}" if row.measured is not None and row.note.startswith("at most") else text


def limit_text(row: BudgetRow) -> str:
    if row.limit is None:
        return "—"
    sign = "≥" if row.higher_is_better else "≤"
    return f"{sign} {format_value(row.limit, row.unit, row.kind)}"


def delta_text(row: BudgetRow) -> str:
    """The change judged: the ratio's (drift-corrected, or from interleaved pairs) when there is one."""
    if row.ratio is not None:
        text = f"×{row.ratio:.3f}"
        if row.ratio_ci is not None:
            text += f" ({row.ratio_ci[0]:.3f}–{row.ratio_ci[1]:.3f})"
        return text
    if row.delta is None:
        return "—"
    text = format_ratio(row.delta)
    if row.unit == "bytes" and row.measured is not None and row.baseline is not None:
        growth = int(row.measured - row.baseline)
        text += f" ({'+' if growth >= 0 else '-'}{format_size(abs(growth), si=row.kind in ('artifact', 'image'))})"
    return text


def metric_label(row: BudgetRow) -> str:
    return f"{row.subject} · {row.metric}"


def explain(row: BudgetRow, tolerance_hint: bool = True) -> str:
    """One sentence on why a budget did not pass."""
    measured = format_value(row.measured, row.unit, row.kind)
    if row.verdict == "fail":
        return f"{row.subject} {row.metric} is {measured}, over its budget {limit_text(row)}"
    if row.verdict == "regression":
        base = format_value(row.baseline, row.unit, row.kind)
        if row.ratio is not None:
            return (f"{row.subject} {row.metric} is {measured} against {base}: ×{row.ratio:.3f}"
                    + (f" (95% interval {row.ratio_ci[0]:.3f}–{row.ratio_ci[1]:.3f})" if row.ratio_ci else ""))
        return f"{row.subject} {row.metric} is {measured}, {format_ratio(row.delta)} against the baseline {base}"
    if row.verdict == "unmeasured":
        return f"{row.subject} {row.metric} could not be measured" + (f": {row.note}" if row.note else "")
    if row.verdict == "inconclusive":
        what = f"×{row.ratio:.3f}" if row.ratio is not None else measured
        return f"{row.subject} {row.metric} is inconclusive ({what})" + (f": {row.note}" if row.note else "")
    return f"{row.subject} {row.metric} is {measured} ({limit_text(row)})"


def comparison_text(target: TargetResult) -> str | None:
    """One line on a target's comparison: against what, the p50 ratio with its interval, drift."""
    c = target.comparison
    if c is None:
        return None
    if c.mode == "base":
        what = f"against base {c.base}"
    elif c.mode == "against":
        what = f"against {c.against}"
    else:
        what = "against the baseline" + (" (calibrated)" if c.calibration else "")
    low, high = c.ratio_p50_ci
    text = f"{target.name} {what}: p50 ×{c.ratio_p50:.3f} (95% {low:.3f}–{high:.3f})"
    if c.ratio_p95 is not None:
        text += f", p95 ×{c.ratio_p95:.3f}"
    pairs = "pairs" if c.mode != "baseline" else "runs"
    text += f", {c.n} {pairs}" + (f" (+{c.extra_pairs} near a threshold)" if c.extra_pairs else "")
    if c.drift is not None:
        text += f", drift {format_ratio(c.drift)}"
    if c.stopped_by:
        text += f"; stopped by {c.stopped_by} while undecided"
    return text


def unmeasured_subjects(result: Result) -> list[ArtifactResult | ImageResult | KernelResult]:
    """The artifacts, images and kernels that could not be measured, in report order."""
    subjects: list[ArtifactResult | ImageResult | KernelResult] = [*result.artifacts, *result.images, *result.kernels]
    return [subject for subject in subjects if subject.error]


def warnings(result: Result) -> list[str]:
    """Lines that do not fail the build but must be seen: inconclusive checks, machine drift."""
    lines = [explain(row) for row in result.budgets if row.verdict == "inconclusive" and not row.fails_build]
    for target in result.targets:
        if target.comparison is not None and target.comparison.note and "drift" in target.comparison.note:
            lines.append(f"{target.name}: {target.comparison.note}")
    return lines
