"""The A/B pane: a target against its base (another target, `against`, or its --base revision).

It shows the head/base p50 ratio with its 95% interval, how the check came out, and both sides'
timed runs on ONE axis, so their distance shows. `a` picks the base among the profile's targets.
"""

from __future__ import annotations

import statistics

from textual.app import ComposeResult
from textual.widgets import Static

from lightprof.model.target import Comparison
from lightprof.tui.controller import Controller
from lightprof.tui.numbers import duration as format_duration
from lightprof.tui.panes.paths_text import fit
from lightprof.tui.panes.target_pane import TargetPane, lines_text
from lightprof.tui.verdicts import mark
from lightprof.tui.widgets.histogram_lines import Line, histogram_lines

SPREAD_LOG = 4.0  # both sides spread over more than this factor: a log axis shows both


def times(value: float) -> str:
    """A ratio as a factor, three significant digits ("1.23×")."""
    return f"{value:.3g}×" if value < 100 else f"{value:,.0f}×"


def reference(comparison: Comparison) -> str:
    if comparison.mode == "base":
        return f"base revision {comparison.base}"
    if comparison.mode == "against":
        return f"target {comparison.against}"
    return "the stored baseline"


def ab_lines(ctl: Controller, name: str, width: int, height: int) -> list[Line]:
    """The pane for target `name` as lines of at most `width` cells."""
    spec = ctl.specs.get(name)
    target = ctl.measured(name)
    comparison: Comparison | None = getattr(target, "comparison", None)
    lines: list[Line] = []
    against = spec.against if spec is not None else None
    if spec is not None:
        chosen = f"against {against}" if against else "no base target"
        lines.append((fit(f"{name} · {chosen} · a: pick the base target", width), "" if against else "dim"))
    if comparison is None or comparison.mode == "baseline" and not comparison.base_runs_s:
        if against:
            lines.append((fit(f"not measured against {against} yet: press r to run both, interleaved", width),
                          "dim"))
        elif spec is None and comparison is None:
            lines.append((fit("no comparison in this report (measure with against or --base)", width), "dim"))
        return lines
    if comparison.mode == "against" and against is not None and comparison.against != against:
        lines.append((fit(f"measured against {comparison.against}; press r to measure against {against}", width),
                      "yellow"))
    low, high = comparison.ratio_p50_ci
    symbol, style = mark(comparison.verdict if comparison.verdict != "pass" else "pass")
    # The verdict first: a narrow pane shortens the words after the figures, never a figure.
    lines.append((fit(f"{symbol} {comparison.verdict} · head/base p50 {times(comparison.ratio_p50)}"
                      f" · 95% {times(low)}–{times(high)}", width), style))
    head, base = comparison.head_runs_s, comparison.base_runs_s
    if head and base:
        lines.append((fit(f"head p50 {format_duration(statistics.median(head))} · base p50 "
                          f"{format_duration(statistics.median(base))}", width), ""))
    lines.append((fit(f"{comparison.n} pairs, interleaved · vs {reference(comparison)}", width), "dim"))
    if comparison.drift is not None:
        lines.append((fit(f"drift {comparison.drift * 100:+.1f}% (the reference, second half vs first)", width),
                      "dim"))
    for row in ctl.rows:
        if row.subject == name and row.metric == "max_slowdown" and row.verdict is not None and row.limit:
            symbol, style = mark(row.verdict)
            lines.append((fit(f"{symbol} max_slowdown {row.limit * 100:.0f}% · {row.verdict}", width), style))
    if comparison.note:
        lines.append((fit(comparison.note, width), "yellow"))
    if head and base:
        spread = max(head + base) / max(min(head + base), 1e-12)
        lines.append(("", ""))
        lines.append(("timed runs, head and base on one axis", "bold"))
        marks = {"head": statistics.median(head), "base": statistics.median(base)}
        lines.extend(histogram_lines({"head": head, "base": base}, width, max(8, height - len(lines)),
                                     format_duration, log=spread > SPREAD_LOG, marks=marks))
    return lines


class ABPane(TargetPane):
    """Shows one target against its base."""

    DEFAULT_CSS = """
    ABPane { padding: 0 1; scrollbar-size-vertical: 1; }
    ABPane #ab-body { height: auto; width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="ab-body")

    def _draw_target(self, ctl: Controller, name: str | None) -> None:
        width, height = max(20, self.size.width - 3), max(12, self.size.height)
        if name is None or ctl.kinds.get(name) != "target":
            lines: list[Line] = [("A/B compares targets: choose a target", "dim")]
        else:
            lines = ab_lines(ctl, name, width, height)
        key = (name, width, height, tuple(lines))
        if key == self._drawn:
            return
        self._drawn = key
        self.query_one("#ab-body", Static).update(lines_text(lines))
