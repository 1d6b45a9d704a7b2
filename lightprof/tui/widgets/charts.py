"""Charts the panes share: a histogram and a bar chart.

Each renders from plain numbers handed to it; rendering is cheap (a few Rich segments), so the
panes can refresh them in place several times a second while samples stream in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from lightprof.tui.widgets.histogram_lines import histogram_lines

BLOCKS = " ▁▂▃▄▅▆▇█"


class _CachedLines(Widget):
    """A widget drawn with the line API from lines computed once per change of data or size.

    Textual asks for every line of a widget on each repaint of it; turning a Rich Text into strips
    each time costs milliseconds per chart. Here a repaint only hands out cached strips.
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
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
    """How many values fall in each bin: counts up the side, ticks along the bottom, far outliers
    clipped and counted, marks (p50, p95) and a budget limit shown where they fall."""

    DEFAULT_CSS = """
    Histogram { height: 6; width: 1fr; }
    """

    def __init__(self, formatter: Callable[[float], str], *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._series: dict[str, list[float]] = {}
        self._marks: dict[str, float] = {}
        self._limit: float | None = None
        self._log = False
        self._formatter = formatter

    def set_values(self, values: Sequence[float], marks: dict[str, float] | None = None,
                   limit: float | None = None) -> None:
        """Show one series; `marks` (such as p50, p95) are named under the bars they fall in."""
        self.set_series({"": values}, marks=marks, limit=limit)

    def set_series(self, series: Mapping[str, Sequence[float]], *, log: bool = False,
                   marks: dict[str, float] | None = None, limit: float | None = None) -> None:
        """Show several series stacked on one shared x axis (log: for values decades apart)."""
        self._series = {name: list(values) for name, values in series.items()}
        self._marks, self._limit, self._log = dict(marks or {}), limit, log
        self._changed()

    def draw(self, width: int, height: int) -> list[tuple[str, str]]:
        return histogram_lines(self._series, width, height, self._formatter, log=self._log,
                               marks=self._marks, limit=self._limit)


class BarChart(_CachedLines):
    """A series drawn as bars over time, stretched or squeezed to the widget's width.

    Drop-in for Textual's Sparkline (`data` to set the values), at a fraction of its cost: one
    style a line instead of one colour a bar, which is also calmer to watch while samples stream.
    """

    DEFAULT_CSS = """
    BarChart { height: 1; width: 1fr; }
    """

    def __init__(self, *, style: str = "cyan", from_zero: bool = False, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._data: list[float] = []
        self._style = style
        self._from_zero = from_zero  # bars from 0 (memory); else from the smallest value (times)
        self.limit: float | None = None  # a budget, drawn as a line across the bars

    @property
    def scale(self) -> tuple[float, float]:
        """The values at the bottom and the top of the chart: from 0 (or the smallest value), up
        to the largest value (or the limit, when it is within twice the largest)."""
        hi = max(self._data, default=0.0)
        if self.limit is not None and self.limit <= 2 * hi:
            hi = max(hi, self.limit)
        return (0.0 if self._from_zero else min(self._data, default=0.0)), hi

    @property
    def data(self) -> list[float]:
        return self._data

    @data.setter
    def data(self, values: Sequence[float]) -> None:
        values = list(values)
        if values != self._data:
            self._data = values
            self._changed()

    def set_limit(self, limit: float | None) -> None:
        """Draw `limit` (a budget) as a line across the bars; None draws none."""
        if limit != self.limit:
            self.limit = limit
            self._changed()

    def limit_row(self, height: int) -> int | None:
        """The row (1 at the bottom) the limit is drawn on, if it is within the chart."""
        lo, hi = self.scale
        if self.limit is None or hi <= lo or not lo <= self.limit <= hi:
            return None
        row = min(height, max(1, round((self.limit - lo) / (hi - lo) * height)))
        # Values above the limit keep the top row, so that what is over the budget shows.
        return row - 1 if row == height > 1 and max(self._data) > self.limit else row

    def draw(self, width: int, height: int) -> list[tuple[str, str]]:
        if not self._data or width < 1 or height < 1:
            return []
        # Stretch or squeeze the series to the full width; a squeezed column shows the largest
        # value of its stretch, so no peak is lost.
        n = len(self._data)
        values = [max(self._data[i * n // width: max(i * n // width + 1, (i + 1) * n // width)])
                  for i in range(width)]
        lo, hi = self.scale
        span = hi - lo
        # The lowest value still shows as a sliver, so a flat series is a line, not nothing.
        levels = [(1 + (v - lo) / span * (height * 8 - 1)) if span else height * 4 for v in values]
        limit_row = self.limit_row(height)
        lines = []
        for row in range(height, 0, -1):
            floor = (row - 1) * 8
            chars = "".join(BLOCKS[max(0, min(8, round(lv - floor)))] for lv in levels)
            if row == limit_row:  # the budget crosses the bars too: a line is seen over them
                chars = "─" * len(chars)
            lines.append((chars, self._style))
        return lines


class ChartAxis(_CachedLines):
    """The value axis beside a BarChart of the same height: top and bottom values and the limit,
    each on its row, drawn at the chart's own size (so a resize can never leave them stale)."""

    def __init__(self, chart: BarChart, formatter: Callable[[float], str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._chart = chart
        self._formatter = formatter

    def changed(self) -> None:
        self._changed()

    def draw(self, width: int, height: int) -> list[tuple[str, str]]:
        if not self._chart.data or height < 2:
            return []
        lo, hi = self._chart.scale
        ticks = [""] * height
        ticks[0], ticks[-1] = self._formatter(hi), self._formatter(lo)
        limit = self._chart.limit
        row = self._chart.limit_row(height)
        if limit is not None and row is not None and 1 < row < height:
            ticks[height - row] = f"─{self._formatter(limit)}"
        return [(f"{tick:>{width - 1}} ", "") for tick in ticks]
