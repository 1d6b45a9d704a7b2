"""The cold-start pane: distribution, run-by-run series, percentiles, progress and failed runs."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from lightprof.model.target import Summary
from lightprof.profile.spec import TargetSpec
from lightprof.tui.live import LiveTarget
from lightprof.tui.widgets import BarChart, Histogram, ProgressLine
from lightprof.units import format_duration

FAILED_SHOWN = 3


def _ms(seconds: float) -> str:
    return format_duration(seconds)


class ColdStartPane(VerticalScroll):
    """Shows one target's cold starts; `show` is called with its state whenever it changes."""

    DEFAULT_CSS = """
    ColdStartPane { padding: 0 1; scrollbar-size-vertical: 1; }
    ColdStartPane > * { width: 1fr; }
    ColdStartPane > .heading { color: $text-muted; text-style: bold; }
    ColdStartPane #cs-title, ColdStartPane #cs-settings { height: 1; }
    ColdStartPane #cs-stats { height: 3; }
    ColdStartPane #cs-series { height: 2; margin-bottom: 1; }
    ColdStartPane #cs-histogram { height: 1fr; min-height: 7; max-height: 16; }
    ColdStartPane #cs-failed { color: $text; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="cs-title")
        yield Static(id="cs-settings")
        yield ProgressLine(id="cs-progress")
        yield Static(id="cs-stats")
        yield Static("distribution (ready time)", classes="heading")
        yield Histogram(_ms, id="cs-histogram")
        yield Static("run by run", classes="heading")
        yield BarChart(id="cs-series")
        yield Static(id="cs-failed")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: dict[str, object] = {}

    def _update(self, widget_id: str, key: object, content: object, layout: bool) -> None:
        """Update a Static only when what it shows changed; fixed-height ones skip the layout
        pass, which is what a refresh costs most while runs stream in."""
        if self._shown.get(widget_id) == key:
            return
        self._shown[widget_id] = key
        self.query_one(f"#{widget_id}", Static).update(content, layout=layout)  # type: ignore[arg-type]

    def show(self, live: LiveTarget | None, spec: TargetSpec | None = None) -> None:
        """Render `live`; `spec` (absent for a report) gives the session's runs/warm-ups/ready."""
        if live is None:
            self._update("cs-title", None, Text("no target selected", style="dim"), False)
            return
        title = Text()
        title.append(live.name, style="bold")
        title.append(f"  {live.command}", style="dim")
        self._update("cs-title", title.plain, title, False)
        settings = self._settings(live, spec)
        self._update("cs-settings", settings.plain, settings, False)
        self._progress(live)
        summary = live.summary()
        failed = len(live.failed_runs)
        self._update("cs-stats", (summary, failed), self._stats(live, summary), False)
        times = live.ready_times
        if self._shown.get("times") != (live.name, len(times), len(live.runs)):
            self._shown["times"] = (live.name, len(times), len(live.runs))
            marks = {"↑p50": summary.p50, "↑p95": summary.p95} if summary else {}
            self.query_one("#cs-histogram", Histogram).set_values(times, marks)
            self.query_one("#cs-series", BarChart).data = times
        failed_text = self._failed(live)
        self._update("cs-failed", failed_text.plain, failed_text, True)

    def _settings(self, live: LiveTarget, spec: TargetSpec | None) -> Text:
        text = Text()
        if spec is None:
            text.append(f"ready {live.ready} · from a saved report (read-only)", style="dim")
            return text
        text.append(f"runs {spec.runs}", style="bold")
        text.append(f" · warm-ups {spec.warmup} · ready {spec.ready.describe()}")
        if spec.hold > 0:
            text.append(f" · hold {format_duration(spec.hold)}")
        return text

    def _progress(self, live: LiveTarget) -> None:
        bar = self.query_one("#cs-progress", ProgressLine)
        total = max(live.planned, len(live.runs))
        if total == 0:
            bar.set_idle("press r to start runs")
            return
        if live.running:
            eta = live.eta_s()
            phase = "warm-up" if live.current_warmup else "running"
            suffix = f"runs · {phase}" + (f" · ETA {eta:.1f} s" if eta is not None else "")
        else:
            suffix = "runs · done"
        bar.set_progress(len(live.runs), total, suffix)

    def _stats(self, live: LiveTarget, summary: Summary | None) -> Table | Text:
        if summary is None:
            return Text("no successful run yet", style="dim")
        grid = Table.grid(padding=(0, 3))
        for _ in range(3):
            grid.add_column(no_wrap=True)
        failed = len(live.failed_runs)
        grid.add_row(f"[b]p50[/] {_ms(summary.p50)}", f"[b]p95[/] {_ms(summary.p95)}",
                     f"[b]p99[/] {_ms(summary.p99)}")
        grid.add_row(f"[b]min[/] {_ms(summary.min)}", f"[b]max[/] {_ms(summary.max)}",
                     f"[b]stdev[/] {_ms(summary.stdev)}")
        grid.add_row(f"[b]runs[/] {summary.n}", f"[b]outliers[/] {summary.outliers}",
                     f"[bold red]failed {failed}[/]" if failed else "[b]failed[/] 0")
        return grid

    def _failed(self, live: LiveTarget) -> Text:
        failed = live.failed_runs
        if not failed:
            return Text("")
        text = Text()
        text.append(f"failed runs ({len(failed)})\n", style="bold red")
        for run in failed[-FAILED_SHOWN:]:
            reason = run.error or f"exit code {run.exit_code}"
            text.append(f"#{run.index + 1} ", style="bold")
            text.append(reason + "\n")
            tail = (run.stderr_tail or "").strip().splitlines()[-2:]
            for line in tail:
                text.append(f"  │ {line}\n", style="dim")
        text.rstrip()
        return text
