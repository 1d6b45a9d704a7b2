"""What the attribution pane draws (issue 15 item 7), as plain data and lines (no Textual): the
import tree sorted by cost, hot functions, lazy-load candidates, and cold against warm cache."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lightprof.model.attribution import Attribution, ImportRow
from lightprof.tui.numbers import WIDTH
from lightprof.tui.numbers import duration as format_duration
from lightprof.tui.panes.paths_text import fit
from lightprof.tui.widgets.histogram_lines import Line

FUNCTIONS_SHOWN = 10
LAZY_SHOWN = 8


@dataclass
class ImportNode:
    """One module of the tree with its children, costliest first."""

    row: ImportRow
    children: list[ImportNode] = field(default_factory=list)


def import_tree(rows: Sequence[ImportRow], startup: bool = False) -> list[ImportNode]:
    """The target's imports (the interpreter's start-up ones too with `startup`) as a tree whose
    every level is sorted by cumulative time, costliest first."""
    kept = [row for row in rows if startup or not row.startup]
    nodes = {row.module: ImportNode(row) for row in kept}
    roots: list[ImportNode] = []
    for row in kept:
        parent = nodes.get(row.parent) if row.parent else None
        (parent.children if parent is not None and parent is not nodes[row.module] else roots).append(
            nodes[row.module])

    def order(level: list[ImportNode]) -> list[ImportNode]:
        level.sort(key=lambda n: (-n.row.cumulative_s, n.row.module))
        for node in level:
            order(node.children)
        return level

    return order(roots)


def node_label(row: ImportRow, width: int) -> str:
    """"module   cumulative  self": the name shortened to fit, both times right-aligned at the
    end, so that they line up whatever the depth (`width` is what the tree leaves the label)."""
    figures = f" {format_duration(row.cumulative_s):>{WIDTH}} {format_duration(row.self_s):>{WIDTH}}"
    room = max(8, width - len(figures))
    return f"{fit(row.module, room):<{room}}" + figures


def summary_lines(name: str, found: dict[str, Attribution], width: int, *, read_only: bool = False) -> list[Line]:
    """The target's import time per cache (cold against warm when both were measured), start-up apart."""
    if not found and read_only:  # --open: nothing is measured, r does nothing
        return [(fit(f"{name}: not attributed in this report (lightprof --headless --attribute "
                     "attributes it)", width), "dim")]
    if not found:
        return [(fit(f"{name}: not attributed yet · r attributes it (cache as the profile says), "
                     "c with the other cache", width), "dim")]
    lines: list[Line] = []
    for cache in ("cold", "warm"):
        attribution = found.get(cache)
        if attribution is None:
            continue
        if attribution.error:
            lines.append((fit(f"{cache} cache: {attribution.error}", width), "red"))
            continue
        text = f"{cache:>4} cache · imports {format_duration(attribution.import_time_s)}"
        if attribution.import_time_range_s is not None:
            low, high = attribution.import_time_range_s
            text += f" ({format_duration(low)}–{format_duration(high)})"
        text += f" · start-up {format_duration(attribution.startup_s)} · {attribution.runs} starts"
        lines.append((fit(text, width), "bold" if cache == "cold" else ""))
    cold, warm = found.get("cold"), found.get("warm")
    if cold is not None and warm is not None and cold.import_time_s and warm.import_time_s:
        lines.append((fit(f"cold/warm {cold.import_time_s / warm.import_time_s:.3g}× · a cold cache costs "
                          f"{format_duration(cold.import_time_s - warm.import_time_s)} more", width), "yellow"))
    return lines


def cache_changes(found: dict[str, Attribution], shown: int = 6) -> list[Line]:
    """The modules whose import gains most from a warm cache (cold cumulative − warm cumulative)."""
    cold, warm = found.get("cold"), found.get("warm")
    if cold is None or warm is None:
        return []
    warm_rows = {row.module: row for row in warm.imports if not row.startup}
    gains = sorted(((row.cumulative_s - warm_rows[row.module].cumulative_s, row) for row in cold.imports
                    if row.module in warm_rows and not row.startup), key=lambda g: -g[0])[:shown]
    if not gains:
        return []
    lines: list[Line] = [(f"{'cold':>{WIDTH}} {'warm':>{WIDTH}}  module (cumulative: most saved by a warm cache)",
                          "bold")]
    for _gain, row in gains:
        lines.append((f"{format_duration(row.cumulative_s):>{WIDTH}} "
                      f"{format_duration(warm_rows[row.module].cumulative_s):>{WIDTH}}  {row.module}", ""))
    return lines


def functions_lines(attribution: Attribution, width: int) -> list[Line]:
    if attribution.sampler_error:
        return [(fit(f"hot functions: {attribution.sampler_error}", width), "yellow")]
    if not attribution.functions:
        return []
    sampler = f" ({attribution.sampler}, {attribution.samples:,} samples)" if attribution.sampler else ""
    lines: list[Line] = [(fit(f"hot functions{sampler}", width), "bold"),
                         (f"{'self':>6} {'total':>6}  function", "dim")]
    for row in attribution.functions[:FUNCTIONS_SHOWN]:
        where = f"{row.file}:{row.line}" if row.line else row.file
        lines.append((fit(f"{row.self_share:>6.1%} {row.total_share:>6.1%}  {row.name}  {where}", width), ""))
    if attribution.speedscope or attribution.cpuprofile:
        lines.append((fit(f"profile: {attribution.speedscope or attribution.cpuprofile}", width), "dim"))
    return lines


def lazy_lines(attribution: Attribution, width: int) -> list[Line]:
    if not attribution.lazy:
        return []
    lines: list[Line] = [(fit("lazy-load candidates (imported, not used before ready)", width), "bold"),
                         (f"{'saves':>{WIDTH}}  module", "dim")]
    for candidate in attribution.lazy[:LAZY_SHOWN]:
        lines.append((f"{format_duration(candidate.saves_s):>{WIDTH}}  " + fit(candidate.module, width - WIDTH - 2),
                      "green"))
    return lines
