"""The budgets pane: every budget with its limit, measured value, baseline, delta and verdict."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from lightprof.tui.budget_rows import Row
from lightprof.tui.numbers import figure as compact
from lightprof.tui.numbers import ratio as format_ratio
from lightprof.tui.verdicts import mark
from lightprof.tui.widgets.lazy import PaneMounted

COLUMNS = ("mark", "subject", "metric", "limit", "measured", "baseline", "delta", "verdict")
# Narrower panes drop the baseline and delta first, then the verdict's word (its coloured mark
# leads the row); below that the metric's name is shortened. A figure is never cut.
MIDDLE_COLUMNS = ("mark", "subject", "metric", "limit", "measured", "verdict")
NARROW_COLUMNS = ("mark", "subject", "metric", "limit", "measured")
WIDE, MIDDLE = 96, 74  # pane columns from which each set fits
NARROW_METRIC = 14  # cells left for a metric's name in the narrowest set


def row_key(subject: str, metric: str) -> str:
    return f"{subject}\t{metric}"


class BudgetsPane(Vertical):
    """Shows budget rows; the app owns them and hands them in with `show`."""

    DEFAULT_CSS = """
    BudgetsPane { padding: 0 1; }
    BudgetsPane #bud-table { height: 1fr; }
    BudgetsPane #bud-head, BudgetsPane #bud-status { height: auto; }
    BudgetsPane #bud-status { color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="bud-head")
        yield DataTable(id="bud-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="bud-status")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: Sequence[Row] = ()
        self._columns: tuple[str, ...] = ()

    def on_mount(self) -> None:
        self.post_message(PaneMounted())

    def on_resize(self) -> None:
        self._fill()

    def show(self, rows: Sequence[Row], headroom: float, status: str, editable: bool) -> None:
        head = Text()
        if editable:
            head.append(f"headroom {headroom * 100:.0f}%", style="bold")
            head.append(" for suggestions ([ ] to change)", style="dim")
        else:
            head.append("budgets from a saved report (read-only)", style="dim")
        self.query_one("#bud-head", Static).update(head)
        self.query_one("#bud-status", Static).update(status)
        self._rows = rows
        self._fill()

    def _fill(self) -> None:
        rows = self._rows
        table = self.query_one("#bud-table", DataTable)
        width = self.size.width
        columns = COLUMNS if width >= WIDE else MIDDLE_COLUMNS if width >= MIDDLE else NARROW_COLUMNS
        keys = [row_key(r.subject, r.metric) for r in rows]
        if columns != self._columns or keys != [k.value for k in table.rows]:
            # The columns or the set of budgets changed (rare); rebuild once, keeping the cursor.
            cursor = table.cursor_row
            table.clear(columns=columns != self._columns)
            if columns != self._columns:
                self._columns = columns
                for column in columns:
                    table.add_column("" if column == "mark" else column, key=column)
            for key, row in zip(keys, rows, strict=True):
                table.add_row(*self._pick(columns, self._cells(row)), key=key)
            if rows:
                table.move_cursor(row=min(cursor, len(rows) - 1))
            return
        for key, row in zip(keys, rows, strict=True):
            for column, cell in zip(columns, self._pick(columns, self._cells(row)), strict=True):
                if table.get_cell(key, column) != cell:
                    table.update_cell(key, column, cell)

    @staticmethod
    def _pick(columns: tuple[str, ...], cells: tuple[str | Text, ...]) -> tuple[str | Text, ...]:
        picked = [cell for name, cell in zip(COLUMNS, cells, strict=True) if name in columns]
        if columns is NARROW_COLUMNS:
            metric = str(picked[2])
            picked[2] = metric if len(metric) <= NARROW_METRIC else metric[: NARROW_METRIC - 1] + "…"
        return tuple(picked)

    @staticmethod
    def _cells(row: Row) -> tuple[str | Text, ...]:
        symbol, style = mark(row.verdict or "idle")
        si = row.kind != "target"
        bound = row.measured is not None and "at most" in (row.note or "")
        return (
            Text(symbol, style=style),
            row.subject,
            row.metric,
            Text(compact(row.limit, row.unit, si), justify="right"),
            Text(("≤" if bound else "") + compact(row.measured, row.unit, si), justify="right",
                 style=style if row.verdict in ("fail", "regression") else ""),
            Text(compact(row.baseline, row.unit, si), justify="right"),
            Text(format_ratio(row.delta), justify="right"),
            Text(row.verdict or "not measured", style=style),
        )

    def focus_detail(self) -> None:
        """Give the table the keyboard: ↑↓ choose the budget that e edits."""
        self.query_one("#bud-table", DataTable).focus()

    def selected(self) -> tuple[str, str] | None:
        """The (subject, metric) under the cursor, if any."""
        table = self.query_one("#bud-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        if key is None:
            return None
        subject, metric = key.split("\t", 1)
        return subject, metric
