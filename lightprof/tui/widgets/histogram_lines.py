"""Histogram lines: counts on a y axis, ticks on an x axis, outliers clipped and marked.

Pure functions over numbers (no Textual), so the widget only caches their output and tests can
read the lines. Several series (Wasm and its fallback) share one x axis, linear or logarithmic,
so that their distance shows; a budget limit is drawn as a line across the bars.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

BLOCKS = " ▁▂▃▄▅▆▇█"
Line = tuple[str, str]  # (text, Rich style)


def _quantile(ordered: Sequence[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def axis_range(values: Sequence[float], limit: float | None = None) -> tuple[float, float]:
    """The x range to draw: every value, except far outliers (beyond Q3 + 3 IQR), which are
    clipped into the last bin and counted apart. A limit close to the range stays in view."""
    ordered = sorted(values)
    lo, hi = ordered[0], ordered[-1]
    q1, q3 = _quantile(ordered, 0.25), _quantile(ordered, 0.75)
    fence = q3 + 3 * max(q3 - q1, (q3 or 1.0) * 0.01)
    if hi > fence:
        hi = max(v for v in ordered if v <= fence)
    if limit is not None and lo <= limit <= 2 * hi:
        hi = max(hi, limit)
    return lo, hi


class Axis:
    """Maps a value to a column, linearly or on a log scale."""

    def __init__(self, lo: float, hi: float, width: int, log: bool) -> None:
        self.log = log and lo > 0
        self.lo, self.hi, self.width = lo, hi, width
        f = math.log10 if self.log else float
        self._a, self._b = f(lo), f(hi)

    def column(self, value: float) -> int:
        """The column of `value` (clamped to the axis)."""
        if self._b <= self._a:
            return 0
        x = math.log10(max(value, 1e-300)) if self.log else value
        return max(0, min(self.width - 1, int((x - self._a) / (self._b - self._a) * self.width)))

    def value(self, column: float) -> float:
        x = self._a + (self._b - self._a) * column / self.width
        return 10**x if self.log else x


def marker_row(axis: Axis, plot: int, marks: Mapping[str, float] | None) -> list[str]:
    """The cells under the axis: "▲name" at each mark's column, left to right; a mark with no room
    left (it would overlap the one before) is not drawn."""
    marker = [" "] * plot
    free = 0
    for col, name in sorted((axis.column(v), n) for n, v in (marks or {}).items()):
        text = f"▲{name}"
        start = min(max(col, free), plot - len(text))
        if start < free:
            continue
        marker[start:start + len(text)] = list(text)
        free = start + len(text) + 1
    return marker


def _ticks(axis: Axis, fmt: Callable[[float], str]) -> str:
    """Tick labels under the axis: both ends and as many between as fit without touching."""
    width = axis.width
    line = [" "] * width
    labels = [(0, fmt(axis.lo)), (width, fmt(axis.hi))]
    for k in (1, 2, 3):
        labels.append((width * k // 4, fmt(axis.value(width * k / 4))))
    taken: list[tuple[int, int]] = []
    for col, label in labels[:2] + labels[2:]:
        start = min(max(0, col - (0 if col == 0 else len(label) // 2)), width - len(label))
        if col == width:
            start = width - len(label)
        span = (start - 1, start + len(label) + 1)
        if start < 0 or any(not (span[1] <= a or span[0] >= b) for a, b in taken):
            continue
        taken.append((start, start + len(label)))
        line[start:start + len(label)] = list(label)
    return "".join(line)


def histogram_lines(
    series: Mapping[str, Sequence[float]],
    width: int,
    height: int,
    fmt: Callable[[float], str],
    *,
    log: bool = False,
    marks: Mapping[str, float] | None = None,
    limit: float | None = None,
) -> list[Line]:
    """Lines of a histogram of each series (stacked, on one shared x axis) in `width` x `height`."""
    series = {name: list(values) for name, values in series.items() if values}
    if not series or width < 16 or height < 4:
        return [("no runs yet", "dim")]
    everything = [v for values in series.values() for v in values]
    if log and min(everything) <= 0:
        log = False
    lo, hi = axis_range(everything, limit)
    counts_width = len(str(len(max(series.values(), key=len))))
    label_width = max([len(name) for name in series] + [counts_width]) if len(series) > 1 else counts_width
    plot = width - label_width - 1
    axis = Axis(lo, hi, plot, log)
    bins = max(4, min(plot // 2, max(8, math.ceil(2 * len(everything) ** (1 / 3)) * 2)))
    cell = plot / bins
    rows_each = max(1, (height - 3) // len(series))
    lines: list[Line] = []
    limit_col = axis.column(limit) if limit is not None and lo <= limit <= hi else None
    for name, values in series.items():
        counts = [0] * bins
        clipped = 0
        for value in values:
            if value > hi:
                clipped += 1
            counts[min(bins - 1, int(axis.column(value) / cell))] += 1
        top = max(counts)
        for row in range(rows_each, 0, -1):
            floor = (row - 1) * 8
            chars = []
            for col in range(plot):
                b = min(bins - 1, int(col / cell))
                level = counts[b] / top * rows_each * 8
                # A gap in the last column of each wide bar, so neighbouring bars stay apart.
                edge = cell >= 3 and col + 1 < plot and min(bins - 1, int((col + 1) / cell)) != b
                chars.append(" " if edge else BLOCKS[max(0, min(8, round(level - floor)))])
            if limit_col is not None and chars[limit_col] == " ":
                chars[limit_col] = "│"
            if row == rows_each:
                label = str(top)
            elif row == 1 and len(series) > 1:
                label = name
            else:
                label = ""
            style = "cyan" if name == next(iter(series)) else "magenta"
            lines.append((f"{label:>{label_width}}┤" + "".join(chars), style))
        if clipped:
            note = f"+{clipped} beyond ▸"
            last = lines[-rows_each]
            lines[-rows_each] = (last[0][: width - len(note)] + note, last[1])
    lines.append((" " * label_width + "└" + "─" * plot, "dim"))
    marker = marker_row(axis, plot, marks)
    if limit_col is not None:
        text = "│budget"
        start = min(limit_col, plot - len(text))
        if all(c == " " for c in marker[start:start + len(text)]):
            marker[start:start + len(text)] = list(text)
    if marks or limit_col is not None:
        lines.append((" " * (label_width + 1) + "".join(marker), "yellow"))
    lines.append((" " * (label_width + 1) + _ticks(axis, fmt), "dim"))
    return lines[:height] if len(lines) <= height else lines[: height - 2] + lines[-2:]
