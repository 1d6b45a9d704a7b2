"""The compact terminal report: one line per target, then the budget table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lightprof.model.result import Result
from lightprof.report.format import (
    ASCII_MARK,
    VERDICT_MARK,
    comparison_text,
    delta_text,
    format_value,
    limit_text,
    measured_text,
    unmeasured_subjects,
    warnings,
)
from lightprof.units import format_duration, format_size

if TYPE_CHECKING:
    from lightprof.model.target import TargetResult

_COLOURS = {"pass": "32", "fail": "31", "regression": "31", "inconclusive": "33", "unmeasured": "33"}


def _paint(text: str, verdict: str, colour: bool) -> str:
    return f"\x1b[{_COLOURS[verdict]}m{text}\x1b[0m" if colour else text


def _pad(cells: list[str], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _paths_lines(target: TargetResult) -> list[str]:
    if not (target.paths or target.telemetry):
        return []
    from lightprof.report.paths import target_lines

    return target_lines(target)


def render_table(result: Result, *, colour: bool = False, unicode: bool = True) -> str:
    lines = [
        f"lightprof {result.lightprof} · profile {result.profile.name} "
        f"({result.profile.path or result.profile.origin})"
        + (f" · against base {result.base}" if result.base is not None else "")
    ]
    for target in result.targets:
        if target.error:
            lines.append(f"  {target.name}: could not be measured: {target.error}")
            if target.stderr_tail:
                tail = target.stderr_tail.splitlines()[-5:]
                lines.extend(f"      | {line}" for line in tail)
            lines.extend(f"    {line}" for line in _paths_lines(target))
            continue
        s = target.cold_start_s
        parts = [f"  {target.name} ({target.ready}{', cache cold' if target.cache == 'cold' else ''})"]
        if s is not None:
            extra = f" (+{target.extra_runs} near a threshold)" if target.extra_runs else ""
            parts.append(
                f"{s.n} runs{extra}: p50 {format_duration(s.p50)}, p95 {format_duration(s.p95)}, "
                f"p99 {format_duration(s.p99)}, min {format_duration(s.min)}, max {format_duration(s.max)}, "
                f"σ {format_duration(s.stdev)}, {s.outliers} outlier{'s' if s.outliers != 1 else ''}"
            )
        m = target.memory
        if m is not None:
            peak = format_size(m.peak_rss_bytes) if m.peak_rss_bytes is not None else "not measured"
            steady = f"steady {format_size(m.steady_rss_bytes)}, " if m.steady_rss_bytes is not None else ""
            if m.samples:
                count = f"{m.processes_seen} process{'es' if m.processes_seen != 1 else ''}"
                per_sample = format_duration(m.sampler_cpu_s / m.samples)
                cost = f"sampler CPU {format_duration(m.sampler_cpu_s)}, {per_sample} a sample"
                parts.append(f"RSS {steady}peak {peak} (tree of {count}, {cost})")
            else:
                # The target ended by itself, or was stopped at ready, before the first sample.
                parts.append(f"RSS peak {peak} (exact; the memory run was over before its first sample)")
        lines.append(" · ".join(parts))
        if (compared := comparison_text(target)) is not None:
            lines.append(f"    {compared}")
        if target.attribution is not None:
            from lightprof.report.attribution import table_lines

            lines.extend(table_lines(target.attribution))
        lines.extend(f"    {line}" for line in _paths_lines(target))
    for subject in unmeasured_subjects(result):
        lines.append(f"  {subject.name}: could not be measured: {subject.error}")
    for note in result.notes:
        lines.append(f"  note: {note}")
    if result.budgets:
        marks = VERDICT_MARK if unicode else ASCII_MARK
        reference = "base" if result.base is not None else "baseline"
        header = ["subject", "budget", "limit", "measured", reference, "delta", "verdict"]
        rows = [
            [
                r.subject,
                r.metric,
                limit_text(r),
                measured_text(r),
                format_value(r.baseline, r.unit, r.kind),
                delta_text(r),
                marks[r.verdict],
            ]
            for r in result.budgets
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        lines.append("")
        lines.append(_pad(header, widths))
        for budget, row in zip(result.budgets, rows, strict=True):
            text = _pad(row, widths)
            lines.append(_paint(text, budget.verdict, colour))
            if budget.note and budget.verdict != "pass":
                lines.append(f"    {budget.note}")
    else:
        lines.append("  (no budgets in this profile)")
    verdicts = ("pass", "fail", "regression", "inconclusive", "unmeasured")
    counts = {v: sum(1 for r in result.budgets if r.verdict == v) for v in verdicts}
    summary = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    lines.append("")
    lines.extend(f"warning: {line}" for line in warnings(result))
    lines.append(f"{summary or 'nothing judged'} · exit {result.exit_code}")
    return "\n".join(lines) + "\n"
