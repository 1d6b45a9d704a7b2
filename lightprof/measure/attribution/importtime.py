"""`-X importtime` output → an import tree, and several starts → one tree of medians.

CPython writes one line per import when it completes, children before their parent, indented two
spaces per level below the top:

    import time: self [us] | cumulative | imported package
    import time:       125 |        125 |       _json
    import time:       152 |       1080 | json

The interpreter's own start-up imports come first, up to and including `site` (whose children are
the .pth files' imports); without `site` (python -S) they are the frozen and encoding modules the
interpreter loads before running anything. Everything after them is the target's.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from lightprof.model.attribution import ImportRow

_LINE = re.compile(r"^import time:\s*(\d+)\s*\|\s*(\d+)\s*\|( *)(\S+)\s*$")
# What the interpreter imports before site (or before the program, with -S).
_PRE_SITE = frozenset({
    "_io", "marshal", "posix", "nt", "winreg", "_frozen_importlib_external", "time", "zipimport", "_codecs",
    "codecs", "encodings.aliases", "encodings", "encodings.utf_8", "encodings.latin_1", "encodings.ascii",
    "_signal", "_abc", "abc", "io", "_stat", "stat", "_collections_abc", "genericpath", "posixpath", "os",
    "_sitebuiltins", "_locale", "_bootlocale",
})


@dataclass
class Row:
    """One import line of one start."""

    module: str
    self_us: int
    cumulative_us: int
    depth: int
    parent: str | None = None
    startup: bool = False


def parse(text: str) -> list[Row]:
    """The import lines of `text` (anything else, such as the target's own stderr, is skipped),
    in the order written, each with its parent and whether it belongs to the interpreter's start-up."""
    rows: list[Row] = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        self_us, cumulative_us, indent, module = match.groups()
        rows.append(Row(module, int(self_us), int(cumulative_us), max(0, (len(indent) - 1) // 2)))
    _link_parents(rows)
    _mark_startup(rows)
    return rows


def _link_parents(rows: list[Row]) -> None:
    """A row's children are the rows one level deeper written since the last row at its level."""
    waiting: dict[int, list[Row]] = {}
    for row in rows:
        for child in waiting.pop(row.depth + 1, []):
            child.parent = row.module
        waiting.setdefault(row.depth, []).append(row)


def _mark_startup(rows: list[Row]) -> None:
    tops = [i for i, row in enumerate(rows) if row.depth == 0]
    end = -1
    site = [i for i in tops if rows[i].module == "site"]
    if site:
        end = site[0]
    else:
        for i in tops:
            if rows[i].module not in _PRE_SITE:
                break
            end = i
    for row in rows[: end + 1]:
        row.startup = True


def merge(starts: list[list[Row]]) -> list[ImportRow]:
    """One row per module: the median of its times over the starts it appeared in, sorted by self time.

    A module named twice in one start (a failed import retried, such as `nt` on Linux) counts once
    with the times added up.
    """
    seen: dict[str, list[Row]] = {}
    for rows in starts:
        once: dict[str, Row] = {}
        for row in rows:
            if row.module in once:
                first = once[row.module]
                first.self_us += row.self_us
                first.cumulative_us += row.cumulative_us
            else:
                once[row.module] = Row(row.module, row.self_us, row.cumulative_us, row.depth, row.parent, row.startup)
        for module, row in once.items():
            seen.setdefault(module, []).append(row)
    merged = [
        ImportRow(
            module=module,
            self_s=statistics.median(r.self_us for r in rows) / 1e6,
            cumulative_s=statistics.median(r.cumulative_us for r in rows) / 1e6,
            parent=rows[0].parent,
            depth=rows[0].depth,
            startup=rows[0].startup,
            runs=len(rows),
        )
        for module, rows in seen.items()
    ]
    merged.sort(key=lambda row: (-row.self_s, row.module))
    return merged


def _own_totals(starts: list[list[Row]]) -> list[float]:
    return [sum(r.cumulative_us for r in rows if r.depth == 0 and not r.startup) / 1e6 for rows in starts if rows]


def own_import_time(starts: list[list[Row]]) -> float | None:
    """The median over starts of the target's own imports: the sum of its top-level rows' cumulative times."""
    totals = _own_totals(starts)
    return statistics.median(totals) if totals else None


def own_import_range(starts: list[list[Row]]) -> tuple[float, float] | None:
    """The smallest and largest of those sums: with 5 starts, a 94% interval for their median
    (distribution-free: the median lies outside it only when all 5 fall on one side, 2 × 2⁻⁵)."""
    totals = _own_totals(starts)
    return (min(totals), max(totals)) if len(totals) >= 2 else None


def startup_time(starts: list[list[Row]]) -> float | None:
    totals = [sum(r.cumulative_us for r in rows if r.depth == 0 and r.startup) for rows in starts if rows]
    return statistics.median(totals) / 1e6 if totals else None


def forbidden(imports: list[ImportRow], names: tuple[str, ...]) -> list[str]:
    """The imported modules that a `forbid_imports` entry names: the module itself or one inside it."""
    return sorted(
        row.module for row in imports
        if any(row.module == name or row.module.startswith(name + ".") for name in names)
    )
