"""Wasted bytes and efficiency of an image's layers, exactly as dive defines them.

dive (filetree/efficiency.go) looks only at the leaves of each layer's tree: entries with no
children in that layer, a whiteout `.wh.NAME` standing for NAME. Every leaf adds its size to its
path's running total; a whiteout of a directory adds the sizes of everything under that directory in
the layers below, a whiteout of a file adds 0. Wasted bytes = the totals of every path that is a
leaf in two or more layers; efficiency = Σ smallest size seen per path ÷ Σ totals (1.0 when empty).

Opaque markers (`.wh..wh..opq`) hide a directory's lower contents; they are applied to the stacked
tree but are not leaves themselves (dive would fail to find the path they name).

How, in memory bounded by the depth of the tree rather than its size: the entries of all layers
come back from a RunSpool sorted by path, so a path's records from every layer arrive together and
its subtree follows it. The walk keeps only the current path's ancestors (a stack of frames), which
is all the definitions need: a path is a leaf in layer i unless its subtree has a record in layer i;
what the stacked tree held at a path below layer i follows from the path's own records, its
ancestors' deletions and whether its subtree added anything (a folder made implicitly); and a
folder's whiteout adds what its subtree held below that layer, summed while the subtree passes.
Layers are bits of int masks. tests/dive_reference.py is the definitions written out with dicts
of every path; the tests compare the two on random images.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

from lightprof.measure.images.diveruns import Record, RunSpool
from lightprof.measure.images.layertar import DIR, FILE, OPAQUE, WHITEOUT, key_of, path_of
from lightprof.model.sizes import WastedPath


@dataclass
class DiveFigures:
    efficiency: float
    wasted_bytes: int
    wasted: list[WastedPath] = field(default_factory=list)  # the largest `top`, largest first
    wasted_paths: int = 0  # how many paths are wasted in all


class _Frame:
    """A path with records whose subtree is being walked."""

    __slots__ = ("key", "prefix", "records", "adds", "removed", "removes_below", "below_nodes", "below_adds",
                 "sums")

    def __init__(self, key: str, records: dict[int, tuple[int, str]], adds: int, removed: int,
                 removes_below: int) -> None:
        self.key = key
        self.prefix = key + "\0" if key else ""  # the root ("", a `.wh.` at the top) is above everything
        self.records = records  # layer -> (size, kind), the last one listed in that layer
        self.adds = adds  # layers where the path itself is added (not a whiteout or opaque marker)
        self.removed = removed  # layers whose deletions hit the path itself
        self.removes_below = removes_below  # layers whose deletions hit everything below the path
        self.below_nodes = 0  # layers where something below has a record
        self.below_adds = 0  # layers where something below is added
        self.sums: list[list[int]] = []  # [layer, bytes] per whiteout of this path: what it deletes


def _held_below(records: dict[int, tuple[int, str]], adds: int, removed: int, layer: int) -> int:
    """The bytes the stacked tree held at this path just below `layer`: the size of its last add
    before `layer`, unless a deletion came after it (an implicit folder holds 0)."""
    before = adds & ((1 << layer) - 1)
    if not before:
        return 0
    last = before.bit_length() - 1
    if removed >> (last + 1) & ((1 << (layer - last - 1)) - 1):
        return 0
    return records[last][0]


def _folder_below(frame: _Frame, layer: int) -> bool:
    """Whether the stacked tree held a folder at this path just below `layer`: replayed layer by
    layer, deletions first, then an add, or an implicit folder where something below was added."""
    if not frame.key:
        return False  # the root is never a node of the stacked tree
    is_dir: bool | None = None
    for i in range(layer):
        if frame.removed >> i & 1:
            is_dir = None
        if frame.adds >> i & 1:
            is_dir = frame.records[i][1] == DIR
        elif frame.below_adds >> i & 1 and is_dir is None:
            is_dir = True
    return bool(is_dir)


class Analysis:
    """dive's figures, fed one layer at a time (base first); entries are spooled, not held."""

    def __init__(self) -> None:
        self.spool = RunSpool()

    def add(self, entries: list[tuple[str, int, str]]) -> None:
        """Entries (key, size, kind) of the current layer, in the order the tar lists them (as
        LayerListing hands them over)."""
        self.spool.add(entries)

    def end_layer(self) -> None:
        self.spool.end_layer()

    def finish(self, top: int | None = None) -> DiveFigures:
        """The figures; `wasted` lists the `top` largest wasted paths (all when None)."""
        try:
            walk = _Walk(self.spool.run_layers, top)
            walk.run(self.spool.merged())
        finally:
            self.close()
        return walk.figures()

    def close(self) -> None:
        """Drop the spool (its temporary file, if it needed one)."""
        self.spool.close()


class _Walk:
    def __init__(self, run_layers: list[int], top: int | None) -> None:
        self.run_layers = run_layers
        self.top = top
        self.stack: list[_Frame] = []
        self.open_sums: list[list[int]] = []  # the sums of the whiteouts on the stack, outermost first
        self.smallest = 0
        self.discovered = 0
        self.wasted_bytes = 0
        self.wasted_paths = 0
        self.candidates: list[tuple[int, str, int]] = []  # (total, path, layers): the largest kept
        self.cutoff = -1  # totals below this cannot enter the `top` any more

    def run(self, batches: Iterable[list[Record]]) -> None:
        """Walk the records (in key order); the common case is done in line, the rest by _settle."""
        run_layers, stack = self.run_layers, self.stack
        deletions = (WHITEOUT, OPAQUE)
        key: str | None = None  # the path whose records are being gathered
        layer = size = 0
        kind = FILE
        found: dict[int, tuple[int, str]] | None = None  # its records, once it has two
        deletes = False  # whether one of them is a whiteout or an opaque marker
        smallest = discovered = 0
        siblings = 0  # layers of the plain leaves just passed: nodes and adds for stack[-1]
        for batch in batches:
            for next_key, run, next_size, next_kind in batch:
                if next_key == key:
                    if found is None:
                        found = {layer: (size, kind)}
                        deletes = kind in deletions
                    found[run_layers[run]] = (next_size, next_kind)  # listed again in a layer: the last wins
                    deletes = deletes or next_kind in deletions
                    continue
                if key is not None:
                    if key and not self.open_sums and not next_key.startswith(key + "\0"):
                        # The common case, in line: nothing below the path, no deletion above it to
                        # sum into, no whiteout or opaque marker of its own: every record is a leaf.
                        if found is None:
                            if kind not in deletions:
                                smallest += size
                                discovered += size
                                siblings |= 1 << layer
                                key = None
                        elif not deletes:
                            total, least = 0, -1
                            for seen, (seen_size, _kind) in found.items():
                                total += seen_size
                                least = seen_size if least < 0 or seen_size < least else least
                                siblings |= 1 << seen
                            smallest += least
                            discovered += total
                            if len(found) >= 2:
                                self._wasted(total, key, len(found))
                            key = None
                    if key is not None:
                        siblings = self._flush_siblings(siblings)
                        self._settle(key, found or {layer: (size, kind)}, next_key)
                if stack and not next_key.startswith(stack[-1].prefix):
                    siblings = self._flush_siblings(siblings)
                    while stack and not next_key.startswith(stack[-1].prefix):
                        self._close(stack.pop(), pushed=True)
                key, layer, size, kind, found = next_key, run_layers[run], next_size, next_kind, None
        self._flush_siblings(siblings)
        if key is not None:
            self._settle(key, found or {layer: (size, kind)}, None)
        while stack:
            self._close(stack.pop(), pushed=True)
        self.smallest += smallest
        self.discovered += discovered

    def _flush_siblings(self, layers: int) -> int:
        """Tell the innermost open path which layers the leaves below it were in; 0 to restart."""
        if self.stack and layers:
            self.stack[-1].below_nodes |= layers
            self.stack[-1].below_adds |= layers
        return 0

    def _settle(self, key: str, records: dict[int, tuple[int, str]], next_key: str | None) -> None:
        """The path's records are all in: work out its deletions, add what it holds to the open
        whiteout sums, then walk its subtree (push it) or close it if it has none."""
        adds = whiteouts = opaque = 0
        for layer, (_size, kind) in records.items():
            if kind == WHITEOUT:
                whiteouts |= 1 << layer
            elif kind == OPAQUE:
                opaque |= 1 << layer
            else:
                adds |= 1 << layer
        above = self.stack[-1].removes_below if self.stack else 0
        frame = _Frame(key, records, adds, above | whiteouts, above | whiteouts | opaque)
        for entry in self.open_sums:  # what this path held is deleted by a whiteout above it
            entry[1] += _held_below(records, adds, frame.removed, entry[0])
        for layer in records:
            if whiteouts >> layer & 1:
                frame.sums.append([layer, _held_below(records, adds, frame.removed, layer)])
        if next_key is not None and next_key.startswith(frame.prefix):
            self.stack.append(frame)
            self.open_sums.extend(frame.sums)
        else:
            self._close(frame, pushed=False)

    def _close(self, frame: _Frame, *, pushed: bool) -> None:
        """The subtree has passed: the path's leaves are known, its totals final."""
        if pushed and frame.sums:
            del self.open_sums[-len(frame.sums):]
        sums = {layer: total for layer, total in frame.sums}
        total = count = 0
        smallest: int | None = None
        for layer, (size, kind) in frame.records.items():
            if kind == OPAQUE or (frame.key and frame.below_nodes >> layer & 1):
                continue  # an opaque marker, or a folder with something in it in this layer: no leaf
            if kind == WHITEOUT:
                size = sums[layer] if _folder_below(frame, layer) else 0
            total += size
            count += 1
            smallest = size if smallest is None or size < smallest else smallest
        if smallest is not None:
            self.smallest += smallest
            self.discovered += total
            if count >= 2:
                self._wasted(total, frame.key, count)
        if self.stack:
            parent = self.stack[-1]
            parent.below_nodes |= frame.below_nodes
            parent.below_adds |= frame.below_adds | frame.adds
            for layer in frame.records:
                parent.below_nodes |= 1 << layer

    def _wasted(self, total: int, key: str, layers: int) -> None:
        self.wasted_bytes += total
        self.wasted_paths += 1
        if total < self.cutoff:
            return
        self.candidates.append((total, path_of(key), layers))
        if self.top is not None and len(self.candidates) >= 2 * self.top + 64:
            self.candidates = self._largest()
            full = self.candidates and len(self.candidates) == self.top
            self.cutoff = self.candidates[-1][0] if full else -1

    def _largest(self) -> list[tuple[int, str, int]]:
        key = lambda item: (-item[0], item[1])  # noqa: E731
        if self.top is None:
            return sorted(self.candidates, key=key)
        return heapq.nsmallest(self.top, self.candidates, key=key)

    def figures(self) -> DiveFigures:
        efficiency = 1.0 if self.discovered == 0 else self.smallest / self.discovered
        wasted = [WastedPath("/" + path, total, layers) for total, path, layers in self._largest()]
        return DiveFigures(efficiency, self.wasted_bytes, wasted, self.wasted_paths)


def analyse(layers: list[list[tuple[str, int, str]]], top: int | None = None) -> DiveFigures:
    """dive's efficiency, wasted bytes and inefficient paths for layers of (path, size, kind)
    entries listed base first."""
    analysis = Analysis()
    for entries in layers:
        analysis.add([(key_of(path), size, kind) for path, size, kind in entries])
        analysis.end_layer()
    return analysis.finish(top)
