"""The memory pane: live RSS of the whole tree, current/steady/peak, the tree's processes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from lightprof.tui.live import LiveTarget
from lightprof.tui.widgets import BarChart, PaneMounted
from lightprof.units import format_size

COLUMNS = ("pid", "ppid", "RSS", "CPU%", "command")


class MemoryPane(Vertical):
    """Shows one target's memory; the process table is updated cell by cell, never rebuilt."""

    DEFAULT_CSS = """
    MemoryPane { padding: 0 1; }
    MemoryPane > .heading { color: $text-muted; text-style: bold; height: 1; }
    MemoryPane #mem-figures { height: 1; }
    MemoryPane #mem-chart-row { height: 6; }
    MemoryPane #mem-axis { width: 11; height: 6; color: $text-muted; }
    MemoryPane #mem-chart { height: 6; }
    MemoryPane #mem-processes { height: 1fr; min-height: 4; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="mem-figures")
        yield Static("resident memory of the whole tree (latest sampled run)", classes="heading")
        with Horizontal(id="mem-chart-row"):
            yield Static(id="mem-axis")
            yield BarChart(id="mem-chart")
        yield Static("processes", id="mem-proc-heading", classes="heading")
        yield DataTable(id="mem-processes", cursor_type="row", zebra_stripes=False)

    def on_mount(self) -> None:
        self.post_message(PaneMounted())
        table = self.query_one("#mem-processes", DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)

    def show(self, live: LiveTarget | None) -> None:
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
        self.query_one("#mem-chart", BarChart).data = values
        axis = ""
        if values:
            span = live.timeline[-1][0] - live.timeline[0][0]
            axis = f"{format_size(max(values))}\n\n\n\n{format_size(min(values))}\nspan {span:.2f} s"
        self.query_one("#mem-axis", Static).update(axis, layout=False)
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
        for key in [k.value for k in table.rows if k.value not in seen]:
            table.remove_row(key)
