"""The critical paths, events and counters of a target, as text lines and Markdown tables.

Shared by the terminal table and the Markdown report (GitHub's step summary is that Markdown);
their budget rows (`latency_p95@sum`, `errors@sum`, `wasm_vs_js@sum`, ...) reach every report,
JUnit and annotations included, through the budget table like any other row.
"""

from __future__ import annotations

from collections.abc import Callable

from lightprof.model.paths import Counter, EventStats, PathResult
from lightprof.model.target import TargetResult
from lightprof.units import format_duration, format_size


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if value == int(value) and abs(value) < 1e15 else f"{value:.6g}"


def path_line(path: PathResult) -> str:
    """One line: requests, latency percentiles, the first request, ops per CPU-second, RSS, errors."""
    parts = [f"path {path.name}: {path.method} {path.url}"]
    extra = f" (+{path.sent - path.requests} first/warm-up)" if path.sent > path.requests else ""
    parts.append(f"{path.requests} requests{extra}, concurrency {path.concurrency}")
    if path.latency_s is not None:
        lat = path.latency_s
        parts.append(f"p50 {format_duration(lat.p50)}, p95 {format_duration(lat.p95)}, "
                     f"p99 {format_duration(lat.p99)}, max {format_duration(lat.max)}")
    parts.append(f"first {format_duration(path.first_latency_s)}")
    if path.ops_per_cpu_s is not None and path.cpu_s is not None:
        parts.append(f"{path.ops_per_cpu_s:.1f} ops/CPU-s (tree CPU {format_duration(path.cpu_s)}, "
                     f"client CPU {format_duration(path.client_cpu_s)})")
    if path.rss_after_bytes is not None:
        parts.append(f"RSS after {format_size(path.rss_after_bytes)}, peak {format_size(path.rss_peak_bytes)}")
    errors = f"{path.errors} error{'s' if path.errors != 1 else ''}"
    if path.errors:
        errors += " (" + ", ".join(f"{k} ×{n}" for k, n in sorted(path.statuses.items())) + ")"
    if path.stopped_by:
        errors += f", stopped early: {path.stopped_by}"
    parts.append(errors)
    if path.error:
        parts.append(path.error)
    return " · ".join(parts)


def event_line(row: EventStats) -> str:
    labels = (row.event, f"op={row.op}" if row.op else "", f"impl={row.impl}" if row.impl else "")
    what = " ".join(label for label in labels if label)
    text = f"events {what}: n={row.n}"
    if row.ms is not None:
        sampled = " (of a sample)" if row.ms.sampled else ""
        text += f", ms p50 {row.ms.p50:.4g}, p95 {row.ms.p95:.4g}{sampled}"
    return text


def counter_line(name: str, counter: Counter) -> str:
    delta = ""
    if counter.delta is not None:
        delta = f" ({'+' if counter.delta >= 0 else ''}{_number(counter.delta)})"
    return f"counter {name}: {_number(counter.before)} → {_number(counter.after)}{delta}"


def target_lines(target: TargetResult) -> list[str]:
    """The paths, events, counters and idle-vs-loaded RSS of one target (nothing without them)."""
    lines = [path_line(path) for path in target.paths]
    telemetry = target.telemetry
    if telemetry is not None:
        if telemetry.idle_rss_bytes is not None and target.paths and target.memory is not None:
            lines.append(f"RSS idle {format_size(telemetry.idle_rss_bytes)} → under load "
                         f"{format_size(target.memory.steady_rss_bytes)} (rss_steady is judged under load)")
        if telemetry.summary is not None:
            s = telemetry.summary
            lines.append(f"output: {s.lines} lines, {s.events} events, {s.skipped} skipped"
                         + (f", {s.too_long} too long" if s.too_long else "")
                         + (f", {s.kinds_dropped} beyond the kinds limit" if s.kinds_dropped else ""))
        if telemetry.metrics_error:
            lines.append(f"metrics: {telemetry.metrics_error}")
    lines.extend(event_line(row) for row in target.events)
    lines.extend(counter_line(name, counter) for name, counter in target.counters.items())
    return lines


def markdown_tables(targets: list[TargetResult], fmt: Callable[[str], str]) -> list[str]:
    """A paths table, then events and counters, for the targets that have them; `fmt` escapes a
    table cell."""
    out: list[str] = []
    rows = [(t, p) for t in targets for p in t.paths]
    if rows:
        out.append("| target | path | requests | p50 | p95 | p99 | first | ops/CPU-s | RSS after | RSS peak | errors |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for t, p in rows:
            lat = p.latency_s
            ops = f"{p.ops_per_cpu_s:.1f}" if p.ops_per_cpu_s is not None else "—"
            out.append(
                f"| {fmt(t.name)} | {fmt(p.name)} ({fmt(p.method)} {fmt(p.url)}) | {p.requests} | "
                f"{format_duration(lat.p50 if lat else None)} | {format_duration(lat.p95 if lat else None)} | "
                f"{format_duration(lat.p99 if lat else None)} | {format_duration(p.first_latency_s)} | {ops} | "
                f"{format_size(p.rss_after_bytes)} | {format_size(p.rss_peak_bytes)} | {p.errors} |"
            )
        out.append("")
    for t in targets:
        extra = [line for line in target_lines(t) if not line.startswith("path ")]
        out.extend(f"- {fmt(t.name)}: {fmt(line)}" for line in extra)
    if any(not line.startswith("|") for line in out if line):
        out.append("")
    return out
