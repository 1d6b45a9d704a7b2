"""The lightprof TUI: layout and keys. State and measuring live in the controller (no Textual).

The app hands the panes what they draw and never judges or measures itself: a key either changes
the controller's state or starts `Controller.measure` in a thread worker. Engine events queue up
in the controller, which the app drains four times a second, so the engine never waits for the
screen and the screen never redraws per sample.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from lightprof.model.result import Result
from lightprof.profile.spec import Profile
from lightprof.tui.ab_keys import ABKeys
from lightprof.tui.actions import SessionActions
from lightprof.tui.attribution_keys import AttributionKeys
from lightprof.tui.commands import COMMANDS, MUTATING
from lightprof.tui.controller import Controller
from lightprof.tui.lifecycle import Lifecycle
from lightprof.tui.navigation import Navigation
from lightprof.tui.panes.ab import ABPane
from lightprof.tui.panes.attribution import AttributionPane
from lightprof.tui.panes.budgets import BudgetsPane
from lightprof.tui.panes.coldstart import ColdStartPane
from lightprof.tui.panes.kernels import KernelsPane
from lightprof.tui.panes.memory import MemoryPane
from lightprof.tui.panes.paths import PathsPane
from lightprof.tui.panes.sizes import SizesPane
from lightprof.tui.tab_labels import tab_labels
from lightprof.tui.verdicts import mark
from lightprof.tui.widgets.lazy import Lazy, LeavePane, PaneMounted, SubjectChosen

REFRESH_S = 0.25  # at most 4 screen updates a second while samples stream in
TABS = ("tab-coldstart", "tab-memory", "tab-budgets", "tab-sizes", "tab-kernels", "tab-paths", "tab-ab",
        "tab-attribution")


class LightprofApp(Navigation, SessionActions, ABKeys, AttributionKeys, Lifecycle, App[int]):
    """lightprof's terminal UI over a profile (measuring) or a saved report (read-only)."""

    TITLE = "lightprof"
    CSS = """
    #title { height: 1; background: $primary-background; color: $text; padding: 0 1; }
    #side { width: 22; border-right: solid $primary-background-lighten-2; }
    #side.hidden { display: none; }
    #side > .heading { color: $text-muted; text-style: bold; padding: 0 1; }
    #subjects { border: none; height: 1fr; background: $surface; }
    #right { width: 1fr; }
    #subject-bar { height: 1; padding: 0 1; display: none; background: $surface; }
    .narrow #subject-bar { display: block; }
    TabbedContent { height: 1fr; width: 1fr; }
    TabPane { padding: 0; }
    Toast { margin-bottom: 2; }
    """

    BINDINGS = [
        Binding("r", "run", "run"),
        Binding("R", "run_all", "run all", show=False),
        Binding("x", "stop", "stop"),
        Binding("o", "options", "options"),
        Binding("plus", "runs(5)", "runs +5", show=False),
        Binding("minus", "runs(-5)", "runs -5", show=False),
        Binding("s", "suggest", "suggest"),
        Binding("s", "size(1)", "next size"),
        Binding("S", "size(-1)", "previous size", show=False),
        Binding("left_square_bracket", "headroom(-1)", "headroom -", show=False),
        Binding("right_square_bracket", "headroom(1)", "headroom +", show=False),
        Binding("e", "edit", "edit"),
        Binding("b", "baseline", "baseline"),
        Binding("w", "write", "save"),
        Binding("a", "pick_base", "pick base"),
        Binding("r", "attribute", "attribute"),
        Binding("c", "attribute(True)", "other cache"),
        Binding("escape", "leave_pane", "back", show=False),
        Binding("enter", "enter_pane", "into the table", show=False),
        Binding("up", "subject(-1)", "subject", show=False),
        Binding("down", "subject(1)", "subject", show=False),
        *(Binding(str(n), f"tab('{tab}')", tab, show=False) for n, tab in enumerate(TABS, start=1)),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
        Binding("ctrl+c", "quit", "quit", show=False, priority=True),
    ]
    _TAB_ONLY = {"suggest": ("tab-budgets",), "headroom": ("tab-budgets",), "edit": ("tab-budgets",),
                 "baseline": ("tab-budgets",), "write": ("tab-budgets",), "size": ("tab-kernels",),
                 "pick_base": ("tab-ab",), "attribute": ("tab-attribution",)}
    _NOT_ON = {"options": ("tab-budgets",), "runs": ("tab-budgets",), "run": ("tab-attribution",)}

    def __init__(self, profile: Profile | None = None, report: Result | None = None) -> None:
        super().__init__()
        self.ctl = Controller(profile, report)
        self.selected: str | None = None
        self._worker: Worker[None] | None = None
        self._quit_armed = False
        self._exit_code: int | None = None  # set when a signal asks the app to end
        self._marks: list[tuple[str, str, str]] = []
        self._keys_for: str | None = None
        # A calm UI, as py-spy top and btop are: no sliding tab underline.
        self.animation_level = "none"

    # The controller's state, under the names tests and panes read.
    profile = property(lambda self: self.ctl.profile)
    report = property(lambda self: self.ctl.report)
    read_only = property(lambda self: self.ctl.read_only)
    specs = property(lambda self: self.ctl.specs)
    budgets = property(lambda self: self.ctl.budgets)
    live = property(lambda self: self.ctl.live)
    rows = property(lambda self: self.ctl.rows)
    result = property(lambda self: self.ctl.result)

    # ------------------------------------------------------------------ composition

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="title")
        with Horizontal(id="main"):
            with Vertical(id="side"):
                yield Static("subjects", classes="heading")
                yield OptionList(id="subjects")
            with Vertical(id="right"):
                yield Static(id="subject-bar")
                with TabbedContent(id="tabs", initial="tab-coldstart"):
                    with TabPane("1 Cold start", id="tab-coldstart"):
                        yield ColdStartPane(id="coldstart")
                    # The hidden panes are mounted right after the first paint (Lazy): the first
                    # screen comes sooner, and a pane is there well before anyone can switch to it.
                    for title, tab, pane in (("2 Memory", "tab-memory", MemoryPane(id="memory")),
                                             ("3 Budgets", "tab-budgets", BudgetsPane(id="budgets")),
                                             ("4 Sizes", "tab-sizes", SizesPane(id="sizes")),
                                             ("5 Kernels", "tab-kernels", KernelsPane(id="kernels")),
                                             ("6 Paths", "tab-paths", PathsPane(id="paths")),
                                             ("7 A/B", "tab-ab", ABPane(id="ab")),
                                             ("8 Attribution", "tab-attribution",
                                              AttributionPane(id="attribution"))):
                        with TabPane(title, id=tab):
                            yield Lazy(pane)
        yield Footer()

    def _title(self) -> Text:
        text = Text()
        text.append("lightprof", style="bold")
        if self.report is not None:
            text.append(f" · {self.report.profile.name} · saved report (read-only)")
        elif self.profile is not None:
            origin = {"adhoc": "ad-hoc command", "embedded": "embedded default profile"}
            where = origin.get(self.profile.origin, self.profile.display_path)
            text.append(f" · {self.profile.name} · {where}")
        return text

    def on_mount(self) -> None:
        if self._exit_code is not None:  # a signal came while the app was starting
            self.call_later(self.action_quit)
        if self.profile is not None and not self.read_only:
            warning = self.ctl.load_baseline()
            if warning:
                self.notify(warning, title="baseline not loaded", severity="warning")
            self.ctl.rejudge()
        names = self.ctl.subjects()
        self.selected = names[0][0] if names else None
        self._fill_subjects()
        self._refresh_panes()
        self.set_interval(REFRESH_S, self._drain)
        self.query_one("#subjects", OptionList).focus()

    # ------------------------------------------------------------------ state → panes

    def _fill_subjects(self) -> None:
        """Show each subject with its mark; the list is rebuilt only when a mark changed."""
        marks = [(name, kind, self.ctl.state(name)) for name, kind in self.ctl.subjects()]
        if marks == self._marks:
            return
        self._marks = marks
        option_list = self.query_one("#subjects", OptionList)
        highlighted = option_list.highlighted
        option_list.clear_options()
        for name, kind, state in marks:
            symbol, style = mark(state)
            prompt = Text()
            prompt.append(f"{symbol} ", style=style)
            prompt.append(name)
            if kind != "target":
                prompt.append(f" {kind}", style="dim")
            option_list.add_option(Option(prompt, id=name))
        if option_list.option_count:
            option_list.highlighted = highlighted if highlighted is not None else 0
        self._draw_subject_bar()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a subject moves into the active pane's table, where the pane has one."""
        if event.option_list.id == "subjects":
            self._focus_pane()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id != "subjects":
            return  # a pane's own list (the kernels pane has one)
        if event.option.id is not None and event.option.id != self.selected:
            self.selected = event.option.id
            self._draw_subject_bar()
            self._refresh_panes()

    def on_tabbed_content_tab_activated(self, _event: TabbedContent.TabActivated) -> None:
        self._layout_side()
        self._label_tabs()
        active = self._active_tab()
        keys_for = active if active in ("tab-budgets", "tab-kernels", "tab-ab", "tab-attribution") else ""
        if keys_for != self._keys_for:
            # The footer is rebuilt (a dozen widgets mounted) on every refresh_bindings: do it only
            # when the keys on offer change.
            self._keys_for = keys_for
            self.refresh_bindings()
        self._refresh_panes()
        if active == "tab-budgets":
            self._focus_pane()

    def on_resize(self) -> None:
        self._layout_side()
        self.call_after_refresh(self._label_tabs)

    def _label_tabs(self) -> None:
        """Labels that fit the tab bar's width (short ones, or keys alone, when it is narrow)."""
        tabs = self.query_one("#tabs", TabbedContent)
        for tab, label in tab_labels(tabs.size.width, tabs.active).items():
            if tabs.get_tab(tab).label_text != label:
                tabs.get_tab(tab).label = label

    def on_subject_chosen(self, event: SubjectChosen) -> None:
        self.select_subject(event.name)

    def on_leave_pane(self, _event: LeavePane) -> None:
        self.action_leave_pane()

    def on_pane_mounted(self, _event: PaneMounted) -> None:
        self._refresh_panes()
        if self._active_tab() == "tab-budgets":
            self._focus_pane()

    def _refresh_panes(self) -> None:
        """Draw the visible pane only: hidden panes are drawn when they are shown."""
        pane = self._pane()
        if pane is None:
            return
        ctl = self.ctl
        live = ctl.live.get(self.selected or "")
        if isinstance(pane, ColdStartPane):
            limits = [r.limit for r in self._rows_of(self.selected) if r.metric.startswith("cold_start") and r.limit]
            pane.show(live, None if self.read_only else ctl.specs.get(self.selected or ""),
                      min(limits) if limits else None)
        elif isinstance(pane, MemoryPane):
            pane.show(live, self._rows_of(self.selected))
        elif isinstance(pane, BudgetsPane):
            pane.show(ctl.rows, ctl.headroom, ctl.status, not self.read_only)
        elif isinstance(pane, (SizesPane, KernelsPane, PathsPane, ABPane, AttributionPane)):
            pane.show(ctl, self.selected)

    def _rows_of(self, name: str | None) -> list[Any]:
        return [row for row in self.ctl.rows if row.subject == name]

    def _drain(self) -> None:
        """Fold queued engine events into the state and redraw once (called at 4 Hz)."""
        if not self.ctl.events:
            if self.measuring:
                self._refresh_panes()  # the run in flight's elapsed time moves on
            return
        drained = self.ctl.drain()
        for title, message in drained.errors:
            self.notify(message, title=title, severity="error")
        self._fill_subjects()
        self._refresh_panes()

    # ------------------------------------------------------------------ measuring

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.read_only and action in MUTATING:
            return False
        active = self._active_tab()
        if action in self._TAB_ONLY:
            return active in self._TAB_ONLY[action]
        if action in self._NOT_ON:
            return active not in self._NOT_ON[action]
        if action in ("subject", "enter_pane"):
            return self.narrow
        return True

    @property
    def measuring(self) -> bool:
        return self._worker is not None and self._worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    def action_run(self) -> None:
        active = self._active_tab()
        if active == "tab-sizes":
            if not (self.ctl.profile and (self.ctl.profile.artifacts or self.ctl.profile.images)):
                self.notify("this profile has no [[artifact]] or [[image]]", severity="warning")
                return
            self._start(self.ctl.part(sizes=True), compressions=("gzip", "brotli", "zstd"))
        elif active == "tab-kernels":
            pane = self._pane()
            spec = pane.spec_to_run() if pane is not None else None
            if spec is None:
                self.notify("choose a kernel to run", severity="warning")
                return
            self._start(self.ctl.part(kernel=spec))
        elif self.selected in self.ctl.specs:
            self._start(self.ctl.part(targets=[self.selected]))
        else:
            self.notify("select a target to run (sizes: 4, kernels: 5)", severity="warning")

    def action_run_all(self) -> None:
        if not self.ctl.specs:
            self.notify("this profile has no targets to run", severity="warning")
            return
        self._start(self.ctl.part(targets=list(self.ctl.specs)))

    def _start(self, part: Profile, compressions: tuple[str, ...] = ()) -> None:
        if self.measuring:
            self.notify("a run is already going; press x to stop it", severity="warning")
            return
        cancel = self.ctl.begin(part)
        self._worker = self._measure(part, cancel, compressions)
        self._fill_subjects()
        self._refresh_panes()

    @work(thread=True, exclusive=True, group="measure", exit_on_error=False)
    def _measure(self, part: Profile, cancel: threading.Event, compressions: tuple[str, ...]) -> None:
        self.ctl.measure(part, cancel, compressions)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker or event.state in (WorkerState.PENDING, WorkerState.RUNNING):
            return
        self._drain()
        if event.state == WorkerState.ERROR:
            self.ctl.running.clear()
            for live in self.ctl.live.values():
                live.running = False
            self.notify(str(event.worker.error), title="measurement failed", severity="error")
        elif self.ctl.cancel.is_set():
            self.notify("stopped; the target's processes were reaped")
        self._fill_subjects()
        self._refresh_panes()

    def action_stop(self) -> None:
        if not self.measuring:
            self.notify("nothing is running")
            return
        self.ctl.stop()
        self.notify("stopping…")

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, action in COMMANDS:
            if self.read_only and action.split("(")[0] in MUTATING:
                continue
            yield SystemCommand(title, help_text, lambda action=action: self.run_action(action))


def run_tui(profile: Profile | None = None, report: Result | None = None) -> int:
    """Run the TUI on a profile (measuring) or a saved report (read-only); return the exit code."""
    if profile is None and report is None:
        from lightprof.profile.load import discover_profile

        profile = discover_profile()
    app = LightprofApp(profile=profile, report=report)
    signals = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)

    async def run() -> int | None:
        # The loop takes the signals before the app starts, so none can interrupt its start-up.
        loop = asyncio.get_running_loop()
        for signum in signals:
            loop.add_signal_handler(signum, app.quit_on_signal, signum)
        return await app.run_async()

    # Closing the loop resets those signals to their defaults; the CLI's handlers (unwind like
    # Ctrl-C) must hold again for the clean-up below.
    handlers = {signum: signal.getsignal(signum) for signum in signals}
    try:
        code = asyncio.run(run())
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        # Whatever ended the app (a key, a signal, an exception), no target outlives it.
        app.stop_measuring()
    if code is None:  # ended without a quit: by an exception, which Textual printed (return code 1)
        return app.return_code or 0
    return int(code)
