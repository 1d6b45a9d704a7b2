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

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from lightprof.model.sizes import ArtifactResult, ImageResult
from lightprof.model.verdict import BudgetRow
from lightprof.profile.spec import ArtifactSpec, ImageSpec
from lightprof.tui.panes.sizes_draw import SizesHeads, SizesTables
from lightprof.tui.panes.sizes_text import TALL, WASTED_HEADING, _subject_rows, budgets_table
from lightprof.tui.verdicts import worst_verdict
from lightprof.tui.widgets.lazy import LeavePane, PaneMounted, SubjectChosen
from lightprof.tui.widgets.progress import ProgressLine


class SizesPane(SizesHeads, SizesTables, Vertical):
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
        overview = tuple((name, self._verdict(name)) for name, _kind in self.names) if self.view == "overview" else ()
        key = (self.selected, id(subject), self.view, self.layer_index, tuple(self.size), self.sizing,
               [(r.metric, r.verdict, r.measured, r.limit) for r in rows], self.selected in self.skipped, overview)
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
            self.post_message(SubjectChosen(event.row_key.value))  # the app follows, this pane with it
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
        self.post_message(LeavePane())

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
