"""Modal screens: help, session settings (runs, warm-ups, ready) and editing one budget."""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from lightprof.profile.spec import ReadySpec
from lightprof.units import UnitError, parse_duration, parse_ratio, parse_size

HELP = """\
[b]lightprof keys[/b]

[b]↑ ↓[/]  choose a subject           [b]enter[/]  into the pane's table (esc: back)
[b]1–8[/]  cold start · memory · budgets · sizes · kernels · paths · A/B · attribution
[b]r[/]  run the selected target (sizes: size all · kernels: run the kernel)
[b]R[/]  run every target             [b]x[/]  stop the run (reaps its processes)
[b]+ -[/]  runs ±5 for this session   [b]o[/]  runs, warm-ups, ready, timeout, hold
[b]s[/]  suggest budgets (p95 and RSS + headroom)   [b][ ][/]  headroom −/+ 5%
[b]e[/]  edit the selected budget (↑↓ choose it)   [b]b[/]  accept measurements as baseline
[b]w[/]  write budgets to the profile (keeps comments)
[dim]sizes:[/] [b]enter[/]/[b]l[/] open a layer  [b]w[/] wasted paths  [b]f[/] files/distributions
[dim]kernels:[/] [b]s S[/] next/previous payload size   [dim]A/B:[/] [b]a[/] pick the base target
[dim]attribution:[/] [b]r[/] attribute  [b]c[/] with the other cache (cold/warm)  [b]enter[/] into the tree
[b]ctrl+p[/]  command palette   [b]?[/]  this help   [b]q[/] / [b]ctrl+c[/]  quit

[dim]Press escape or ? to close.[/dim]"""


class HelpScreen(ModalScreen[None]):
    """Every key on one page."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Static { width: auto; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; padding: 0 2; background: $surface; }
    """

    def compose(self) -> ComposeResult:
        yield Static(HELP)


@dataclass(frozen=True)
class SessionSettings:
    runs: int
    warmup: int
    ready: ReadySpec
    timeout: float = 10.0
    hold: float = 0.0


def _whole(label: str, text: str, least: int) -> int:
    """A whole number typed into a field, or one sentence saying what was expected."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{label}: a whole number is expected, got {text.strip()!r}") from None
    if value < least:
        raise ValueError(f"{label}: at least {least} is expected, got {value}")
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
