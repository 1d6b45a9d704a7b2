"""The lightprof TUI: a subject list, one pane per measure, keys for every action.

The app owns the session state (target specs changed for the session, budgets being edited, the
live state of each target) and hands it to the panes, which only render. Measurement runs in a
thread worker calling the engine; engine events go into a deque that the UI drains four times a
second, so the engine never waits for the screen and the screen never redraws per sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from lightprof.errors import EXIT_INTERRUPTED, LightprofError
from lightprof.measure.events import Event, TargetFinished
from lightprof.model.result import Result
from lightprof.model.verdict import BudgetRow
from lightprof.profile.spec import TARGET_BUDGETS, Profile, TargetSpec, budget_unit
from lightprof.tui.budgets_pane import BudgetsPane
from lightprof.tui.coldstart_pane import ColdStartPane
from lightprof.tui.dialogs import EditBudgetScreen, HelpScreen, SessionSettings, SettingsScreen
from lightprof.tui.kernels_pane import KernelsPane
from lightprof.tui.lazy import Lazy
from lightprof.tui.live import LiveTarget, command_text
from lightprof.tui.memory_pane import MemoryPane
from lightprof.tui.sizes_pane import SizesPane
from lightprof.tui.suggest import suggest_budgets
from lightprof.tui.widgets import VERDICT_MARK, VERDICT_STYLE, PaneMounted, worst_verdict

REFRESH_S = 0.25  # at most 4 screen updates a second while samples stream in
QUIT_WAIT_S = 15.0  # how long quitting waits for the engine to kill and reap a running target
NARROW = 100  # below this many columns the WIDE_TABS hide the subject list to fit their tables
HEADROOM_STEP = 0.05


@dataclass(frozen=True)
class _Failure:
    """A target the engine refused (a LightprofError), carried through the event queue."""

    target: str
    message: str


# Panes that render a whole Result (sizes, kernels): (tab title, tab id, pane class). Each is built
# with no arguments and has `show_result(result, selected)`, called at every redraw of its tab.
EXTRA_PANES: tuple[tuple[str, str, type[Widget]], ...] = (
    ("Sizes", "tab-sizes", SizesPane),
    ("Kernels", "tab-kernels", KernelsPane),
)
# Tabs whose tables need the whole width: in a narrow terminal they hide the subject list.
WIDE_TABS = ("tab-budgets", "tab-kernels")


class LightprofApp(App[int]):
    """lightprof's terminal UI over a profile (measuring) or a saved report (read-only)."""

    TITLE = "lightprof"
    CSS = """
    #title { height: 1; background: $primary-background; color: $text; padding: 0 1; }
    #side { width: 22; border-right: solid $primary-background-lighten-2; }
    #side.hidden { display: none; }
    #side > .heading { color: $text-muted; text-style: bold; padding: 0 1; }
    #subjects { border: none; height: 1fr; background: $surface; }
    TabbedContent { height: 1fr; width: 1fr; }
    TabPane { padding: 0; }
    """

    BINDINGS = [
        Binding("r", "run", "run"),
        Binding("R", "run_all", "run all", show=False),
        Binding("x", "stop", "stop"),
        Binding("o", "options", "options"),
        Binding("plus", "runs(5)", "runs +5", show=False),
        Binding("minus", "runs(-5)", "runs -5", show=False),
        Binding("s", "suggest", "suggest"),
        Binding("left_square_bracket", "headroom(-1)", "headroom -", show=False),
        Binding("right_square_bracket", "headroom(1)", "headroom +", show=False),
        Binding("e", "edit", "edit"),
        Binding("b", "baseline", "baseline"),
        Binding("w", "write", "save"),
        Binding("1", "tab('tab-coldstart')", "cold start", show=False),
        Binding("2", "tab('tab-memory')", "memory", show=False),
        Binding("3", "tab('tab-budgets')", "budgets", show=False),
        Binding("4", "tab_index(3)", "pane 4", show=False),
        Binding("5", "tab_index(4)", "pane 5", show=False),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
        Binding("ctrl+c", "quit", "quit", show=False, priority=True),
    ]

    _MUTATING = {"run", "run_all", "stop", "options", "runs", "suggest", "headroom", "edit",
                 "baseline", "write"}
    _BUDGET_ONLY = {"suggest", "headroom", "edit", "baseline", "write"}
    _RUN_ONLY = {"options", "runs"}

    def __init__(self, profile: Profile | None = None, report: Result | None = None) -> None:
        super().__init__()
        if profile is None and report is None:
            raise ValueError("LightprofApp needs a profile or a report")
        self.profile = profile
        self.report = report
        self.read_only = report is not None
        self.specs: dict[str, TargetSpec] = {s.name: s for s in (profile.targets if profile else ())}
        self.budgets: dict[str, dict[str, float]] = {
            name: dict(spec.budget) for name, spec in self.specs.items()
        }
        self.changed: dict[str, dict[str, float]] = {}  # budgets edited this session, to save
        self.live: dict[str, LiveTarget] = {}
        self.rows: list[BudgetRow] = []
        self.headroom = 0.20
        self.status = ""
        self.selected: str | None = None
        self.baseline: Any = None
        self.result: Result | None = report
        self.save_path: Path | None = profile.path if profile else None
        self.extra_panes = EXTRA_PANES
        self._events: deque[Event | _Failure] = deque()
        self._cancel = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._worker: Worker[None] | None = None
        self._quit_armed = False
        self._exit_code: int | None = None  # set when a signal asks the app to end
        self._marks: list[tuple[str, str, str]] = []
        self._budget_keys_shown = False
        # A calm UI, as py-spy top and btop are: no sliding tab underline, whose frames would
        # compete with the samples for the CPU right after every tab switch.
        self.animation_level = "none"
        self._init_live()

    # ------------------------------------------------------------------ composition

    def _init_live(self) -> None:
        if self.report is not None:
            for target in self.report.targets:
                self.live[target.name] = LiveTarget.from_result(target)
            self.rows = list(self.report.budgets)
            return
        for spec in self.specs.values():
            self.live[spec.name] = LiveTarget(
                name=spec.name, command=command_text(spec.command), ready=spec.ready.describe()
            )

    def subjects(self) -> list[tuple[str, str]]:
        """(name, kind) of everything the profile or report names, targets first."""
        if self.report is not None:
            groups: Iterable[tuple[str, Iterable[Any]]] = (
                ("target", self.report.targets), ("artifact", self.report.artifacts),
                ("image", self.report.images), ("kernel", self.report.kernels),
            )
        else:
            assert self.profile is not None
            groups = (
                ("target", self.profile.targets), ("artifact", self.profile.artifacts),
                ("image", self.profile.images), ("kernel", self.profile.kernels),
            )
        return [(item.name, kind) for kind, items in groups for item in items]

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="title")
        with Horizontal(id="main"):
            with Vertical(id="side"):
                yield Static("subjects", classes="heading")
                yield OptionList(id="subjects")
            with TabbedContent(id="tabs", initial="tab-coldstart"):
                with TabPane("1 Cold start", id="tab-coldstart"):
                    yield ColdStartPane(id="coldstart")
                # The hidden panes are mounted right after the first paint (Lazy): the first
                # screen comes sooner, and a pane is there well before anyone can switch to it.
                with TabPane("2 Memory", id="tab-memory"):
                    yield Lazy(MemoryPane(id="memory"))
                with TabPane("3 Budgets", id="tab-budgets"):
                    yield Lazy(BudgetsPane(id="budgets"))
                for number, (title, pane_id, widget) in enumerate(self.extra_panes, start=4):
                    with TabPane(f"{number} {title}", id=pane_id):
                        yield Lazy(widget())
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
            self._load_baseline()
            self._rejudge()
        names = self.subjects()
        self.selected = names[0][0] if names else None
        self._fill_subjects()
        self._refresh_panes()
        self.set_interval(REFRESH_S, self._drain)
        self.query_one("#subjects", OptionList).focus()

    def _load_baseline(self) -> None:
        from lightprof.profile.baseline import load_baseline

        assert self.profile is not None
        try:
            self.baseline = load_baseline(self.profile)
        except LightprofError as exc:
            self.notify(exc.message, title="baseline not loaded", severity="warning")

    # ------------------------------------------------------------------ state → panes

    def _subject_verdicts(self) -> dict[str, str]:
        verdicts: dict[str, list[str]] = {}
        for row in self.rows:
            verdicts.setdefault(row.subject, []).append(row.verdict)
        return {name: worst_verdict(v) for name, v in verdicts.items()}

    def _fill_subjects(self) -> None:
        """Show each subject with its mark; the list is rebuilt only when a mark changed."""
        verdicts = self._subject_verdicts()
        marks: list[tuple[str, str, str]] = []
        for name, kind in self.subjects():
            live = self.live.get(name)
            running = live is not None and live.running
            marks.append((name, kind, "running" if running else verdicts.get(name, "pending")))
        if marks == self._marks:
            return
        self._marks = marks
        option_list = self.query_one("#subjects", OptionList)
        highlighted = option_list.highlighted
        option_list.clear_options()
        for name, kind, state in marks:
            prompt = Text()
            if state == "running":
                prompt.append("▶ ", style="bold cyan")
            else:
                prompt.append(f"{VERDICT_MARK[state]} ", style=VERDICT_STYLE[state])
            prompt.append(name)
            if kind != "target":
                prompt.append(f" {kind}", style="dim")
            option_list.add_option(Option(prompt, id=name))
        if option_list.option_count:
            option_list.highlighted = highlighted if highlighted is not None else 0

    def select_subject(self, name: str) -> None:
        """Highlight `name` in the subject list (the panes follow it)."""
        option_list = self.query_one("#subjects", OptionList)
        with contextlib.suppress(Exception):  # OptionDoesNotExist: not a subject of this session
            option_list.highlighted = option_list.get_option_index(name)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a subject moves into the active pane's table, where the pane has one."""
        pane = self._extra_pane(self._active_tab())
        if event.option_list.id == "subjects" and pane is not None and hasattr(pane, "focus_detail"):
            pane.focus_detail()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id != "subjects":
            return  # a pane's own list (the kernels pane has one)
        if event.option.id is not None and event.option.id != self.selected:
            self.selected = event.option.id
            self._refresh_panes()

    def on_tabbed_content_tab_activated(self, _event: TabbedContent.TabActivated) -> None:
        self._layout_side()
        budget_keys = self._active_tab() == "tab-budgets"
        if budget_keys != self._budget_keys_shown:
            # The footer is rebuilt (a dozen widgets mounted) on every refresh_bindings: do it only
            # when the keys on offer change, i.e. on entering or leaving the budgets tab.
            self._budget_keys_shown = budget_keys
            self.refresh_bindings()
        self._refresh_panes()

    def on_resize(self) -> None:
        self._layout_side()

    def on_pane_mounted(self, _event: PaneMounted) -> None:
        self._refresh_panes()

    def _layout_side(self) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        narrow = self.size.width < NARROW and tabs.active in WIDE_TABS
        self.query_one("#side").set_class(narrow, "hidden")
        if not narrow and (self.focused is None or not self.focused.display):
            # A hidden subject list lost focus; give it back so arrows select subjects again.
            self.query_one("#subjects", OptionList).focus()

    def _refresh_panes(self) -> None:
        """Render the visible pane only: hidden panes are rendered when they are shown."""
        with contextlib.suppress(NoMatches):  # a pane not mounted yet (Lazy) is drawn once it is
            self._refresh_active_pane()

    def _refresh_active_pane(self) -> None:
        active = self.query_one("#tabs", TabbedContent).active
        live = self.live.get(self.selected or "")
        if active == "tab-coldstart":
            spec = None if self.read_only else self.specs.get(self.selected or "")
            self.query_one(ColdStartPane).show(live, spec)
        elif active == "tab-memory":
            self.query_one(MemoryPane).show(live)
        elif active == "tab-budgets":
            self.query_one(BudgetsPane).show(self.rows, self.headroom, self.status,
                                             not self.read_only)
        else:
            pane = self._extra_pane(active)
            if pane is not None:
                pane.show_result(self.result, self.selected)  # type: ignore[attr-defined]

    def _extra_pane(self, tab_id: str) -> Widget | None:
        if not any(tab_id == pane_id for _title, pane_id, _cls in self.extra_panes):
            return None
        pane = self.query_one(f"#{tab_id}", TabPane).children[0]
        return None if isinstance(pane, Lazy) else pane  # not mounted yet

    # ------------------------------------------------------------------ engine events

    def _drain(self) -> None:
        """Fold queued engine events into the state and redraw once (called at 4 Hz)."""
        if not self._events:
            return
        finished = False
        while self._events:
            event = self._events.popleft()
            if isinstance(event, _Failure):
                self.notify(event.message, title=event.target, severity="error")
                continue
            live = self.live.get(event.target) if hasattr(event, "target") else None
            if live is None:
                continue
            live.apply(event)
            if isinstance(event, TargetFinished):
                finished = True
                self._store_result(event)
        if finished:
            self._rejudge()
        self._fill_subjects()
        self._refresh_panes()

    def _store_result(self, event: TargetFinished) -> None:
        from lightprof.session import new_result

        assert self.profile is not None
        if self.result is None:
            self.result = new_result(self._session_profile())
        self.result.targets = [t for t in self.result.targets if t.name != event.target]
        self.result.targets.append(event.result)
        if event.result.error:
            self.notify(event.result.error, title=f"{event.target} not measured", severity="error")

    def add_measured(self, artifacts: Iterable[Any] = (), images: Iterable[Any] = ()) -> None:
        """Take artifacts and images a pane sized into the session's result and judge them, so
        the subject list, the budgets tab and a saved baseline see them as they see targets."""
        from lightprof.session import new_result

        if self.read_only or self.profile is None:
            return
        if self.result is None:
            self.result = new_result(self._session_profile())
        for attr, new in (("artifacts", list(artifacts)), ("images", list(images))):
            names = {item.name for item in new}
            kept = [item for item in getattr(self.result, attr) if item.name not in names]
            setattr(self.result, attr, kept + new)
        self._rejudge()
        self._fill_subjects()
        self._refresh_panes()

    def _session_profile(self) -> Profile:
        """The profile with this session's specs and budgets, as the gate should judge it."""
        assert self.profile is not None
        specs = tuple(
            dataclasses.replace(spec, budget=dict(self.budgets.get(spec.name, {})))
            for spec in self.specs.values()
        )
        return dataclasses.replace(self.profile, targets=specs, path=self.save_path)

    def _rejudge(self) -> None:
        """Judge the measured targets against the session budgets; unmeasured ones are pending."""
        if self.read_only or self.profile is None:
            return
        judged: list[BudgetRow] = []
        if self.result is not None and (self.result.targets or self.result.artifacts
                                        or self.result.images or self.result.kernels):
            from lightprof.session import judge

            judged = judge(self._session_profile(), self.result, self.baseline).budgets
        figures = self.baseline.figures if self.baseline is not None else {}
        rows: list[BudgetRow] = []
        for name in self.specs:
            for metric in TARGET_BUDGETS:
                if metric not in self.budgets.get(name, {}):
                    continue
                row = next((r for r in judged if (r.subject, r.metric) == (name, metric)), None)
                if row is None:
                    row = BudgetRow(
                        subject=name, metric=metric, limit=self.budgets[name][metric],
                        measured=None, baseline=figures.get(name, {}).get(metric), delta=None,
                        verdict="pending", unit=budget_unit(metric),
                    )
                rows.append(row)
        rows.extend(r for r in judged if r.subject not in self.specs)
        self.rows = rows

    # ------------------------------------------------------------------ measuring

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.read_only and action in self._MUTATING:
            return False
        if action in ("tab", "tab_index", "quit", "help"):
            return True
        active = self._active_tab()
        if action in self._BUDGET_ONLY:
            return active == "tab-budgets"
        if action in self._RUN_ONLY:
            return active != "tab-budgets"
        return True

    def _active_tab(self) -> str:
        try:
            return self.query_one("#tabs", TabbedContent).active
        except NoMatches:  # bindings are checked before the tabs are composed
            return ""

    @property
    def measuring(self) -> bool:
        return self._worker is not None and self._worker.state in (
            WorkerState.PENDING, WorkerState.RUNNING
        )

    def action_run(self) -> None:
        pane = self._extra_pane(self._active_tab())
        if pane is not None and hasattr(pane, "action_run"):
            pane.action_run()  # r on the sizes or kernels tab measures what that pane shows
            return
        if self.selected not in self.specs:
            self.notify("select a target to run", severity="warning")
            return
        self._start([self.selected])

    def action_run_all(self) -> None:
        self._start(list(self.specs))

    def _start(self, names: list[str]) -> None:
        if self.measuring:
            self.notify("a run is already going; press x to stop it", severity="warning")
            return
        if not names:
            self.notify("this profile has no targets to run", severity="warning")
            return
        self._cancel = threading.Event()
        for name in names:
            live = self.live[name]
            live.reset()
            live.running = True
            spec = self.specs[name]
            live.planned = spec.warmup + spec.runs + 1  # the engine adds one memory run
            live.clock_start = None
        self._idle.clear()
        self._worker = self._measure(names, self._cancel)
        self._fill_subjects()
        self._refresh_panes()

    @work(thread=True, exclusive=True, group="measure", exit_on_error=False)
    def _measure(self, names: list[str], cancel: threading.Event) -> None:
        """Measure each target in turn; only appends to the event queue (no UI calls here)."""
        from lightprof.measure.target.runner import measure_target

        try:
            for name in names:
                if cancel.is_set():
                    break
                try:
                    measure_target(self.specs[name], on_event=self._events.append, cancel=cancel)
                except LightprofError as exc:
                    self._events.append(_Failure(name, exc.message))
        finally:
            self._idle.set()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker or event.state in (WorkerState.PENDING,
                                                                WorkerState.RUNNING):
            return
        self._drain()
        for live in self.live.values():
            live.running = False
        if event.state == WorkerState.ERROR:
            self.notify(str(event.worker.error), title="measurement failed", severity="error")
        elif self._cancel.is_set():
            self.notify("stopped; the target's processes were reaped")
        self._fill_subjects()
        self._refresh_panes()

    def action_stop(self) -> None:
        if not self.measuring:
            self.notify("nothing is running")
            return
        self._cancel.set()
        self.notify("stopping…")

    async def action_quit(self) -> None:
        """Stop a running measurement, wait until the engine reaped the target, then exit.

        Budgets changed but not saved hold the first q back once, so they are not lost by a slip.
        """
        if self.changed and not self._quit_armed:
            self._quit_armed = True
            self.notify("budgets changed but not saved: w saves them, q again quits",
                        severity="warning")
            return
        if self.measuring and self._worker is not None:
            self._cancel.set()
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
        self._cancel.set()
        if signum == getattr(signal, "SIGHUP", None):
            # Textual cannot restore a terminal that is gone (its writes to it block for ever),
            # so a thread of its own stops and reaps the run and ends the process.
            threading.Thread(target=self._abandon_terminal, name="lightprof-hangup", daemon=True).start()
        elif self.is_running:
            self.call_later(self.action_quit)

    def _abandon_terminal(self) -> None:
        from lightprof.measure.target.reap import sweep_descendants

        self.stop_measuring()
        sweep_descendants(since=None)
        os._exit(EXIT_INTERRUPTED)

    def stop_measuring(self, timeout: float = QUIT_WAIT_S) -> bool:
        """Cancel any run and wait for the engine to reap it (for callers outside the loop)."""
        self._cancel.set()
        return self._idle.wait(timeout)

    # ------------------------------------------------------------------ session settings

    def _selected_spec(self) -> TargetSpec | None:
        spec = self.specs.get(self.selected or "")
        if spec is None:
            self.notify("select a target first", severity="warning")
        return spec

    def action_runs(self, step: int) -> None:
        spec = self._selected_spec()
        if spec is None:
            return
        self._set_spec(spec, runs=max(1, spec.runs + step), warmup=spec.warmup, ready=spec.ready)

    def action_options(self) -> None:
        spec = self._selected_spec()
        if spec is None:
            return

        def apply(settings: SessionSettings | None) -> None:
            if settings is not None:
                self._set_spec(spec, settings.runs, settings.warmup, settings.ready)

        self.push_screen(SettingsScreen(SessionSettings(spec.runs, spec.warmup, spec.ready)), apply)

    def _set_spec(self, spec: TargetSpec, runs: int, warmup: int, ready: Any) -> None:
        hold = spec.hold if ready.kind != "exit" else 0.0
        self.specs[spec.name] = dataclasses.replace(
            spec, runs=runs, warmup=warmup, ready=ready, hold=hold,
            max_runs=max(spec.max_runs, runs),
        )
        self.live[spec.name].ready = ready.describe()
        self._refresh_panes()

    # ------------------------------------------------------------------ budgets

    def action_headroom(self, direction: int) -> None:
        self.headroom = min(2.0, max(0.0, round(self.headroom + direction * HEADROOM_STEP, 2)))
        self._refresh_panes()

    def action_suggest(self) -> None:
        measured = [t for t in (self.result.targets if self.result else []) if t.name in self.specs]
        suggested = 0
        for target in measured:
            for metric, value in suggest_budgets(target, self.headroom).items():
                self.budgets.setdefault(target.name, {})[metric] = value
                self.changed.setdefault(target.name, {})[metric] = value
                suggested += 1
        if not suggested:
            self.notify("nothing measured yet: press r to run a target first", severity="warning")
            return
        self.status = (f"suggested {suggested} budget(s) at +{self.headroom * 100:.0f}% headroom;"
                       " w saves them")
        self._rejudge()
        self._fill_subjects()
        self._refresh_panes()

    def action_edit(self) -> None:
        chosen = self.query_one(BudgetsPane).selected()
        if chosen is None or chosen[0] not in self.specs:
            self.notify("select a target budget to edit", severity="warning")
            return
        from lightprof.profile.write import budget_text

        subject, metric = chosen
        current = self.budgets.get(subject, {}).get(metric)

        def apply(value: float | None) -> None:
            if value is None:
                return
            self.budgets.setdefault(subject, {})[metric] = value
            self.changed.setdefault(subject, {})[metric] = value
            self.status = f"{subject} {metric} = {budget_text(metric, value)}; w saves it"
            self._rejudge()
            self._fill_subjects()
            self._refresh_panes()

        text = budget_text(metric, current) if current is not None else ""
        self.push_screen(EditBudgetScreen(subject, metric, text), apply)

    def action_baseline(self) -> None:
        from lightprof.profile.baseline import write_baseline

        if self.result is None or not any(r.measured is not None for r in self.result.budgets):
            self.notify("no budgeted figure measured yet: run (r) and suggest (s) first",
                        severity="warning")
            return
        try:
            path = write_baseline(self._session_profile(), self.result)
        except OSError as exc:
            self.notify(f"baseline not written: {exc}", severity="error")
            return
        self._load_baseline()
        self.result.baseline = None  # judged afresh against the baseline just written
        self._rejudge()
        self.status = f"baseline written to {path.name}"
        self._refresh_panes()

    def action_write(self) -> None:
        from lightprof.profile.write import save_profile

        assert self.profile is not None
        try:
            path = save_profile(self.profile, self.changed, targets=tuple(self.specs.values()),
                                path=self.save_path)
        except (OSError, LightprofError) as exc:
            self.notify(f"profile not saved: {exc}", severity="error")
            return
        self.save_path = path
        self.changed = {}
        self.status = f"saved {path.name}"
        self.notify(f"saved {path}")
        self._refresh_panes()

    # ------------------------------------------------------------------ navigation, help

    def action_tab(self, pane_id: str) -> None:
        self.query_one("#tabs", TabbedContent).active = pane_id

    def action_tab_index(self, index: int) -> None:
        extra = index - 3
        if 0 <= extra < len(self.extra_panes):
            self.action_tab(self.extra_panes[extra][1])

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = [
            ("Run target", "Cold-start the selected target", self.action_run),
            ("Run all targets", "Cold-start every target in turn", self.action_run_all),
            ("Stop", "Stop the run and reap its processes", self.action_stop),
            ("Session settings", "Runs, warm-ups and ready mode", self.action_options),
            ("Suggest budgets", "p95 and RSS plus headroom", self.action_suggest),
            ("Accept baseline", "Write the measurements as the baseline", self.action_baseline),
            ("Save profile", "Write the budgets to the profile file", self.action_write),
            ("Cold start pane", "Show cold starts", lambda: self.action_tab("tab-coldstart")),
            ("Memory pane", "Show memory", lambda: self.action_tab("tab-memory")),
            ("Budgets pane", "Show budgets", lambda: self.action_tab("tab-budgets")),
        ]
        for title, help_text, callback in commands:
            name = callback.__name__.removeprefix("action_") if hasattr(callback, "__name__") else ""
            if self.read_only and name in self._MUTATING:
                continue
            yield SystemCommand(title, help_text, callback)


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
