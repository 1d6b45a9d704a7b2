"""Formatting shared by the renderers: a budget figure in its unit, verdict marks."""

from __future__ import annotations

from lightprof.result import BudgetRow
from lightprof.units import format_duration, format_ratio, format_size

VERDICT_MARK = {"pass": "✓ pass", "fail": "✗ FAIL", "regression": "✗ REGRESSION", "unmeasured": "? UNMEASURED"}
ASCII_MARK = {"pass": "pass", "fail": "FAIL", "regression": "REGRESSION", "unmeasured": "UNMEASURED"}


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
        return f"{row.subject} {row.metric} is {measured}, {format_ratio(row.delta)} against the baseline {base}"
    if row.verdict == "unmeasured":
        return f"{row.subject} {row.metric} could not be measured" + (f": {row.note}" if row.note else "")
    return f"{row.subject} {row.metric} is {measured} ({limit_text(row)})"
