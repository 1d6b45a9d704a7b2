"""Attribution in the reports: a few lines per target in the table, a section per target in Markdown."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from lightprof.units import format_duration

if TYPE_CHECKING:
    from lightprof.model.attribution import Attribution, FunctionRow, ImportRow
    from lightprof.model.result import Result

TOP = 10


def _where(function: FunctionRow) -> str:
    name = os.path.basename(function.file) if function.file else "?"
    return f"{name}:{function.line}" if function.line is not None else name


def _module_name(module: str) -> str:
    return os.path.basename(module) if module.startswith("/") else module


def _own(attribution: Attribution) -> list[ImportRow]:
    return [row for row in attribution.imports if not row.startup]


def _headline(attribution: Attribution) -> str:
    if attribution.kind == "node":
        return f"node --cpu-prof, {attribution.samples} samples (cache {attribution.cache})"
    parts = [f"imports {format_duration(attribution.import_time_s)} (median of {attribution.runs} starts, "
             f"cache {attribution.cache})"]
    if attribution.startup_s is not None:
        parts.append(f"interpreter start-up {format_duration(attribution.startup_s)} apart")
    if attribution.base_import_time_s is not None:
        parts.append(f"base {format_duration(attribution.base_import_time_s)}")
    return ", ".join(parts)


def table_lines(attribution: Attribution) -> list[str]:
    """The terminal table's lines under a target: headline, costliest imports, lazy candidates, hot functions."""
    if attribution.error and attribution.kind == "unknown":
        return [f"    attribution: {attribution.error}"]
    lines = [f"    attribution: {_headline(attribution)}"]
    own = _own(attribution)[:5]
    if own:
        lines.append("      costliest imports (self): " + ", ".join(
            f"{row.module} {format_duration(row.self_s)}" for row in own))
    if attribution.lazy:
        lines.append("      lazy-load candidates: " + ", ".join(
            f"{c.module} (saves {format_duration(c.saves_s)})" for c in attribution.lazy[:5]))
    if attribution.functions:
        lines.append("      hot functions (self): " + ", ".join(
            f"{f.name} {_where(f)} {f.self_share:.0%}" for f in attribution.functions[:5]))
    if attribution.modules:
        lines.append("      modules (self): " + ", ".join(
            f"{_module_name(m.module)} {m.self_share:.0%}" for m in attribution.modules[:5]))
    for kept in (attribution.speedscope, attribution.cpuprofile):
        if kept:
            lines.append(f"      profile: {kept} (open it in https://www.speedscope.app)")
    if attribution.sampler_error:
        lines.append(f"      {attribution.sampler_error}")
    lines.extend(f"      note: {note}" for note in attribution.notes)
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_lines(result: Result) -> list[str]:
    """One section per attributed target; with --base, the imports that got slower or appeared."""
    out: list[str] = []
    for target in result.targets:
        a = target.attribution
        if a is None:
            continue
        out += [f"### Where the cold start of {_cell(target.name)} goes", ""]
        if a.error and a.kind == "unknown":
            out += [f"- could not be attributed: {_cell(a.error)}", ""]
            continue
        out += [f"{_headline(a)}.", ""]
        if a.import_changes:
            out += ["Imports that got slower or appeared since the base:", "",
                    "| module | change | base | head |", "|---|---|---|---|"]
            out += [f"| {_cell(c.module)} | {c.change} | {format_duration(c.base_s)} | {format_duration(c.head_s)} |"
                    for c in a.import_changes[:TOP]]
            if len(a.import_changes) > TOP:
                out.append(f"| … {len(a.import_changes) - TOP} more | | | |")
            out.append("")
        own = _own(a)
        if own:
            out += ["| import | self | cumulative |", "|---|---|---|"]
            out += [f"| {_cell(r.module)} | {format_duration(r.self_s)} | {format_duration(r.cumulative_s)} |"
                    for r in own[:TOP]]
            out.append("")
        if a.lazy:
            out.append("Lazy-load candidates (imported on the way to ready, not used before it): " + ", ".join(
                f"`{c.module}` (would save {format_duration(c.saves_s)})" for c in a.lazy[:TOP]))
            out.append("")
        if a.functions:
            out += ["| function | where | self | total |", "|---|---|---|---|"]
            out += [f"| `{_cell(f.name)}` | {_cell(_where(f))} | {f.self_share:.1%} | {f.total_share:.1%} |"
                    for f in a.functions[:TOP]]
            out.append("")
        if a.modules:
            out += ["| module | self |", "|---|---|"]
            out += [f"| {_cell(m.module)} | {m.self_share:.1%} |" for m in a.modules[:TOP]]
            out.append("")
        for kept in (a.speedscope, a.cpuprofile):
            if kept:
                out += [f"Profile: `{kept}` (open it in https://www.speedscope.app).", ""]
        if a.sampler_error:
            out += [f"- ⚠️ {_cell(a.sampler_error)}", ""]
    return out
