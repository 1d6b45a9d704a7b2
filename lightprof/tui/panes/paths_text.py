"""Lines the paths pane draws: the per-path table, a latency histogram per path, the events of
each impl on one shared axis, and the counters before/after.

Pure functions of the report's data and a width (no Textual), each returning (text, Rich style)
lines that fit `width` cells: a column that does not fit is dropped and names are shortened,
never a number cut.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from lightprof.model.paths import Counter, EventStats, PathResult
from lightprof.tui.numbers import WIDTH
from lightprof.tui.numbers import duration as format_duration
from lightprof.tui.numbers import size as format_size
from lightprof.tui.widgets.histogram_lines import BLOCKS, Axis, Line, _ticks, marker_row

# (heading, width, priority): lower priority is dropped first when the pane is narrow.
COLUMNS = (("p50", WIDTH, 5), ("p95", WIDTH, 6), ("first", WIDTH, 4), ("ops/cpu-s", 9, 3),
           ("errors", 6, 7), ("requests", 8, 1), ("peak RSS", WIDTH, 2))
NAME_MIN = 6


def fit(text: str, width: int) -> str:
    """`text` in at most `width` cells, shortened with an ellipsis (names only, never numbers)."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def count(value: float | None) -> str:
    """A count or rate as a whole number with thousands separators; fractions to 3 digits."""
    if value is None or not math.isfinite(value):
        return "—"
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _cells(path: PathResult) -> dict[str, tuple[str, str]]:
    """The figures of one path as (text, style) per column."""
    latency = path.latency_s
    return {
        "p50": (format_duration(latency.p50) if latency else "—", ""),
        "p95": (format_duration(latency.p95) if latency else "—", ""),
        "first": (format_duration(path.first_latency_s), ""),
        "ops/cpu-s": (count(path.ops_per_cpu_s), ""),
        "errors": (str(path.errors), "bold red" if path.errors else ""),
        "requests": (f"{path.requests:,}", ""),
        "peak RSS": (format_size(path.rss_peak_bytes), ""),
    }


def path_table(paths: Sequence[PathResult], width: int, running: str | None = None) -> list[Line]:
    """One row per path: name, then the figures that fit, right-aligned; a path that could not be
    measured says why on its row. `running` names the path in flight (marked ▶)."""
    names = [p.name for p in paths] + ([running] if running else [])
    name_width = max([NAME_MIN, 4] + [len(n) + 2 for n in names])
    columns = list(COLUMNS)
    while columns and NAME_MIN + 2 + sum(w + 1 for _h, w, _p in columns) > width:
        columns.remove(min(columns, key=lambda c: c[2]))
    room = width - sum(w + 1 for _h, w, _p in columns)
    name_width = max(NAME_MIN, min(name_width, room))
    head = f"{'path':<{name_width}}" + "".join(f" {h:>{w}}" for h, w, _p in columns)
    lines: list[Line] = [(head, "bold")]
    for path in paths:
        cells = _cells(path)
        row = f"{fit('  ' + path.name, name_width):<{name_width}}"
        if path.error:
            lines.append((row + " " + fit(path.error, width - name_width - 1), "red"))
            continue
        row += "".join(f" {cells[h][0]:>{w}}" for h, w, _p in columns)
        style = "red" if path.errors else ""
        note = []
        if path.stopped_by:
            note.append(f"stopped by {path.stopped_by}")
        lines.append((row, style))
        if note:
            lines.append((fit("    " + "; ".join(note), width), "yellow"))
    if running:
        lines.append((fit(f"▶ {running}", name_width) + "  running…", "cyan"))
    return lines


def binned_lines(bins: Sequence[tuple[float, int]], low: float, width: int, height: int,
                 fmt: Callable[[float], str] = format_duration, *,
                 marks: dict[str, float] | None = None, limit: float | None = None) -> list[Line]:
    """A histogram of pre-binned counts (the report's log-spaced bins: upper bound, count; the
    first bin starts at `low`), on a log axis: counts up the side, ticks along the bottom, marks
    (p50, p95) and a budget limit where they fall."""
    total = sum(c for _b, c in bins)
    if not bins or total == 0 or width < 16 or height < 4:
        return [("no requests yet", "dim")]
    high = bins[-1][0]
    lo, hi = (low, high) if high > low > 0 else (high / 1.5, high * 1.5)
    # On a log axis a budget up to ten times off the range still leaves the bars most of the width.
    if limit is not None and hi < limit <= 10 * hi:
        hi = limit
    elif limit is not None and lo / 10 <= limit < lo:
        lo = limit
    top = max(c for _b, c in bins)
    label_width = len(str(top))
    plot = width - label_width - 1
    axis = Axis(lo, hi, plot, True)
    filled = _columns(bins, axis, lo)
    rows = max(1, height - 3)
    limit_col = axis.column(limit) if limit is not None and lo <= limit <= hi else None
    lines: list[Line] = []
    for row in range(rows, 0, -1):
        floor = (row - 1) * 8
        # A bin with any count shows at least the lowest block: one slow request stays visible.
        chars = [BLOCKS[max(1 if n and row == 1 else 0, min(8, round(n / top * rows * 8 - floor)))]
                 for n in filled]
        if limit_col is not None and chars[limit_col] == " ":
            chars[limit_col] = "│"
        label = str(top) if row == rows else ""
        lines.append((f"{label:>{label_width}}┤" + "".join(chars), "cyan"))
    lines.append((" " * label_width + "└" + "─" * plot, "dim"))
    marker = marker_row(axis, plot, marks)
    if limit_col is not None:  # "│budget" right of the limit, else "budget│" left of it
        for start, label in ((min(limit_col, plot - 7), "│budget"), (max(0, limit_col - 6), "budget│")):
            if all(c == " " for c in marker[start:start + 7]):
                marker[start:start + 7] = list(label)
                break
    if marks or limit_col is not None:
        lines.append((" " * (label_width + 1) + "".join(marker), "yellow"))
    lines.append((" " * (label_width + 1) + _ticks(axis, fmt), "dim"))
    return lines


def _columns(bins: Sequence[tuple[float, int]], axis: Axis, lo: float) -> list[int]:
    """Each column takes the count of the bin its middle lies in (bins are (previous bound, bound])."""
    out = []
    bounds = [b for b, _n in bins]
    counts = [n for _b, n in bins]
    for col in range(axis.width):
        value = axis.value(col + 0.5)
        index = next((i for i, b in enumerate(bounds) if value <= b), None)
        out.append(counts[index] if index is not None and value >= lo else 0)
    return out


def events_lines(events: Sequence[EventStats], width: int) -> list[Line]:
    """Each (event, op, impl) with its `ms` on one shared log axis, side by side: min–max as a
    thin line, p50–p95 as a thick one, p50 marked; count, p50 and p95 as figures."""
    timed = [e for e in events if e.ms is not None and e.ms.n > 0]
    untimed = [e for e in events if e not in timed]
    labels = {id(e): " ".join(x for x in (e.op or e.event, e.impl or "") if x) for e in events}
    label_width = min(max([len(v) for v in labels.values()] + [4]), max(8, width // 4))
    lines: list[Line] = []
    figures_width = 7 + 2 * (WIDTH + 1)
    plot = width - label_width - figures_width - 2
    head = f"{'event':<{label_width}} {'n':>7} {'p50':>{WIDTH}} {'p95':>{WIDTH}}"
    lines.append((head + ("  " + "ms, one axis" if plot >= 16 else ""), "bold"))
    axis = None
    if timed and plot >= 16:
        lo = min(max(e.ms.min, 1e-6) for e in timed if e.ms)  # values are in ms
        hi = max(e.ms.max for e in timed if e.ms)
        if hi <= lo:
            lo, hi = lo / 1.5, hi * 1.5
        axis = Axis(lo, hi, plot, True)
    styles = ("cyan", "magenta", "green", "yellow")
    for index, event in enumerate(timed):
        ms = event.ms
        assert ms is not None
        row = (f"{fit(labels[id(event)], label_width):<{label_width}} {count(event.n):>7}"
               f" {format_duration(ms.p50 / 1e3):>{WIDTH}} {format_duration(ms.p95 / 1e3):>{WIDTH}}")
        if axis is not None:
            cells = [" "] * plot
            for col in range(axis.column(max(ms.min, 1e-6)), axis.column(ms.max) + 1):
                cells[col] = "─"
            for col in range(axis.column(ms.p50), axis.column(ms.p95) + 1):
                cells[col] = "━"
            cells[axis.column(ms.p50)] = "┃"
            row += "  " + "".join(cells)
        lines.append((row, styles[index % len(styles)]))
    for event in untimed:
        lines.append((f"{fit(labels[id(event)], label_width):<{label_width}} {count(event.n):>7}", ""))
    if axis is not None:
        pad = " " * (width - plot)
        lines.append((pad + _ticks(axis, lambda v: format_duration(v / 1e3)), "dim"))
    return lines


def counters_lines(counters: dict[str, Counter], width: int) -> list[Line]:
    """Each counter's before, after and delta, right-aligned; the name is shortened to fit."""
    rows = [(name, [count(v) for v in (c.before, c.after, c.delta)], bool(c.delta))
            for name, c in sorted(counters.items())]
    number = max([6] + [len(f) for _n, figures, _d in rows for f in figures])
    shown = 3 if width >= 20 + 3 * (number + 1) else 1  # too narrow: the delta alone
    name_width = max(8, width - shown * (number + 1))
    headings = ("before", "after", "delta")[3 - shown:]
    lines: list[Line] = [(f"{'counter':<{name_width}}" + "".join(f" {h:>{number}}" for h in headings), "bold")]
    for name, figures, moved in rows:
        cells = "".join(f" {f:>{number}}" for f in figures[3 - shown:])
        lines.append((f"{fit(name, name_width):<{name_width}}" + cells, "green" if moved else ""))
    return lines
