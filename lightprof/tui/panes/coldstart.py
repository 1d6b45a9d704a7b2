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
from lightprof.tui.numbers import duration as format_duration
from lightprof.tui.widgets.charts import BarChart, Histogram
from lightprof.tui.widgets.progress import ProgressLine

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
    ColdStartPane #cs-stats { height: auto; }
    ColdStartPane #cs-hint { height: auto; color: $warning; }
    ColdStartPane #cs-series { height: 2; margin-bottom: 1; }
    ColdStartPane #cs-histogram { height: 1fr; min-height: 7; max-height: 16; }
    ColdStartPane #cs-failed { color: $text; height: auto; }
    ColdStartPane.no-times .times { display: none; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="cs-title")
        yield Static(id="cs-settings")
        yield ProgressLine(id="cs-progress")
        yield Static(id="cs-hint")
        yield Static(id="cs-stats")
        yield Static(id="cs-failed")
        yield Static("distribution (ready time)", classes="heading times")
        yield Histogram(_ms, id="cs-histogram", classes="times")
        yield Static("run by run", classes="heading times")
        yield BarChart(id="cs-series", classes="times")

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

    def show(self, live: LiveTarget | None, spec: TargetSpec | None = None, limit: float | None = None) -> None:
        """Render `live`; `spec` (absent for a report) gives the session's runs/warm-ups/ready;
        `limit` (a cold-start budget) is drawn on the histogram."""
        if live is None:
            self.set_class(True, "no-times")
            for widget_id in ("cs-settings", "cs-hint", "cs-stats", "cs-failed"):
                self._update(widget_id, "<no target>", "", True)
            self.query_one("#cs-progress", ProgressLine).set_idle("")
            self._update("cs-title", "<no target>", Text("no target chosen: cold starts are for targets",
                                                         style="dim"), False)
            return
        title = Text()
        title.append(live.name, style="bold")
        title.append(f"  {live.command}", style="dim")
        self._update("cs-title", title.plain, title, False)
        settings = self._settings(live, spec)
        self._update("cs-settings", settings.plain, settings, False)
        self._progress(live)
        hint = self._hint(live, spec)
        self._update("cs-hint", hint.plain, hint, True)
        summary = live.summary()
        failed = len(live.failed_runs)
        self._update("cs-stats", (summary, failed), self._stats(live, summary), True)
        times = live.ready_times
        self.set_class(not times, "no-times")
        if self._shown.get("times") != (live.name, len(times), len(live.runs), limit):
            self._shown["times"] = (live.name, len(times), len(live.runs), limit)
            marks = {"p50": summary.p50, "p95": summary.p95} if summary else {}
            self.query_one("#cs-histogram", Histogram).set_values(times, marks, limit=limit)
            self.query_one("#cs-series", BarChart).data = times
        failed_text = self._failed(live, spec)
        self._update("cs-failed", failed_text.plain, failed_text, True)

    def _settings(self, live: LiveTarget, spec: TargetSpec | None) -> Text:
        text = Text()
        if spec is None:
            text.append(f"ready {live.ready} · from a saved report (read-only)", style="dim")
            return text
        text.append(f"runs {spec.runs}", style="bold")
        text.append(f" · warm-ups {spec.warmup} · ready {spec.ready.describe()}")
        text.append(f" · timeout {format_duration(spec.timeout)}")
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
            elapsed = live.elapsed_s()
            phase = "warm-up" if live.current_warmup else "running"
            suffix = f"runs · {phase}"
            if elapsed is not None:
                suffix += f" · #{live.started} {elapsed:.1f} s"
            if eta is not None:
                suffix += f" · ETA {eta:.1f} s"
        elif live.cancelled:
            suffix = "runs · stopped (x)"
        elif live.failed_runs and len(live.runs) < total:
            suffix = f"runs · stopped: run #{live.failed_runs[-1].index + 1} failed"
        else:
            suffix = "runs · done"
        bar.set_progress(len(live.done_runs), total, suffix)

    @staticmethod
    def _hint(live: LiveTarget, spec: TargetSpec | None) -> Text:
        """What to do about a run that waits for ever, or a target the session would not run."""
        if live.refused:
            return Text(live.refused)
        if spec is None or spec.ready.kind != "exit":
            return Text(live.note or "")
        elapsed = live.elapsed_s()
        timed_out = any((r.error or "").startswith("timed out") for r in live.failed_runs)
        if timed_out or (elapsed is not None and elapsed > max(2.0, spec.timeout / 5)):
            waited = (f"run #{live.started} has waited {elapsed:.1f} s" if elapsed is not None
                      else "the run timed out waiting")
            return Text(f"{waited} for the process to end (ready = exit). A server never ends: "
                        "press o and set ready to port N, http://… or stdout REGEX.")
        return Text(live.note or "")

    def _stats(self, live: LiveTarget, summary: Summary | None) -> Table | Text:
        if summary is None:
            return Text("no successful run yet", style="dim")
        grid = Table.grid(padding=(0, 1))
        for _ in range(3):
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column(justify="right", no_wrap=True, min_width=8)
            grid.add_column(width=1)
        failed = len(live.failed_runs)
        grid.add_row("p50", _ms(summary.p50), "", "p95", _ms(summary.p95), "", "p99", _ms(summary.p99))
        grid.add_row("min", _ms(summary.min), "", "max", _ms(summary.max), "", "stdev", _ms(summary.stdev))
        grid.add_row("runs", str(summary.n), "", "outliers", str(summary.outliers), "",
                     Text("failed", style="bold red" if failed else "bold"),
                     Text(str(failed), style="bold red" if failed else ""))
        if live.cancelled:
            grid.add_row(Text("stopped by x", style="dim"))
        return grid

    def _failed(self, live: LiveTarget, spec: TargetSpec | None) -> Text:
        failed = live.failed_runs
        if not failed:
            return Text("")
        text = Text()
        shown = failed[-1:] if live.ready_times else failed[-FAILED_SHOWN:]
        text.append(f"failed runs ({len(failed)})", style="bold red")
        for run in shown:
            reason = run.error or f"exit code {run.exit_code}"
            text.append(f"\n#{run.index + 1} ", style="bold")
            text.append(reason)
            tail = (run.stderr_tail or "").strip().splitlines()[-3:]
            for line in tail:
                text.append(f"\n  │ {line}", style="")
        return text
