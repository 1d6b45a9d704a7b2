"""What the sizes pane draws from its state: the head of a subject and its tables (a mixin of
SizesPane, kept apart so that each module has one job: this one draws, the pane handles keys)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widgets import DataTable

from lightprof.model.sizes import ArtifactResult, ImageResult, LayerResult
from lightprof.profile.spec import ArtifactSpec, ImageSpec
from lightprof.tui.numbers import figure as compact
from lightprof.tui.panes.sizes_text import (
    _bar,
    _command,
    _figures_grid,
    _fill_ranked,
    _fit_end,
    _right,
    _share,
    _size,
)
from lightprof.tui.verdicts import mark

if TYPE_CHECKING:
    from textual.widget import Widget as _Drawn
else:  # at run time a plain mixin: the pane's CSS and layout stay Vertical's
    _Drawn = object


class _SizesState(_Drawn):
    """What both halves of the drawing read: the pane's state and the look-ups SizesPane defines."""

    # The pane's state these draw from (set by SizesPane).
    artifacts: dict[str, ArtifactResult]
    images: dict[str, ImageResult]
    rows: list[Any]
    skipped: dict[str, str]
    names: list[tuple[str, str]]
    selected: str | None
    view: str
    layer_index: int | None
    sizing: bool
    _read_only: bool
    _table_key: Any
    _wasted_key: Any

    def _subject(self, name: str | None) -> ArtifactResult | ImageResult | None:
        raise NotImplementedError

    def _budget_rows(self, name: str) -> list[Any]:
        raise NotImplementedError

    def _verdict(self, name: str) -> str:
        raise NotImplementedError

    def _detail_width(self) -> int:
        raise NotImplementedError

    def _spec(self, name: str | None) -> ArtifactSpec | ImageSpec | None:
        raise NotImplementedError


class SizesHeads(_SizesState):
    """The head of the sizes pane: a subject's sizes, budgets and notes."""

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


class SizesTables(_SizesState):
    """The sizes pane's tables: the overview, files, distributions, layers and wasted paths."""

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
