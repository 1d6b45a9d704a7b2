"""The sizes pane: artifacts and images with their budgets; drill into an image's layers like dive.

The pane follows the app's subject list: an artifact or image chosen there is shown here with its
sizes and budgets, then one table — an artifact's largest files (or a Python environment's
distributions), an image's layers. Enter on a layer opens the files it adds, largest first; escape
goes back up (layer → layers → the subject list). With a target or kernel chosen, the table lists
every artifact and image at a glance, and enter on a row selects it.

The pane measures nothing: in a profile session the app's `r` sizes every artifact and image
through the session, which judges them as `--headless` does. Sizing reads files only: an image
named by reference (`image = "name:tag"`) would need a docker/podman process to save it, so those
are left to `--headless`.

The app calls `show` at every redraw (up to 4 Hz); it returns at once unless the result or
the selection changed, and tables are refilled only when what they show changed (a new subject,
view or width), never per redraw: adding DataTable rows is the expensive part of a Textual refresh.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import DataTable, Static

from lightprof.model.sizes import ArtifactResult, ImageResult, LayerResult
from lightprof.model.verdict import BudgetRow
from lightprof.profile.spec import ArtifactSpec, ImageSpec
from lightprof.tui.numbers import figure as compact
from lightprof.tui.numbers import ratio as format_ratio
from lightprof.tui.numbers import size as format_size
from lightprof.tui.verdicts import mark, worst_verdict
from lightprof.tui.widgets import PaneMounted, ProgressLine

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
    """Cut text to `width` cells from the right (a command reads from its start)."""
    return text if len(text) <= width else text[: width - 1] + "…"


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


class SizesPane(Vertical):
    """Sizes, budgets and a drill-down table of the artifact or image chosen in the subject list."""

    BINDINGS = [
        Binding("l", "open_layer", "files"),
        Binding("escape", "back", "back"),
        Binding("w", "toggle_wasted", "wasted"),
        Binding("f", "toggle_files", "files/dists"),
    ]

    DEFAULT_CSS = """
    SizesPane { padding: 0 1; }
    SizesPane #sizes-detail { height: 1fr; }
    SizesPane #sizes-head, SizesPane #sizes-budgets { height: auto; }
    SizesPane .heading { color: $text-muted; text-style: bold; height: 1; }
    SizesPane DataTable { height: 1fr; scrollbar-size-vertical: 1; }
    SizesPane.unsized #sizes-table, SizesPane.unsized #sizes-heading { display: none; }
    SizesPane.overview #sizes-budgets { display: none; }
    SizesPane #sizes-wasted-heading, SizesPane #sizes-wasted { display: none; }
    SizesPane.tall.image #sizes-wasted-heading, SizesPane.tall.image #sizes-wasted { display: block; }
    SizesPane.tall.image #sizes-table { height: auto; max-height: 50%; }
    SizesPane #sizes-progress { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.artifacts: dict[str, ArtifactResult] = {}
        self.images: dict[str, ImageResult] = {}
        self.rows: list[BudgetRow] = []
        self.skipped: dict[str, str] = {}  # subjects `r` leaves alone, with the reason
        self.names: list[tuple[str, str]] = []
        self.selected: str | None = None  # None: the overview of every artifact and image
        self.view = "overview"
        self.layer_index: int | None = None
        self.sizing = False
        self.states: dict[str, str] = {}
        self.running_names: frozenset[str] = frozenset()
        self._spec_list: list[ArtifactSpec | ImageSpec] = []
        self._read_only = True
        self._last_shown: Any = None
        self._detail_key: Any = None
        self._table_key: Any = None
        self._wasted_key: Any = None
        self._keys: tuple[bool | None, ...] = ()
        self._composed = False  # set in on_mount: children exist from then (is_mounted comes later)

    def compose(self) -> ComposeResult:
        with Vertical(id="sizes-detail"):
            yield Static(id="sizes-head")
            yield Static(id="sizes-budgets")
            yield Static(id="sizes-heading", classes="heading")
            yield DataTable(id="sizes-table", cursor_type="row", zebra_stripes=True)
            yield Static(WASTED_HEADING, id="sizes-wasted-heading", classes="heading")
            yield DataTable(id="sizes-wasted", cursor_type="row", zebra_stripes=True)
        yield ProgressLine(id="sizes-progress")

    def on_mount(self) -> None:
        self.post_message(PaneMounted())
        self._composed = True

    # ------------------------------------------------------------------ data in

    def _specs(self) -> list[ArtifactSpec | ImageSpec]:
        return self._spec_list

    def show(self, ctl: Any, selected: str | None = None) -> None:
        """Draw the controller's artifacts and images (measured in this session, loaded from a
        report, or not sized yet), showing `selected` when it names one of them."""
        if not self._composed:
            return
        result = ctl.result
        artifacts = list(result.artifacts) if result is not None else []
        images = list(result.images) if result is not None else []
        self._read_only = ctl.read_only
        running = frozenset(ctl.running)
        marker = ([id(a) for a in artifacts], [id(i) for i in images], id(ctl.rows), running)
        if marker != self._last_shown:
            self._last_shown = marker
            profile = None if ctl.read_only or ctl.profile is None else ctl.session_profile()
            self._spec_list = [*profile.artifacts, *profile.images] if profile is not None else []
            self.skipped = {
                spec.name: f"read through an engine ({spec.image}): the TUI does not start docker or "
                           "podman; lightprof --headless sizes it"
                for spec in self._spec_list if isinstance(spec, ImageSpec) and spec.path is None
            }
            self.artifacts = {a.name: a for a in artifacts}
            self.images = {i.name: i for i in images}
            self.rows = list(ctl.rows)
            self.states = {name: ctl.state(name) for name, _kind in ctl.subjects()}
            self.names = self._subject_names()
            self.running_names = running
            self.sizing = any(name in running for name, _kind in self.names)
            self._detail_key = self._table_key = self._wasted_key = None  # everything may have changed
            self._set_progress()
        chosen = selected if selected in [name for name, _kind in self.names] else None
        self._select(chosen)

    def _subject_names(self) -> list[tuple[str, str]]:
        """(name, kind) of the artifacts then the images: the profile's order, else the result's."""
        names: list[tuple[str, str]] = []
        for spec in self._specs():
            names.append((spec.name, "artifact" if isinstance(spec, ArtifactSpec) else "image"))
        for name in self.artifacts:
            if (name, "artifact") not in names:
                names.append((name, "artifact"))
        for name in self.images:
            if (name, "image") not in names:
                names.append((name, "image"))
        artifacts = [n for n in names if n[1] == "artifact"]
        return artifacts + [n for n in names if n[1] == "image"]

    def _subject(self, name: str | None) -> ArtifactResult | ImageResult | None:
        if name is None:
            return None
        return self.artifacts.get(name) or self.images.get(name)

    def _spec(self, name: str | None) -> ArtifactSpec | ImageSpec | None:
        return next((spec for spec in self._specs() if spec.name == name), None)

    def _budget_rows(self, name: str) -> list[Any]:
        return _subject_rows(self.rows, name)

    def _verdict(self, name: str) -> str:
        if name in self.states:
            return self.states[name]
        subject = self._subject(name)
        if subject is None:
            return "idle"
        verdicts = [row.verdict for row in self._budget_rows(name) if row.verdict is not None]
        return worst_verdict(verdicts) if verdicts else ("unmeasured" if subject.error else "measured")

    # ------------------------------------------------------------------ selection

    def _select(self, name: str | None, *, restart: bool = False) -> None:
        """Show `name` (None: the overview); a new subject starts at its main table."""
        if name != self.selected or restart:
            self.selected = name
            subject = self._subject(name)
            if name is None:
                self.view = "overview"
            elif isinstance(subject, ImageResult):
                self.view = "layers"
            elif isinstance(subject, ArtifactResult) and subject.kind == "python_env" and subject.distributions:
                self.view = "dists"
            else:
                self.view = "files"
            self.layer_index = None
        self._render_detail()

    def focus_detail(self) -> None:
        """Enter on the app's subject list: move into this pane's table to browse it."""
        table = self.query_one("#sizes-table", DataTable)
        if table.row_count:
            table.focus()

    # ------------------------------------------------------------------ layout

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height >= TALL, "tall")
        self._render_detail()

    def _detail_width(self) -> int:
        """Cells the tables can use: the pane minus its padding and the table's scrollbar."""
        return max(30, (self.size.width or 58) - 3)

    # ------------------------------------------------------------------ rendering

    def _render_detail(self) -> None:
        if not self._composed:
            return
        subject = self._subject(self.selected)
        self.set_class(isinstance(subject, ImageResult) and subject.error is None, "image")
        unsized = self.selected is not None and (subject is None or subject.error is not None)
        self.set_class(unsized or not self.names, "unsized")  # no table to show
        self.set_class(self.view == "overview", "overview")
        rows = self._budget_rows(self.selected) if self.selected else []
        key = (self.selected, id(subject), self.view, self.layer_index, tuple(self.size), self.sizing,
               [(r.metric, r.verdict, r.measured, r.limit) for r in rows], self.selected in self.skipped)
        if self.view == "overview":
            key += (tuple((name, self._verdict(name)) for name, _kind in self.names),)
        if key != self._detail_key:
            self._detail_key = key
            self.query_one("#sizes-head", Static).update(self._head(subject))
            self.query_one("#sizes-budgets", Static).update(
                budgets_table(rows, self._detail_width()) if self.selected else "")
            self.query_one("#sizes-heading", Static).update(self._heading(subject))
        self._fill_table(subject)
        self._fill_wasted(subject)
        self._refresh_keys()

    def _refresh_keys(self) -> None:
        """Update the footer only when the keys on offer change: it is rebuilt at every call."""
        keys = tuple(self.check_action(action, ()) for action in ("run", "open_layer", "toggle_wasted",
                                                                   "toggle_files"))
        if keys != self._keys:
            self._keys = keys
            self.refresh_bindings()

    def _head(self, subject: ArtifactResult | ImageResult | None) -> RenderableType:
        if self.selected is None:
            if not self.names:
                return Text("no artifacts or images in this " + ("report" if self._read_only else "profile"),
                            style="dim")
            artifacts = sum(1 for _name, kind in self.names if kind == "artifact")
            title = Text()
            title.append("sizes", style="bold")
            title.append(f"  {artifacts} artifact(s) · {len(self.names) - artifacts} image(s)", style="dim")
            hint = Text("pick one in the subject list, or enter on a row, to see its files or layers",
                        style="dim")
            return Group(title, hint)
        if subject is None:
            return self._unsized_head()
        title = Text()
        title.append(subject.name, style="bold")
        if isinstance(subject, ArtifactResult):
            title.append(f"  {subject.kind} {subject.path}", style="dim")
        else:
            where = " · ".join(p for p in (subject.format, subject.reference or subject.path,
                                           f"{subject.os}/{subject.architecture}".strip("/")) if p)
            title.append(f"  {where}", style="dim")
        if subject.error:
            return Group(title, Text(f"✗ could not be measured: {subject.error}", style="red"))
        if isinstance(subject, ArtifactResult):
            return self._artifact_head(title, subject)
        return self._image_head(title, subject)

    def _unsized_head(self) -> RenderableType:
        spec = self._spec(self.selected)
        title = Text()
        title.append(self.selected or "", style="bold")
        if isinstance(spec, ArtifactSpec):
            title.append(f"  artifact {spec.path or spec.python_env}", style="dim")
        elif isinstance(spec, ImageSpec):
            title.append(f"  image {spec.path or spec.image}", style="dim")
        if self.selected in self.skipped:
            return Group(title, Text(self.skipped[self.selected or ""], style="yellow"))
        if self.sizing:
            return Group(title, Text("sizing…", style="cyan"))
        return Group(title, Text("not measured yet · press r to size them", style="dim"))

    def _artifact_head(self, title: Text, artifact: ArtifactResult) -> RenderableType:
        title.append(f" · {artifact.files:,} files", style="dim")
        counted = "raw" if artifact.compression == "none" else artifact.compression
        cells: list[tuple[str, Text]] = []
        for method, value in (("raw", artifact.raw_bytes), ("gzip", artifact.gzip_bytes),
                              ("brotli", artifact.brotli_bytes), ("zstd", artifact.zstd_bytes)):
            text = Text(_size(value), style="bold" if method == counted else "")
            if method == counted:
                text.append(" ◀", style="bold cyan")
            cells.append((method, text))
        lines: list[RenderableType] = [title, _figures_grid(cells)]
        legend = Text()
        legend.append("◀ ", style="bold cyan")
        legend.append(f"the budget counts {counted} bytes · kB = 1000 B", style="dim")
        lines.append(legend)
        extra = Text()
        if artifact.wasm_files:
            extra.append(f"◆ {len(artifact.wasm_files)} .wasm file(s), {_size(artifact.wasm_bytes)}",
                         style="magenta")
        if artifact.kind == "python_env":
            if extra:
                extra.append(" · ")
            extra.append(f"{len(artifact.distributions)} distributions · {_size(artifact.unowned_bytes)} "
                         "unowned", style="dim")
            missing = sum(d.missing_files for d in artifact.distributions)
            if missing:
                extra.append(f" · {missing} missing file(s)", style="yellow")
        if extra:
            lines.append(extra)
        if artifact.compressed_note:
            lines.append(Text(artifact.compressed_note, style="dim italic"))
        return Group(*lines)

    def _image_head(self, title: Text, image: ImageResult) -> RenderableType:
        compressed = Text(_size(image.compressed_bytes))
        if image.compressed_bytes is not None and image.compressed_estimated:
            compressed.append(" estimate", style="yellow")
        wasted = Text(_size(image.wasted_bytes))
        if image.wasted_percent is not None:
            wasted.append(f" {image.wasted_percent:.1%}", style="dim")
        efficiency = Text("—" if image.efficiency is None else f"{image.efficiency:.1%}")
        cells = [
            ("size", Text(_size(image.size_bytes), style="bold")),
            ("user size", Text(_size(image.user_size_bytes))),
            ("compressed", compressed),
            ("stored", Text(_size(image.stored_bytes))),
            ("wasted", wasted),
            ("efficiency", efficiency),
        ]
        lines: list[RenderableType] = [title, _figures_grid(cells)]
        if image.compression_note:
            lines.append(Text(image.compression_note, style="dim italic"))
        return Group(*lines)

    def _heading(self, subject: ArtifactResult | ImageResult | None) -> Text:
        text = Text()
        if self.view == "overview":
            return Text("artifacts and images · size: what the budget counts")
        if subject is None or subject.error:
            return text
        if isinstance(subject, ArtifactResult):
            if self.view == "dists":
                text.append(f"distributions ({len(subject.distributions)}), largest first")
            else:
                text.append(f"largest files ({len(subject.largest)} of {subject.files:,})")
            if subject.kind == "python_env" and subject.distributions:
                text.append(" · f: " + ("files" if self.view == "dists" else "distributions"), style="dim")
            return text
        if self.view == "layer" and self.layer_index is not None and self.layer_index < len(subject.layers):
            layer = subject.layers[self.layer_index]
            text.append(f"layer {layer.index + 1} of {len(subject.layers)} · largest files "
                        f"({len(layer.largest)} of {layer.files:,})")
            text.append(" · esc: back", style="dim")
            # The layer's command too, as far as the line allows: it says what added these files.
            room = self._detail_width() - text.cell_len - 3
            if room >= 12:
                text.append(" · " + _fit_end(_command(layer.created_by), room), style="dim italic")
            return text
        if self.view == "wasted":
            text.append(f"wasted paths ({len(subject.wasted)}), largest first")
            text.append(" · esc: layers", style="dim")
            return text
        text.append(f"layers ({len(subject.layers)})")
        text.append(" · enter: its files" + ("" if self.has_class("tall") else " · w: wasted"), style="dim")
        return text

    # ------------------------------------------------------------------ tables

    def _fill_table(self, subject: ArtifactResult | ImageResult | None) -> None:
        """Refill the main table only when what it shows changed: never on a plain redraw."""
        width = self._detail_width()
        key = (self.selected, id(subject), self.view, self.layer_index, width)
        if key == self._table_key:
            return
        self._table_key = key
        table = self.query_one("#sizes-table", DataTable)
        table.clear(columns=True)
        if self.view == "overview":
            self._fill_overview(table, width)
            return
        if subject is None or subject.error:
            return
        if isinstance(subject, ArtifactResult):
            if self.view == "dists":
                self._fill_distributions(table, subject, width)
            else:
                self._fill_files(table, subject.largest, subject.raw_bytes, width)
        elif self.view == "layer" and self.layer_index is not None and self.layer_index < len(subject.layers):
            layer = subject.layers[self.layer_index]
            self._fill_files(table, layer.largest, layer.size_bytes, width,
                             empty=self._empty_layer(layer))
        elif self.view == "wasted":
            self._fill_wasted_rows(table, subject, width)
        else:
            self._fill_layers(table, subject, width)

    def _fill_overview(self, table: DataTable, width: int) -> None:
        """One row per artifact and image: the counted size, its budget and its verdict."""
        rows = []
        for name, kind in self.names:
            subject = self._subject(name)
            size_row = next((r for r in self._budget_rows(name) if r.metric == "size"), None)
            if subject is None:
                size, note = "—", self.skipped.get(name, "not sized yet")
            elif subject.error:
                size, note = "—", subject.error
            elif isinstance(subject, ArtifactResult):
                counted = "raw" if subject.compression == "none" else subject.compression
                size, note = _size(subject.counted_bytes), f"{counted} · {subject.files:,} files"
            else:
                size, note = _size(subject.size_bytes), f"{len(subject.layers)} layers"
                if subject.efficiency is not None:
                    note += f" · efficiency {subject.efficiency:.1%}"
            limit = compact(size_row.limit, "bytes", True) if size_row is not None else "—"
            rows.append((name, kind, size, limit, note))
        headers = ("", "subject", "kind", "size", "budget")
        widths = [1] + [max([len(headers[c + 1])] + [len(row[c]) for row in rows]) for c in range(4)]
        # Each column takes its width plus a cell of padding either side; the note takes the rest.
        note_width = max(8, width - sum(w + 2 for w in widths) - 2)
        for header in (*headers, "note"):
            table.add_column(header, key=header or "mark")
        for name, kind, size, limit, note in rows:
            verdict = self._verdict(name)
            table.add_row(Text(mark(verdict)[0], style=mark(verdict)[1]),
                          Text(name), Text(kind, style="dim"), _right(size), _right(limit, "dim"),
                          Text(_fit_end(note, note_width), style="dim"), key=name)

    @staticmethod
    def _empty_layer(layer: LayerResult) -> str:
        if layer.whiteouts:
            return f"adds no files; deletes {layer.whiteouts} path(s) from the layers below (whiteouts)"
        return "adds no files"

    def _fill_files(self, table: DataTable, files: Sequence[tuple[str, int]], whole: int | None,
                    width: int, empty: str = "no files") -> None:
        ordered = sorted(files, key=lambda item: (-item[1], item[0]))
        rows = [(size, _share(size, whole), path) for path, size in ordered]
        _fill_ranked(table, rows, ("size", "share", 5), width, empty, mark_wasm=True)

    def _fill_distributions(self, table: DataTable, artifact: ArtifactResult, width: int) -> None:
        dists = sorted(artifact.distributions, key=lambda d: (-d.size_bytes, d.name))
        cells = [(Text(d.name), Text(d.version, style="dim"), _right(_size(d.size_bytes)),
                  _right(f"{d.files:,}"), _share(d.size_bytes, artifact.raw_bytes)) for d in dists]
        headers = ("distribution", "version", "size", "files", "share")
        widths = [max([len(h)] + [row[c].cell_len for row in cells]) for c, h in enumerate(headers)]
        # The bar takes what the figures leave, up to 20 cells; none at all when that is too little.
        bar = min(20, width - sum(w + 2 for w in widths) - 2 - 2)
        for name in headers:
            table.add_column(name, key=name)
        if bar >= 4:
            table.add_column("", key="bar", width=bar)
        top = dists[0].size_bytes if dists else 1
        for i, (dist, row) in enumerate(zip(dists, cells, strict=True)):
            table.add_row(*row, *([_bar(dist.size_bytes, top or 1, bar)] if bar >= 4 else []), key=str(i))

    def _fill_layers(self, table: DataTable, image: ImageResult, width: int) -> None:
        """One row per layer; the command is cut to the cells left, so nothing wraps or hides."""
        rows = []
        for layer in image.layers:
            compressed = _size(layer.compressed_bytes)
            if layer.compressed_bytes is None:
                compressed = f"{_size(layer.stored_bytes)} plain"
            elif layer.compressed_estimated:
                compressed = "~" + compressed
            files = f"+{layer.files:,}" + (f" −{layer.whiteouts}" if layer.whiteouts else "")
            rows.append((str(layer.index + 1), _size(layer.size_bytes), compressed, files,
                         _command(layer.created_by)))
        headers = ("#", "size", "compressed", "files", "created by")
        widths = [max([len(headers[c])] + [len(row[c]) for row in rows]) for c in range(4)]
        # Each column takes its width plus one cell of padding either side.
        command_width = max(12, width - sum(w + 2 for w in widths) - 2)
        table.add_column("#", key="index")
        table.add_column("size", key="size")
        table.add_column("compressed", key="compressed")
        table.add_column("files", key="files")
        table.add_column("created by", key="command", width=command_width)
        for layer, (index, size, compressed, files, command) in zip(image.layers, rows, strict=True):
            table.add_row(_right(index, "dim"), _right(size), _right(compressed, "dim" if "~" in compressed else ""),
                          _right(files, "yellow" if layer.whiteouts else ""), Text(_fit_end(command, command_width)),
                          key=str(layer.index))
        if self.layer_index is not None and self.layer_index < table.row_count:
            table.move_cursor(row=self.layer_index)

    def _fill_wasted_rows(self, table: DataTable, image: ImageResult, width: int) -> None:
        wasted = sorted(image.wasted, key=lambda w: (-w.total_bytes, w.path))
        rows = [(item.total_bytes, _right(str(item.layers)), item.path) for item in wasted]
        _fill_ranked(table, rows, ("total", "layers", 6), width, "nothing wasted: no path is in two layers")

    def _fill_wasted(self, subject: ArtifactResult | ImageResult | None) -> None:
        """The second table (tall panes only): an image's wasted paths under its layers."""
        width = self._detail_width()
        key = (self.selected, id(subject), width)
        if key == self._wasted_key:
            return
        self._wasted_key = key
        table = self.query_one("#sizes-wasted", DataTable)
        table.clear(columns=True)
        if isinstance(subject, ImageResult) and subject.error is None:
            self._fill_wasted_rows(table, subject, width)

    # ------------------------------------------------------------------ drill-down

    def _image(self) -> ImageResult | None:
        subject = self._subject(self.selected)
        return subject if isinstance(subject, ImageResult) and subject.error is None else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.data_table.id != "sizes-table":
            return
        if self.view == "layers":
            self._open_layer(event.cursor_row)
        elif self.view == "overview" and event.row_key.value is not None:
            select = getattr(self.app, "select_subject", None)
            if select is not None:
                select(event.row_key.value)  # the app's list follows, and this pane with it
                self.call_after_refresh(self.focus_detail)

    def action_open_layer(self) -> None:
        table = self.query_one("#sizes-table", DataTable)
        if self.view == "layers" and table.row_count:
            self._open_layer(table.cursor_row)

    def _open_layer(self, row: int) -> None:
        image = self._image()
        if image is None or not 0 <= row < len(image.layers):
            return
        self.view, self.layer_index = "layer", row
        self._render_detail()
        table = self.query_one("#sizes-table", DataTable)
        table.focus()
        table.move_cursor(row=0)

    def action_back(self) -> None:
        """Up one level: a layer's files (or the wasted paths) → the layers; else the subject list."""
        table = self.query_one("#sizes-table", DataTable)
        if self.view in ("layer", "wasted"):
            layer = self.layer_index
            self.view = "layers"
            self._render_detail()
            table.focus()
            if layer is not None and layer < table.row_count:
                table.move_cursor(row=layer)
            return
        with contextlib.suppress(NoMatches):  # the app's subject list
            self.app.query_one("#subjects").focus()

    def action_toggle_wasted(self) -> None:
        if self._image() is None or self.has_class("tall"):
            return
        self.view = "layers" if self.view == "wasted" else "wasted"
        self.layer_index = None
        self._render_detail()
        self.query_one("#sizes-table", DataTable).focus()

    def action_toggle_files(self) -> None:
        subject = self._subject(self.selected)
        if not isinstance(subject, ArtifactResult) or not subject.distributions:
            return
        self.view = "files" if self.view == "dists" else "dists"
        self._render_detail()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only the keys that do something here (False hides them from the footer)."""
        if action == "open_layer":
            return self.view == "layers" and self._image() is not None
        if action == "toggle_wasted":
            return self._image() is not None and not self.has_class("tall") and self.view in ("layers", "wasted")
        if action == "toggle_files":
            subject = self._subject(self.selected)
            return isinstance(subject, ArtifactResult) and bool(subject.distributions)
        return True

    # ------------------------------------------------------------------ progress

    def _set_progress(self) -> None:
        progress = self.query_one("#sizes-progress", ProgressLine)
        if self.sizing:
            done = sum(1 for name, _kind in self.names if name not in self.running_names)
            progress.set_progress(done, len(self.names), "sizing")
        elif self._read_only:
            progress.set_idle("sizes from a saved report (read-only)")
        elif self._spec_list:
            progress.set_idle("r: size the profile's artifacts and images")
        else:
            progress.set_idle("this profile has no [[artifact]] or [[image]]")
