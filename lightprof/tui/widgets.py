"""Widgets shared by the panes: a histogram, a progress line, verdict marks and colours.

Each renders from plain numbers handed to it; rendering is cheap (a few Rich segments), so the
panes can refresh them in place several times a second while samples stream in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

VERDICT_STYLE = {
    "pass": "bold green",
    "fail": "bold red",
    "regression": "bold yellow",
    "inconclusive": "yellow",
    "unmeasured": "magenta",
    "pending": "dim",
}
VERDICT_MARK = {"pass": "✓", "fail": "✗", "regression": "▲", "inconclusive": "~", "unmeasured": "?", "pending": "·"}
# Worst first: a subject shows the worst verdict among its budgets.
VERDICT_ORDER = ("fail", "regression", "unmeasured", "inconclusive", "pass", "pending")

BLOCKS = " ▁▂▃▄▅▆▇█"


class PaneMounted(Message):
    """A pane mounted (the app mounts hidden panes lazily, after the first paint): the app draws
    it then, in case its tab was chosen before it was there."""


def worst_verdict(verdicts: Sequence[str]) -> str:
    """The verdict a subject shows: its worst budget's, or pending when nothing is judged yet."""
    for verdict in VERDICT_ORDER:
        if verdict in verdicts:
            return verdict
    return "pending"


def verdict_text(verdict: str) -> Text:
    return Text(f"{VERDICT_MARK.get(verdict, ' ')} {verdict}", style=VERDICT_STYLE.get(verdict, ""))


def progress_text(done: int, total: int, width: int, suffix: str) -> Text:
    """A one-line progress bar `━━━━╺──── done/total suffix` sized to `width` cells."""
    label = f" {done}/{total} {suffix}".rstrip()
    bar_width = max(4, width - len(label) - 1)
    filled = round(bar_width * done / total) if total else 0
    text = Text()
    text.append("━" * filled, style="green" if done >= total and total else "cyan")
    text.append("─" * (bar_width - filled), style="grey35")
    text.append(label)
    return text


class _CachedLines(Widget):
    """A widget drawn with the line API from lines computed once per change of data or size.

    Textual asks for every line of a widget on each repaint of it; turning a Rich Text into strips
    each time costs milliseconds per chart. Here a repaint only hands out cached strips.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._strips: list[Strip] = []
        self._drawn_for: tuple[int, int] | None = None

    def _changed(self) -> None:
        self._drawn_for = None
        self.refresh()

    def draw(self, width: int, height: int) -> list[tuple[str, str]]:
        """The widget's lines as (text, style), at most `height` of them."""
        raise NotImplementedError

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        if self._drawn_for != (width, height):
            base = self.rich_style
            self._strips = [
                Strip([Segment(text[:width].ljust(width), base + Style.parse(style))], width)
                for text, style in self.draw(width, height)[:height]
            ]
            self._drawn_for = (width, height)
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(width, self.rich_style)


class Histogram(_CachedLines):
    """Vertical bars of how many values fall in each bin, with the value range underneath."""

    DEFAULT_CSS = """
    Histogram { height: 6; width: 1fr; }
    """

    def __init__(self, formatter: Callable[[float], str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._values: list[float] = []
        self._marks: dict[str, float] = {}
        self._formatter = formatter

    def set_values(self, values: Sequence[float], marks: dict[str, float] | None = None) -> None:
        """Show `values`; `marks` (such as p50, p95) are named under the bars they fall in."""
        self._values = list(values)
        self._marks = dict(marks or {})
        self._changed()

    def draw(self, width: int, height: int) -> list[tuple[str, str]]:
        if not self._values or width < 8 or height < 3:
            return [("no runs yet", "dim")]
        bar_rows = height - 2
        lo, hi = min(self._values), max(self._values)
        # Rice's rule (2·n^⅓ bins), at least 8, more (up to n/2) when the width allows four cells
        # a bin: few runs show as a few wide bars rather than a barcode of one-cell columns.
        n = len(self._values)
        wanted = max(8, math.ceil(2 * n ** (1 / 3)), min(width // 4, n // 2))
        bins = max(1, min(width // 2, wanted))
        cell = width // bins
        span = (hi - lo) or 1.0
        counts = [0] * bins
        for value in self._values:
            counts[min(bins - 1, int((value - lo) / span * bins))] += 1
        top = max(counts)
        levels = [count / top * bar_rows * 8 for count in counts]
        bar_width = cell - 1 if cell >= 3 else cell
        lines = []
        for row in range(bar_rows, 0, -1):
            floor = (row - 1) * 8
            line = "".join(
                BLOCKS[max(0, min(8, round(level - floor)))] * bar_width + " " * (cell - bar_width)
                for level in levels
            )
            lines.append((line, "cyan"))
        marker = [" "] * width
        free = 0  # labels that would overlap move right, so close marks stay readable
        placed = sorted(
            (min(bins - 1, int((v - lo) / span * bins)) * cell, n) for n, v in self._marks.items()
        )
        for col, name in placed:
            start = min(max(col, free), width - len(name))
            if start < free:
                continue
            marker[start : start + len(name)] = list(name)
            free = start + len(name) + 1
        lines.append(("".join(marker), "yellow"))
        left, right = self._formatter(lo), self._formatter(hi)
        gap = max(1, width - len(left) - len(right))
        lines.append((left + " " * gap + right, "dim"))
        return lines


class BarChart(_CachedLines):
    """A series drawn as bars over time, stretched or squeezed to the widget's width.

    Drop-in for Textual's Sparkline (`data` to set the values), at a fraction of its cost: one
    style a line instead of one colour a bar, which is also calmer to watch while samples stream.
    """

    DEFAULT_CSS = """
    BarChart { height: 1; width: 1fr; }
    """

    def __init__(self, *, style: str = "cyan", id: str | None = None) -> None:
        super().__init__(id=id)
        self._data: list[float] = []
        self._style = style

    @property
    def data(self) -> list[float]:
        return self._data

    @data.setter
    def data(self, values: Sequence[float]) -> None:
        values = list(values)
        if values != self._data:
            self._data = values
            self._changed()

    def draw(self, width: int, height: int) -> list[tuple[str, str]]:
        if not self._data or width < 1 or height < 1:
            return []
        # Stretch or squeeze the series to the full width; a squeezed column shows the largest
        # value of its stretch, so no peak is lost.
        n = len(self._data)
        values = [max(self._data[i * n // width: max(i * n // width + 1, (i + 1) * n // width)])
                  for i in range(width)]
        lo, hi = min(values), max(values)
        span = hi - lo
        # The lowest value still shows as a sliver, so a flat series is a line, not nothing.
        levels = [(1 + (v - lo) / span * (height * 8 - 1)) if span else height * 4 for v in values]
        lines = []
        for row in range(height, 0, -1):
            floor = (row - 1) * 8
            lines.append(("".join(BLOCKS[max(0, min(8, round(lv - floor)))] for lv in levels),
                          self._style))
        return lines


class ProgressLine(Widget):
    """A progress bar drawn to the widget's own width, so it never wraps after a resize."""

    DEFAULT_CSS = """
    ProgressLine { height: 1; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._state: tuple[int, int, str] | None = None
        self._idle = Text("")

    def set_progress(self, done: int, total: int, suffix: str) -> None:
        self._state = (done, total, suffix)
        self.refresh()

    def set_idle(self, message: str) -> None:
        self._state = None
        self._idle = Text(message, style="dim")
        self.refresh()

    def render(self) -> Text:
        if self._state is None:
            return self._idle
        done, total, suffix = self._state
        return progress_text(done, total, self.size.width, suffix)
