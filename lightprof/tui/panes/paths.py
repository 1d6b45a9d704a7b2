"""The paths pane: a target's critical paths and its own telemetry (issue 14), live as they run.

Per path a row of figures (latency p50/p95, the first request, ops per CPU-second, errors), a
latency histogram per path, the target's events per impl on one shared axis, and its counters
before/after. While the memory run sends the requests, each finished path appears as its
PathFinished event arrives and the path in flight is named from the engine's Progress.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from lightprof.model.paths import Counter, EventStats, PathResult, Telemetry
from lightprof.tui.controller import Controller
from lightprof.tui.numbers import duration as format_duration
from lightprof.tui.numbers import size as format_size
from lightprof.tui.panes.paths_text import binned_lines, counters_lines, events_lines, fit, path_table
from lightprof.tui.panes.target_pane import lines_text
from lightprof.tui.widgets.histogram_lines import Line

HISTOGRAM_ROWS = 7


@dataclass
class PathsView:
    """What the pane draws for one target, gathered from the controller."""

    name: str
    paths: list[PathResult] = field(default_factory=list)
    events: list[EventStats] = field(default_factory=list)
    counters: dict[str, Counter] = field(default_factory=dict)
    telemetry: Telemetry | None = None
    running: str | None = None  # the path in flight
    progress: tuple[int, int] | None = None  # (paths done, paths planned) while they run
    planned: list[str] = field(default_factory=list)  # the profile's path names
    limits: dict[str, float] = field(default_factory=dict)  # latency_p95 budget per path
    rss_now: int | None = None
    steady: int | None = None
    error: str | None = None

    @classmethod
    def of(cls, ctl: Controller, name: str) -> PathsView:
        view = cls(name)
        spec = ctl.specs.get(name)
        if spec is not None:
            view.planned = [p.name for p in spec.paths]
            view.limits = {p.name: p.budget["latency_p95"] for p in spec.paths if "latency_p95" in p.budget}
        live = ctl.live.get(name)
        running = name in ctl.running
        result = live.result if live is not None and not running else None
        if result is None and not running:
            result = ctl.measured(name)
        if result is not None:
            view.paths = list(result.paths)
            view.events = list(result.events)
            view.counters = dict(result.counters)
            view.telemetry = result.telemetry
            view.error = result.error
            if result.memory is not None:
                view.steady = result.memory.steady_rss_bytes
            if not view.limits:
                view.limits = {r.metric.split("@", 1)[1]: r.limit for r in ctl.rows
                               if r.subject == name and r.metric.startswith("latency_p95@") and r.limit}
        elif running:
            view.paths = list(ctl.paths_seen.get(name, []))
            progress = ctl.progress
            if progress is not None and progress.subject == name and progress.total:
                view.progress = (progress.done, progress.total)
                if view.planned and progress.done < len(view.planned) and len(view.paths) <= progress.done:
                    view.running = view.planned[progress.done]
        if live is not None:
            view.rss_now = live.current_rss if running else None
        return view


def view_lines(view: PathsView, width: int) -> list[Line]:
    """The whole pane as lines of at most `width` cells."""
    lines: list[Line] = []
    if not view.planned and not view.paths and not view.events and not view.counters:
        return [(fit(f"{view.name} has no [[target.path]] and no telemetry: see docs/paths.md", width), "dim")]
    if view.progress is not None:
        done, total = view.progress
        text = f"paths {len(view.paths)}/{total} · sending requests"
        if view.rss_now is not None:
            text += f" · tree RSS {format_size(view.rss_now)}"
        lines.append((fit(text, width), "cyan"))
    elif not view.paths and view.planned:
        lines.append((fit(f"{len(view.planned)} paths: " + ", ".join(view.planned) + " · press r to run them",
                          width), "dim"))
    if view.error and not view.paths:
        lines.append((fit(view.error, width), "red"))
    if view.paths or view.running:
        lines.extend(path_table(view.paths, width, view.running))
    telemetry = view.telemetry
    if telemetry is not None and telemetry.idle_rss_bytes is not None and view.steady is not None:
        lines.append((fit(f"tree RSS idle {format_size(telemetry.idle_rss_bytes)} → under load "
                          f"{format_size(view.steady)}", width), ""))
    for path in view.paths:
        latency = path.latency_s
        if latency is None or not path.histogram:
            continue
        lines.append(("", ""))
        heading = f"{path.name} · {path.method} {path.url} · latency of {path.requests:,} requests"
        lines.append((fit(heading, width), "bold"))
        limit = view.limits.get(path.name)
        lines.extend(binned_lines(path.histogram, latency.min, width, HISTOGRAM_ROWS, format_duration,
                                  marks={"p50": latency.p50, "p95": latency.p95}, limit=limit))
    if view.events:
        lines.append(("", ""))
        lines.extend(events_lines(view.events, width))
    if telemetry is not None and telemetry.summary is not None:
        summary = telemetry.summary
        lines.append((fit(f"{summary.events:,} events in {summary.lines:,} lines; {summary.skipped:,} "
                          "other lines skipped", width), "dim"))
    if view.counters or (telemetry is not None and telemetry.metrics_error):
        lines.append(("", ""))
        if view.counters:
            lines.extend(counters_lines(view.counters, width))
        if telemetry is not None and telemetry.metrics_error:
            lines.append((fit(f"metrics: {telemetry.metrics_error}", width), "red"))
    return lines


class PathsPane(VerticalScroll):
    """Shows one target's paths, events and counters; `show` is called whenever they change."""

    DEFAULT_CSS = """
    PathsPane { padding: 0 1; scrollbar-size-vertical: 1; }
    PathsPane #paths-title { height: 1; }
    PathsPane #paths-body { height: auto; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._drawn: object = None
        self._view: PathsView | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="paths-title")
        yield Static(id="paths-body")

    def show(self, ctl: Controller, name: str | None) -> None:
        if name is None or ctl.kinds.get(name) != "target":
            self._view = None
            self._draw(Text("paths are a target's: choose a target", style="dim"), "<none>")
            return
        self._view = PathsView.of(ctl, name)
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        view = self._view
        if view is None:
            return
        width = max(20, self.size.width - 3)
        lines = view_lines(view, width)
        key = (view.name, width, tuple(lines))
        if key == self._drawn:
            return
        self._draw(lines_text(lines), key, title=view.name)

    def _draw(self, body: Text, key: object, title: str = "") -> None:
        self._drawn = key
        heading = Text()
        heading.append(title, style="bold")
        if title:
            heading.append("  critical paths and telemetry", style="dim")
        self.query_one("#paths-title", Static).update(heading)
        self.query_one("#paths-body", Static).update(body)
