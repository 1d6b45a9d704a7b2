"""A Markdown report (for PR comments and $GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

from lightprof.model.result import Result
from lightprof.model.verdict import BudgetRow
from lightprof.report.format import (
    ASCII_MARK,
    comparison_text,
    delta_text,
    format_value,
    limit_text,
    measured_text,
    unmeasured_subjects,
    warnings,
)
from lightprof.units import format_duration, format_size

_ICON = {"pass": "✅", "fail": "❌", "regression": "❌", "inconclusive": "❔", "unmeasured": "⚠️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _budget_cells(row: BudgetRow) -> str:
    """A budget row's first cells, up to the limit: its mark, subject, metric and limit."""
    return (f"| {_ICON[row.verdict]} {ASCII_MARK[row.verdict].lower()} | {_cell(row.subject)} | {row.metric} | "
            f"{_cell(limit_text(row))} |")


def _base_to_head(row: BudgetRow) -> str:
    if row.baseline is None:
        return measured_text(row)
    return f"{format_value(row.baseline, row.unit, row.kind)} → {measured_text(row)}"


def _compared(result: Result) -> bool:
    return result.base is not None or any(r.ratio is not None for r in result.budgets)


def render_markdown(result: Result) -> str:
    """A report a PR comment can hold: the budgets (base → head with the ratio when compared),
    one line per target, notes and warnings."""
    verdict = (
        "passed" if result.exit_code == 0 else ("failed" if result.exit_code == 1 else "could not measure everything")
    )
    title = f"## lightprof: {result.profile.name} {verdict}"
    if result.base is not None:
        title += f" (base {result.base} → this tree)"
    out = [title, ""]
    out.append(f"lightprof {result.lightprof} on {result.machine.cpu}, {result.machine.cores} cores, "
               f"{result.machine.os}, Python {result.machine.python} · {result.started_at}")
    out.append("")
    if result.budgets and _compared(result):
        reference = "base" if result.base is not None else "reference"
        out.append(f"| | subject | budget | limit | {reference} → head | head/{reference} (95% CI) |")
        out.append("|---|---|---|---|---|---|")
        for r in result.budgets:
            out.append(f"{_budget_cells(r)} {_base_to_head(r)} | {_cell(delta_text(r))} |")
        out.append("")
    elif result.budgets:
        out.append("| | subject | budget | limit | measured | baseline | delta |")
        out.append("|---|---|---|---|---|---|---|")
        for r in result.budgets:
            out.append(f"{_budget_cells(r)} {measured_text(r)} | "
                       f"{format_value(r.baseline, r.unit, r.kind)} | {_cell(delta_text(r))} |")
        out.append("")
    if result.targets:
        out.append("| target | ready | runs | p50 | p95 | p99 | stdev | steady RSS | peak RSS |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for t in result.targets:
            s, m = t.cold_start_s, t.memory
            ready = _cell(t.ready) + (", cache cold" if t.cache == "cold" else "")
            if t.error:
                out.append(
                    f"| {_cell(t.name)} | {ready} | could not be measured: {_cell(t.error)} | | | | | | |"
                )
                continue
            out.append(
                f"| {_cell(t.name)} | {ready} | {s.n if s else 0} | {format_duration(s.p50 if s else None)} | "
                f"{format_duration(s.p95 if s else None)} | {format_duration(s.p99 if s else None)} | "
                f"{format_duration(s.stdev if s else None)} | "
                f"{format_size(m.steady_rss_bytes if m else None)} | {format_size(m.peak_rss_bytes if m else None)} |"
            )
        out.append("")
    if any(t.attribution is not None for t in result.targets):
        from lightprof.report.attribution import markdown_lines

        out.extend(markdown_lines(result))
    if any(t.paths or t.telemetry for t in result.targets):
        from lightprof.report.paths import markdown_tables

        out.extend(markdown_tables(result.targets, _cell))
    for subject in unmeasured_subjects(result):
        out.append(f"- ⚠️ {subject.name}: could not be measured: {subject.error}")
    for target in result.targets:
        if (compared := comparison_text(target)) is not None:
            out.append(f"- {_cell(compared)}")
    for line in warnings(result):
        out.append(f"- ⚠️ warning: {_cell(line)}")
    for note in result.notes:
        out.append(f"- note: {note}")
    return "\n".join(out).rstrip() + "\n"
