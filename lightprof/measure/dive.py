"""Wasted bytes and efficiency of an image's layers, exactly as dive defines them.

dive (filetree/efficiency.go) looks only at the leaves of each layer's tree: entries with no
children in that layer, a whiteout `.wh.NAME` standing for NAME. Every leaf adds its size to its
path's running total; a whiteout of a directory adds the sizes of everything under that directory in
the layers below, a whiteout of a file adds 0. Wasted bytes = the totals of every path that is a
leaf in two or more layers; efficiency = Σ smallest size seen per path ÷ Σ totals (1.0 when empty).

Opaque markers (`.wh..wh..opq`) hide a directory's lower contents; they are applied to the stacked
tree but are not leaves themselves (dive would fail to find the path they name).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from lightprof.measure.layertar import DIR, OPAQUE, WHITEOUT
from lightprof.measure.sizes_model import WastedPath


@dataclass
class DiveFigures:
    efficiency: float
    wasted_bytes: int
    wasted: list[WastedPath] = field(default_factory=list)  # the largest `top`, largest first
    wasted_paths: int = 0  # how many paths are wasted in all


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _remove_under(stacked: dict[str, tuple[int, bool]], folder: str, *, keep_self: bool) -> int:
    """Drop `folder`'s descendants (and itself unless keep_self) from the stacked tree; their bytes."""
    prefix = folder + "/" if folder else ""
    doomed = [p for p in stacked if p.startswith(prefix)] if prefix else list(stacked)
    removed = 0
    for path in doomed:
        removed += stacked.pop(path)[0]
    if not keep_self and folder in stacked:
        removed += stacked.pop(folder)[0]
    return removed


class Analysis:
    """dive's figures, fed one layer at a time (base first), so only one layer's entries are held."""

    def __init__(self) -> None:
        self.totals: dict[str, list[int]] = {}  # path -> [cumulative size, smallest size, leaf count]
        self.stacked: dict[str, tuple[int, bool]] = {}  # the tree of the layers below: path -> (size, is_dir)

    def add_layer(self, entries: list[tuple[str, int, str]]) -> None:
        totals, stacked = self.totals, self.stacked
        nodes: dict[str, tuple[int, str]] = {}
        for path, size, kind in entries:
            nodes[path] = (size, kind)  # a path listed twice in one layer is one node: the last wins
        inner = {parent for path in nodes for parent in _parents(path)}
        for path, (size, kind) in nodes.items():
            if path in inner or kind == OPAQUE:
                continue
            if kind == WHITEOUT:
                below = stacked.get(path)
                size = 0
                if below is not None and below[1]:
                    prefix = path + "/"
                    size = below[0] + sum(s for p, (s, _d) in stacked.items() if p.startswith(prefix))
            seen = totals.get(path)
            if seen is None:
                totals[path] = [size, size, 1]
            else:
                seen[0] += size
                seen[1] = min(seen[1], size)
                seen[2] += 1
        # Deletions of this layer hide what is below; additions then land on top.
        for path, (_size, kind) in nodes.items():
            if kind == WHITEOUT:
                _remove_under(stacked, path, keep_self=False)
            elif kind == OPAQUE:
                _remove_under(stacked, path, keep_self=True)
        for path, (size, kind) in nodes.items():
            if kind in (WHITEOUT, OPAQUE):
                continue
            for parent in _parents(path):
                stacked.setdefault(parent, (0, True))
            stacked[path] = (size, kind == DIR)

    def finish(self, top: int | None = None) -> DiveFigures:
        """The figures; `wasted` lists the `top` largest wasted paths (all when None)."""
        totals = self.totals
        minimum = sum(t[1] for t in totals.values())
        discovered = sum(t[0] for t in totals.values())
        efficiency = 1.0 if discovered == 0 else minimum / discovered
        wasted_items = [(t[0], path, t[2]) for path, t in totals.items() if t[2] >= 2]
        key = lambda item: (-item[0], item[1])  # noqa: E731
        kept = sorted(wasted_items, key=key) if top is None else heapq.nsmallest(top, wasted_items, key=key)
        wasted = [WastedPath("/" + path, size, layers) for size, path, layers in kept]
        return DiveFigures(efficiency, sum(item[0] for item in wasted_items), wasted, len(wasted_items))


def analyse(layers: list[list[tuple[str, int, str]]], top: int | None = None) -> DiveFigures:
    """dive's efficiency, wasted bytes and inefficient paths for layers listed base first."""
    analysis = Analysis()
    for entries in layers:
        analysis.add_layer(entries)
    return analysis.finish(top)
