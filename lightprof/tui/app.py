"""The lightprof TUI: layout and keys. State and measuring live in the controller (no Textual).

The app hands the panes what they draw and never judges or measures itself: a key either changes
the controller's state or starts `Controller.measure` in a thread worker. Engine events queue up
in the controller, which the app drains four times a second, so the engine never waits for the
screen and the screen never redraws per sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from lightprof.errors import EXIT_INTERRUPTED
from lightprof.model.result import Result
from lightprof.profile.spec import Profile, TargetSpec
from lightprof.tui.budgets_pane import BudgetsPane
from lightprof.tui.coldstart_pane import ColdStartPane
from lightprof.tui.commands import COMMANDS, MUTATING
from lightprof.tui.controller import Controller
from lightprof.tui.dialogs import EditBudgetScreen, HelpScreen, SessionSettings, SettingsScreen
from lightprof.tui.kernels_pane import KernelsPane
from lightprof.tui.lazy import Lazy
from lightprof.tui.memory_pane import MemoryPane
from lightprof.tui.sizes_pane import SizesPane
from lightprof.tui.verdicts import mark
from lightprof.tui.widgets import PaneMounted

REFRESH_S = 0.25  # at most 4 screen updates a second while samples stream in
QUIT_WAIT_S = 15.0  # how long quitting waits for the engine to kill and reap a running target
NARROW = 100  # below this many columns the subject list folds away on the wide tabs
HEADROOM_STEP = 0.05
TABS = ("tab-coldstart", "tab-memory", "tab-budgets", "tab-sizes", "tab-kernels")


class LightprofApp(App[int]):
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
                 "baseline": ("tab-budgets",), "write": ("tab-budgets",), "size": ("tab-kernels",)}
    _NOT_ON = {"options": ("tab-budgets",), "runs": ("tab-budgets",)}
    narrow = False  # below NARROW columns the subject list folds into a one-line bar

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
                                             ("5 Kernels", "tab-kernels", KernelsPane(id="kernels"))):
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

    def select_subject(self, name: str) -> None:
        """Highlight `name` in the subject list (the panes follow it)."""
        option_list = self.query_one("#subjects", OptionList)
        with contextlib.suppress(Exception):  # OptionDoesNotExist: not a subject of this session
            option_list.highlighted = option_list.get_option_index(name)

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
        active = self._active_tab()
        keys_for = active if active in ("tab-budgets", "tab-kernels") else ""
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

    def on_pane_mounted(self, _event: PaneMounted) -> None:
        self._refresh_panes()
        if self._active_tab() == "tab-budgets":
            self._focus_pane()

    def _layout_side(self) -> None:
        """Below NARROW columns the subject list folds into a bar over the pane (↑↓ still choose
        the subject there), so tables and charts get the whole width."""
        narrow = self.size.width < NARROW
        changed = narrow != self.narrow
        self.narrow = narrow
        self.query_one("#side").set_class(narrow, "hidden")
        self.query_one("#main").set_class(narrow, "narrow")
        if narrow:
            self.set_focus(None)
            if self._active_tab() in ("tab-budgets",):
                self._focus_pane()
            self._draw_subject_bar()
        elif changed or self.focused is None or not self.focused.display:
            self.query_one("#subjects", OptionList).focus()

    def _draw_subject_bar(self) -> None:
        if not self.narrow:
            return
        subjects = self.ctl.subjects()
        names = [name for name, _kind in subjects]
        if self.selected not in names:
            return
        index = names.index(self.selected)
        kind = subjects[index][1]
        symbol, style = mark(self.ctl.state(self.selected or ""))
        bar = Text()
        bar.append("◀ ", style="dim")
        bar.append(f"{symbol} ", style=style)
        bar.append(self.selected or "", style="bold")
        if kind != "target":
            bar.append(f" {kind}", style="dim")
        bar.append(f" {index + 1}/{len(names)} ▶", style="dim")
        bar.append("  ↑↓ subject", style="dim")
        with contextlib.suppress(NoMatches):
            self.query_one("#subject-bar", Static).update(bar)

    def action_enter_pane(self) -> None:
        """Enter with the subject list folded away: into the pane's table, as from the list."""
        self._focus_pane()

    def action_subject(self, step: int) -> None:
        """↑↓ with the subject list folded away: the previous or next subject."""
        names = [name for name, _kind in self.ctl.subjects()]
        if not names:
            return
        index = names.index(self.selected) if self.selected in names else 0
        self.select_subject(names[(index + step) % len(names)])

    def _pane(self, tab: str | None = None) -> Any:
        """The pane of `tab` (default: the active one); None while it is not mounted yet."""
        with contextlib.suppress(NoMatches):
            pane = self.query_one(f"#{tab or self._active_tab()}", TabPane).children[0]
            return None if isinstance(pane, Lazy) else pane
        return None

    def _focus_pane(self) -> None:
        """Move the keyboard into the active pane's table (↑↓ then move within it)."""
        pane = self._pane()
        if pane is not None and hasattr(pane, "focus_detail"):
            pane.focus_detail()

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
        elif isinstance(pane, (SizesPane, KernelsPane)):
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

    def _active_tab(self) -> str:
        try:
            return self.query_one("#tabs", TabbedContent).active
        except NoMatches:  # bindings are checked before the tabs are composed
            return ""

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

    async def action_quit(self) -> None:
        """Stop a running measurement, wait until the engine reaped the target, then exit.

        Budgets changed but not saved hold the first q back once, so they are not lost by a slip.
        """
        if self.ctl.changed and not self._quit_armed:
            self._quit_armed = True
            self.notify("budgets changed but not saved: w saves them, q again quits", severity="warning")
            return
        if self.measuring and self._worker is not None:
            self.ctl.stop()
            self.notify("stopping the run before quitting…")
            # Quitting goes on whatever the worker did (failed, timed out): it must not hang.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._worker.wait(), QUIT_WAIT_S)
        if self._exit_code is not None:
            self.exit(self._exit_code)
        else:
            self.exit(self.result.exit_code if self.read_only and self.result else 0)

    def quit_on_signal(self, signum: int) -> None:
        """SIGTERM or SIGINT: quit like q, with exit code 130. SIGHUP: the terminal is gone.

        Called by the event loop (`loop.add_signal_handler`, see `run_tui`), never from inside a
        signal handler: raising KeyboardInterrupt into Textual's code instead can stop it midway
        through its writer queue or driver teardown and leave the process hanging for ever.
        """
        if self._exit_code is not None:
            return  # already quitting
        self._exit_code = EXIT_INTERRUPTED
        self._quit_armed = True  # nobody may be there to answer "budgets not saved"
        self.ctl.stop()
        if signum == getattr(signal, "SIGHUP", None):
            # Textual cannot restore a terminal that is gone (its writes to it block for ever),
            # so a thread of its own stops and reaps the run and ends the process.
            threading.Thread(target=self._abandon_terminal, name="lightprof-hangup", daemon=True).start()
        elif self.is_running:
            self.call_later(self.action_quit)

    def _abandon_terminal(self) -> None:
        import os

        from lightprof.measure.target.reap import sweep_descendants

        self.stop_measuring()
        sweep_descendants(since=None)
        os._exit(EXIT_INTERRUPTED)

    def stop_measuring(self, timeout: float = QUIT_WAIT_S) -> bool:
        """Cancel any run and wait for the engine to reap it (for callers outside the loop)."""
        self.ctl.stop()
        return self.ctl.idle.wait(timeout)

    # ------------------------------------------------------------------ session settings

    def _selected_spec(self) -> TargetSpec | None:
        spec = self.ctl.specs.get(self.selected or "")
        if spec is None:
            self.notify("select a target first", severity="warning")
        return spec

    def action_runs(self, step: int) -> None:
        spec = self._selected_spec()
        if spec is not None:
            self.ctl.set_spec(spec.name, runs=max(1, spec.runs + step))
            self._refresh_panes()

    def action_options(self) -> None:
        spec = self._selected_spec()
        if spec is None:
            return

        def apply(settings: SessionSettings | None) -> None:
            if settings is not None:
                self.ctl.set_spec(spec.name, runs=settings.runs, warmup=settings.warmup,
                                  ready=settings.ready, timeout=settings.timeout, hold=settings.hold)
                self._refresh_panes()

        current = SessionSettings(spec.runs, spec.warmup, spec.ready, spec.timeout, spec.hold)
        self.push_screen(SettingsScreen(current), apply)

    def action_size(self, step: int) -> None:
        pane = self._pane()
        if isinstance(pane, KernelsPane):
            pane.step_size(step)

    # ------------------------------------------------------------------ budgets

    def _budgets_changed(self, status: str) -> None:
        self.ctl.status = status
        self._fill_subjects()
        self._refresh_panes()

    def action_headroom(self, direction: int) -> None:
        self.ctl.headroom = min(2.0, max(0.0, round(self.ctl.headroom + direction * HEADROOM_STEP, 2)))
        self._refresh_panes()

    def action_suggest(self) -> None:
        suggested = self.ctl.suggest()
        if not suggested:
            self.notify("nothing measured yet: press r to run a target first", severity="warning")
            return
        self._budgets_changed(f"suggested {suggested} budget(s) at +{self.ctl.headroom * 100:.0f}% "
                              "headroom; w saves them")

    def action_edit(self) -> None:
        pane = self._pane("tab-budgets")
        chosen = pane.selected() if isinstance(pane, BudgetsPane) else None
        if chosen is None:
            self.notify("no budget to edit", severity="warning")
            return
        subject, metric = chosen
        reason = self.ctl.editable(subject, metric)
        if reason is not None:
            self.notify(f"{subject} {metric} cannot be edited: {reason}", severity="warning")
            return
        from lightprof.tui.budget_rows import limit_text

        current = self.ctl.current_limit(subject, metric)

        def apply(value: float | None) -> None:
            if value is not None:
                self.ctl.set_budget(subject, metric, value)
                self._budgets_changed(f"{subject} {metric} = {limit_text(metric, value)}; w saves it")

        text = limit_text(metric, current) if current is not None else ""
        self.push_screen(EditBudgetScreen(subject, metric, text), apply)

    def action_baseline(self) -> None:
        result = self.ctl.result
        if result is None or not any(r.measured is not None for r in result.budgets):
            self.notify("no budgeted figure measured yet: run (r) and suggest (s) first", severity="warning")
            return
        try:
            path = self.ctl.write_baseline()
        except OSError as exc:
            self.notify(f"baseline not written: {exc}", severity="error")
            return
        self._budgets_changed(f"baseline written to {path.name}")

    def action_write(self) -> None:
        from lightprof.errors import LightprofError

        try:
            path = self.ctl.save()
        except (OSError, LightprofError) as exc:
            self.notify(f"profile not saved: {exc}", severity="error")
            return
        self.notify(f"saved {path}")
        self._budgets_changed(f"saved {path.name}")

    # ------------------------------------------------------------------ navigation, help

    def action_tab(self, tab: str) -> None:
        """Switch pane. Focus inside the pane being left goes back to the subject list first:
        a focused widget in a hidden pane would pull its tab back (Textual follows focus)."""
        subjects = self.query_one("#subjects", OptionList)
        if self.focused is not subjects and not self.narrow:
            subjects.focus()
        elif self.focused is not None and self.focused is not subjects:
            self.set_focus(None)
        self.query_one("#tabs", TabbedContent).active = tab

    def action_leave_pane(self) -> None:
        """Escape: out of a pane's table, back to the subject list."""
        if not self.narrow:
            self.query_one("#subjects", OptionList).focus()
        else:
            self.set_focus(None)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

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
