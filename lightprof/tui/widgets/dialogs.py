"""Modal screens: help, session settings (runs, warm-ups, ready) and editing one budget."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from lightprof.profile.spec import MAX_RUNS, ReadySpec
from lightprof.units import UnitError, parse_duration, parse_ratio, parse_size

# Every key with what it does; a "pane:" prefix says where a key means something else.
HELP_ROWS: tuple[tuple[str, str], ...] = (
    ("↑ ↓", "choose a subject"),
    ("enter", "into the pane's table (esc: back)"),
    ("1–8", "cold start · memory · budgets · sizes · kernels · paths · A/B · attribution"),
    ("r", "run the selected target (sizes: size all · kernels: run the kernel)"),
    ("R", "run every target"),
    ("x", "stop the run (reaps its processes)"),
    ("+ -", "runs ±5 for this session"),
    ("o", "runs, warm-ups, ready, timeout, hold"),
    ("s", "suggest budgets (p95 and RSS + headroom)"),
    ("[ ]", "headroom −/+ 5%"),
    ("e", "edit the selected budget (↑↓ choose it)"),
    ("b", "accept measurements as baseline"),
    ("w", "write budgets to the profile (keeps comments)"),
    ("sizes: enter/l", "open a layer"),
    ("sizes: w · f", "wasted paths · files/distributions"),
    ("kernels: s S", "next/previous payload size"),
    ("A/B: a", "pick the base target"),
    ("attribution: r · c", "attribute · with the other cache (cold/warm)"),
    ("attribution: enter", "into the import tree"),
    ("ctrl+p", "command palette"),
    ("?", "this help"),
    ("q / ctrl+c", "quit"),
)
WIDE_HELP = 120  # from this many columns the keys are laid out two to a line


def help_table(width: int) -> Group:
    """The key table: one key to a line (a description wraps under itself), or two to a line
    when the terminal is wide."""
    pairs = 2 if width >= WIDE_HELP else 1
    table = Table.grid(padding=(0, 2))
    for _ in range(pairs):
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
    for index in range(0, len(HELP_ROWS), pairs):
        cells: list[str] = []
        for keys, what in HELP_ROWS[index:index + pairs]:
            cells += [keys, what]
        table.add_row(*cells)
    return Group(Text("lightprof keys\n", style="bold"), table, Text("\nPress escape or ? to close.", style="dim"))


class HelpScreen(ModalScreen[None]):
    """Every key, scrolled when the terminal is shorter than the list."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 100%; height: auto; max-height: 100%;
        border: round $accent; padding: 0 1 0 2; background: $surface; scrollbar-size-vertical: 1; }
    HelpScreen Static { width: 100%; height: auto; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="help-text")

    def on_mount(self) -> None:
        self._lay_out()

    def on_resize(self) -> None:
        self._lay_out()

    def _lay_out(self) -> None:
        table = help_table(self.size.width)
        # As wide as the table wants (plus border, padding and scrollbar), never wider than the screen.
        natural = Console(width=1000).measure(table).maximum + 6
        self.query_one(VerticalScroll).styles.max_width = natural
        self.query_one("#help-text", Static).update(table)


@dataclass(frozen=True)
class SessionSettings:
    runs: int
    warmup: int
    ready: ReadySpec
    timeout: float = 10.0
    hold: float = 0.0


def _whole(label: str, text: str, least: int, most: int = MAX_RUNS) -> int:
    """A whole number typed into a field, or one sentence saying what was expected. The profile's
    bounds: what `w` saves must load again."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{label}: a whole number is expected, got {text.strip()!r}") from None
    if not least <= value <= most:
        raise ValueError(f"{label}: {least} to {most} is expected, got {value}")
    return value


def _duration(label: str, text: str, least: float) -> float:
    try:
        value = parse_duration(text.strip())
    except UnitError as exc:
        raise ValueError(f"{label}: {exc}") from None
    if value < least:
        raise ValueError(f"{label}: must be at least {least:g} s")
    return value


def parse_ready(text: str) -> ReadySpec:
    """Read "exit", "port 3000", "http://127.0.0.1:3000/health" or "stdout REGEX"."""
    text = text.strip()
    if text == "exit":
        return ReadySpec()
    if match := re.fullmatch(r"port\s+(?:([^\s:]+):)?(\d{1,5})", text):
        port = int(match.group(2))
        if not 1 <= port <= 65535:
            raise ValueError(f"port {port} is out of range 1-65535")
        return ReadySpec(kind="port", port=port, host=match.group(1) or "127.0.0.1")
    if text.startswith("http://"):
        return ReadySpec(kind="http", url=text)
    if match := re.fullmatch(r"stdout\s+(.+)", text):
        pattern = match.group(1)
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return ReadySpec(kind="stdout", pattern=pattern)
    raise ValueError("ready is one of: exit · port 3000 · http://host:port/path · stdout REGEX")


def _text_s(seconds: float) -> str:
    return f"{seconds:g}s"


def ready_text(ready: ReadySpec) -> str:
    if ready.kind == "port":
        host = "" if ready.host == "127.0.0.1" else f"{ready.host}:"
        return f"port {host}{ready.port}"
    if ready.kind == "http":
        return ready.url or ""
    if ready.kind == "stdout":
        return f"stdout {ready.pattern}"
    return "exit"


class SettingsScreen(ModalScreen[SessionSettings | None]):
    """Runs, warm-ups and ready mode for this session (the profile file is not changed)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "cancel")]
    DEFAULT_CSS = """
    SettingsScreen { align: center middle; }
    SettingsScreen > Vertical { width: 60; max-width: 100%; height: auto;
        border: round $accent; padding: 0 1; background: $surface; }
    SettingsScreen Input { margin-bottom: 0; }
    SettingsScreen #set-error { color: $error; }
    """

    def __init__(self, current: SessionSettings) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Session settings[/b] (enter to apply, escape to cancel)")
            yield Label("runs")
            yield Input(str(self.current.runs), id="set-runs")
            yield Label("warm-ups")
            yield Input(str(self.current.warmup), id="set-warmup")
            yield Label("ready: exit · port 3000 · http://… · stdout REGEX")
            yield Input(ready_text(self.current.ready), id="set-ready")
            yield Label("timeout per run (e.g. 10s)")
            yield Input(_text_s(self.current.timeout), id="set-timeout")
            yield Label("hold after ready, for steady memory (e.g. 1s; 0s with ready = exit)")
            yield Input(_text_s(self.current.hold), id="set-hold")
            yield Static(id="set-error")

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        def field(name: str) -> str:
            return self.query_one(f"#set-{name}", Input).value

        try:
            runs = _whole("runs", field("runs"), 1)
            warmup = _whole("warm-ups", field("warmup"), 0)
            ready = parse_ready(field("ready"))
            timeout = _duration("timeout", field("timeout"), 0.001)
            hold = _duration("hold", field("hold"), 0.0)
        except ValueError as exc:
            self.query_one("#set-error", Static).update(str(exc))
            return
        self.dismiss(SessionSettings(runs, warmup, ready, timeout, hold if ready.kind != "exit" else 0.0))


class EditBudgetScreen(ModalScreen[float | None]):
    """One budget limit typed with its unit ("250ms", "80MiB")."""

    BINDINGS = [Binding("escape", "dismiss(None)", "cancel")]
    DEFAULT_CSS = """
    EditBudgetScreen { align: center middle; }
    EditBudgetScreen > Vertical { width: 60; max-width: 100%; height: auto;
        border: round $accent; padding: 0 1; background: $surface; }
    EditBudgetScreen #edit-error { color: $error; }
    """

    def __init__(self, subject: str, metric: str, current: str) -> None:
        super().__init__()
        self.subject, self.metric, self.current = subject, metric, current

    def compose(self) -> ComposeResult:
        from lightprof.tui.budget_rows import limit_kind

        example = {"duration": "250ms", "size": "80MiB", "ratio": "90%", "number": "500"}[limit_kind(self.metric)]
        with Vertical():
            yield Label(f"[b]{self.subject}[/b] {self.metric} (e.g. {example})")
            yield Input(self.current, id="edit-value")
            yield Static(id="edit-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        from lightprof.tui.budget_rows import limit_kind

        kind = limit_kind(self.metric)
        try:
            if kind == "number":
                try:
                    value = float(event.value)
                except ValueError:
                    raise UnitError(f"a number is expected, got {event.value!r}") from None
            else:
                parse = {"duration": parse_duration, "size": parse_size, "ratio": parse_ratio}[kind]
                value = float(parse(event.value))
        except UnitError as exc:
            self.query_one("#edit-error", Static).update(str(exc))
            return
        if value <= 0:
            self.query_one("#edit-error", Static).update("a budget must be greater than zero")
            return
        self.dismiss(value)
