"""dive's figures written out the straightforward way, as a reference for lightprof.measure.images.dive.

Every path of every layer is held in dicts: the stacked tree below the current layer and each
path's running total. This was lightprof's implementation until it was replaced by the sorted
walk; the tests compare the two on random images.
"""

from __future__ import annotations

from lightprof.measure.images.layertar import DIR, OPAQUE, WHITEOUT


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _remove_under(stacked: dict[str, tuple[int, bool]], folder: str, *, keep_self: bool) -> None:
    """Drop `folder`'s descendants (and itself unless keep_self) from the stacked tree."""
    prefix = folder + "/" if folder else ""
    for path in [p for p in stacked if p.startswith(prefix)] if prefix else list(stacked):
        del stacked[path]
    if not keep_self and folder in stacked:
        del stacked[folder]


def reference(layers: list[list[tuple[str, int, str]]]) -> tuple[float, int, list[tuple[int, str, int]], int]:
    """(efficiency, wasted bytes, every wasted (total, path, layers) largest first, the bytes that
    whiteouts of folders added) for layers of (path, size, kind) entries listed base first."""
    folder_whiteout_bytes = 0
    totals: dict[str, list[int]] = {}  # path -> [cumulative size, smallest size, leaf count]
    stacked: dict[str, tuple[int, bool]] = {}  # the tree of the layers below: path -> (size, is_dir)
    for entries in layers:
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
                    folder_whiteout_bytes += size
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
    minimum = sum(t[1] for t in totals.values())
    discovered = sum(t[0] for t in totals.values())
    efficiency = 1.0 if discovered == 0 else minimum / discovered
    wasted = sorted(((t[0], path, t[2]) for path, t in totals.items() if t[2] >= 2), key=lambda w: (-w[0], w[1]))
    return efficiency, sum(w[0] for w in wasted), wasted, folder_whiteout_bytes
