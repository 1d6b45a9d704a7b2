"""Text the sizes pane draws with: figures, bars, shares, fitted paths, the budgets table."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import DataTable

from lightprof.model.verdict import BudgetRow
from lightprof.tui.numbers import figure as compact
from lightprof.tui.numbers import ratio as format_ratio
from lightprof.tui.numbers import size as format_size
from lightprof.tui.verdicts import mark

TALL = 34  # from this many pane rows an image shows its wasted paths under its layers
BLOCKS = " ▏▎▍▌▋▊▉█"
# Short names keep the budget table inside 55 columns (the detail's width in an 80-column terminal).
METRIC_LABEL = {"size_compressed": "compressed", "wasted_bytes": "wasted", "wasm_kernel_sample": "wasm sample"}
WASTED_HEADING = "wasted paths (in two or more layers), largest first"


def _size(value: float | None) -> str:
    """Shipped sizes in SI units (kB = 1000 bytes), as their budgets count them."""
    return format_size(value, si=True)


def _bar_width(width: int) -> int:
    """Bars narrow in a narrow pane, leaving the paths the room (they are what users read)."""
    return 8 if width < 70 else 12 if width < 100 else 20


def _bar(value: float, top: float, width: int) -> Text:
    """A horizontal bar in eighths of a cell: `value` against the largest value `top`."""
    eighths = round(width * 8 * value / top) if top > 0 else 0
    full, part = divmod(max(0, min(width * 8, eighths)), 8)
    return Text("█" * full + (BLOCKS[part] if part else ""), style="cyan")


def _share(value: float, whole: float | None) -> Text:
    return Text(f"{value / whole:.0%}" if whole else "", style="dim", justify="right")


def _right(text: str, style: str = "") -> Text:
    return Text(text, style=style, justify="right")


def _fill_ranked(table: DataTable, rows: Sequence[tuple[int, Text, str]], figures: tuple[str, str, int],
                 width: int, empty: str, *, mark_wasm: bool = False) -> None:
    """Rows of (bytes, a second figure, path), largest first, as size | figure | bar | path.

    `figures` names the size and figure columns and gives the figure's width. Paths get what the
    other columns leave (each column has a cell of padding either side), so the table never needs
    a horizontal scrollbar.
    """
    size_title, figure_title, figure_width = figures
    sizes = [_size(size) for size, _figure, _path in rows]
    bar = _bar_width(width)
    room = width - (max(map(len, sizes), default=4) + 2) - (figure_width + 2) - (bar + 2) - 2
    table.add_column(size_title, key=size_title)
    table.add_column(figure_title, key=figure_title)
    table.add_column("", key="bar", width=bar)
    table.add_column("path", key="path")
    if not rows:
        table.add_row("", "", "", Text(empty, style="dim"))
        return
    top = rows[0][0] or 1
    for i, ((size, figure, path), shown) in enumerate(zip(rows, sizes, strict=True)):
        tag = " ◆ wasm" if mark_wasm and path.endswith(".wasm") else ""
        name = Text(_fit(path, max(8, room - len(tag))))  # a Text: a str would be read as markup
        name.append(tag, style="bold magenta")
        table.add_row(_right(shown), figure, _bar(size, top, bar), name, key=str(i))


def _fit(path: str, width: int) -> str:
    """Cut a path to `width` cells from the left: the file name is the part worth keeping."""
    return path if len(path) <= width else "…" + path[len(path) - width + 1:]


def _fit_end(text: str, width: int) -> str:
    """Cut text to `width` cells from the right (a command reads from its start). A cut inside a
    word goes back to the word's start, and a number is never the last thing before the "…"."""
    if len(text) <= width:
        return text
    cut = text[: max(0, width - 1)]
    words = cut.split(" ")
    if text[len(cut)] != " " and len(words) > 1:
        words = words[:-1]  # the last word was cut
    while len(words) > 1 and (any(ch.isdigit() for ch in words[-1]) or words[-1] in ("", "·")):
        words = words[:-1]
    kept = " ".join(words).rstrip(" ·(")
    if any(ch.isdigit() for ch in kept[-1:]):
        kept = kept.rstrip("0123456789.,%")
    return kept + "…"


def _command(created_by: str) -> str:
    """A layer's command as dive users read it: no `#(nop)` or buildkit noise, one line."""
    text = " ".join(created_by.replace("#(nop)", "").removesuffix("# buildkit").split())
    text = text.removeprefix("/bin/sh -c ").replace("RUN /bin/sh -c ", "RUN ", 1)
    return text or "—"


def _growth(row: BudgetRow) -> str:
    """How far the measured figure moved from the baseline: bytes (or points) and percent."""
    if row.measured is None or row.baseline is None:
        return "—"
    diff = row.measured - row.baseline
    if row.unit == "ratio":
        amount = f"{diff * 100:+.1f}pt"
    elif row.unit in ("bytes", "s"):
        amount = ("+" if diff >= 0 else "-") + compact(abs(diff), row.unit, si=True)
    else:
        amount = f"{diff:+.3g}"
    percent = format_ratio(row.delta if row.delta is not None else
                           (row.measured / row.baseline - 1 if row.baseline else None))
    return f"{amount} {percent}" if percent != "—" else amount


def _subject_rows(rows: Sequence[BudgetRow], name: str) -> list[BudgetRow]:
    """The budget rows of one subject; the Wasm rule names several artifacts in one row."""
    return [row for row in rows if name in (row.subject, *row.subject.split(", "))]


def budgets_table(rows: Sequence[BudgetRow], width: int) -> RenderableType:
    """Limit, measured, baseline, growth and verdict of each budget, coloured by verdict.

    Below 64 cells the verdict word goes and its coloured mark leads the row instead, so every
    figure keeps its full width in an 80-column terminal.
    """
    if not rows:
        return Text("no budget set on it", style="dim")
    words = width >= 64
    table = Table(box=None, pad_edge=False, show_edge=False, padding=(0, 1), header_style="bold dim",
                  expand=False)
    table.add_column("budget", no_wrap=True, overflow="ellipsis", min_width=6)
    for name in ("limit", "measured", "baseline" if words else "base"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("growth", justify="right", no_wrap=True, overflow="ellipsis")
    if words:
        table.add_column("verdict", no_wrap=True, overflow="ellipsis")
    for row in rows:
        symbol, style = mark(row.verdict or "idle")
        unit_si = row.kind != "target"
        label = METRIC_LABEL.get(row.metric, row.metric)
        cells: list[RenderableType] = [
            Text(label) if words else Text.assemble((f"{symbol} ", style), label),
            compact(row.limit, row.unit, unit_si),
            Text(compact(row.measured, row.unit, unit_si), style=style if row.verdict in ("fail", "regression")
                 else ""),
            compact(row.baseline, row.unit, unit_si),
            _growth(row),
        ]
        if words:
            cells.append(Text(f"{symbol} {row.verdict or 'not measured'}", style=style))
        table.add_row(*cells)
    return table


def _figures_grid(cells: Sequence[tuple[str, Text]]) -> Table:
    """Label/value pairs two to a line, so they fit 55 columns and read as one block."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(width=1)
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    for i in range(0, len(cells), 2):
        left = cells[i]
        right = cells[i + 1] if i + 1 < len(cells) else ("", Text(""))
        grid.add_row(left[0], left[1], "", right[0], right[1])
    return grid
