"""The memory pane: live RSS of the whole tree, current/steady/peak, the tree's processes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from lightprof.tui.live import LiveTarget
from lightprof.tui.numbers import size as format_size
from lightprof.tui.widgets.charts import BarChart, ChartAxis
from lightprof.tui.widgets.lazy import PaneMounted

COLUMNS = ("pid", "ppid", "RSS", "CPU%", "command")


class MemoryPane(Vertical):
    """Shows one target's memory; the process table is updated cell by cell, never rebuilt."""

    DEFAULT_CSS = """
    MemoryPane { padding: 0 1; }
    MemoryPane > .heading { color: $text-muted; text-style: bold; height: 1; }
    MemoryPane #mem-figures { height: 1; }
    MemoryPane #mem-chart-row { height: 1fr; min-height: 5; max-height: 16; }
    MemoryPane #mem-axis { width: 10; height: 1fr; color: $text-muted; }
    MemoryPane #mem-chart { height: 1fr; }
    MemoryPane #mem-span { height: 1; color: $text-muted; }
    MemoryPane #mem-processes { height: 1fr; min-height: 3; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="mem-figures")
        yield Static("resident memory of the whole tree", classes="heading")
        chart = BarChart(id="mem-chart", from_zero=True)
        with Horizontal(id="mem-chart-row"):
            yield ChartAxis(chart, format_size, id="mem-axis")
            yield chart
        yield Static(id="mem-span")
        yield Static("processes", id="mem-proc-heading", classes="heading")
        yield DataTable(id="mem-processes", cursor_type="row", zebra_stripes=False)

    def on_mount(self) -> None:
        self.post_message(PaneMounted())
        table = self.query_one("#mem-processes", DataTable)
        # A live list to read, not to browse: never focused, so arrows always choose the subject
        # (and the picture does not depend on whether focus happened to land on it).
        table.can_focus = False
        for column in COLUMNS:
            table.add_column(column, key=column)

    def show(self, live: LiveTarget | None, rows: Sequence[Any] = ()) -> None:
        """Draw `live`'s memory; `rows` (its budgets) give the limit drawn across the chart."""
        if live is None:
            return
        figures = Text()
        peak = format_size(live.peak_rss)
        if live.peak_rss is None and live.peak_rss_at_most is not None:
            # Too short to sample: the peak is only known to be below the forking parent's RSS.
            peak = f"≤ {format_size(live.peak_rss_at_most)}"
        for label, value in (
            ("current", format_size(live.current_rss)),
            ("steady", format_size(live.steady_rss)),
            ("peak", peak),
        ):
            figures.append(f"{label} ", style="bold")
            figures.append(f"{value}   ")
        figures.rstrip()
        # Fixed heights: these updates need no layout pass (the costly part of a refresh).
        self.query_one("#mem-figures", Static).update(figures, layout=False)
        values = [rss for _t, rss in live.timeline]
        limits = [r.limit for r in rows if r.metric in ("rss_peak", "rss_steady") and r.limit]
        chart = self.query_one("#mem-chart", BarChart)
        chart.set_limit(min(limits) if limits else None)
        chart.data = values
        self.query_one("#mem-axis", ChartAxis).changed()
        span = ""
        if values:
            span = (f"{' ' * 10}latest run, {live.timeline[-1][0] - live.timeline[0][0]:.2f} s"
                    + (f" · ─ budget {format_size(chart.limit)}" if chart.limit else ""))
        self.query_one("#mem-span", Static).update(span, layout=False)
        count = len(live.processes)
        self.query_one("#mem-proc-heading", Static).update(
            f"processes in the tree ({count})", layout=False
        )
        self._update_processes(live)

    def _update_processes(self, live: LiveTarget) -> None:
        table = self.query_one("#mem-processes", DataTable)
        seen: set[str] = set()
        for proc in live.processes:
            key = str(proc.pid)
            seen.add(key)
            cells = (
                str(proc.pid),
                str(proc.ppid),
                format_size(proc.rss_bytes),
                f"{proc.cpu_percent:.1f}",
                proc.command,
            )
            if key in table.rows:
                for column, value in zip(COLUMNS, cells, strict=True):
                    table.update_cell(key, column, value)
            else:
                table.add_row(*cells, key=key)
        for gone in [k for k in table.rows if k.value not in seen]:
            table.remove_row(gone)
