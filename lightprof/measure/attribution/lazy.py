"""Lazy-load candidates: modules imported on the way to ready whose code did not run before ready.

A module with everything its import imported (its subtree in the import tree) is a candidate when
no sample shows code of that subtree running outside the subtree's own import: its import body
calling its own helpers, or one of its submodules calling another while they load, is not use;
the program (or a module outside the subtree) calling into it is. Such a module could be imported
where it is first used; what that saves is its cumulative import time. The walk starts at the
target's top-level imports and names the highest such module, so a package is named once, not with
each of its submodules. It goes below a used module only when that module is the program's own
code (not the standard library's or an installed package's): what a library imports for itself is
not the program's to defer.

Samples see what runs for about a sampling interval or longer: a call of a few microseconds can go
unseen, which is why candidates below `MIN_SAVING_S` are not named.
"""

from __future__ import annotations

import re

from lightprof.measure.attribution.speedscope import Samples
from lightprof.model.attribution import ImportRow, LazyCandidate

MIN_SAVING_S = 0.002


_LIBRARY = re.compile(r"/(site-packages|dist-packages)/|/lib/python\d+\.\d+/|^<")


def _owner(file: str, modules: list[str]) -> str | None:
    """The import row a source file is the code of (the most specific module that matches)."""
    file = file.replace("\\", "/")
    best = None
    for module in modules:
        path = module.replace(".", "/")
        if (file.endswith((f"/{path}.py", f"/{path}/__init__.py")) or file in (f"{path}.py", f"{path}/__init__.py")) \
                and (best is None or len(module) > len(best)):
            best = module
    return best


def candidates(
    imports: list[ImportRow], samples: Samples, *, min_saving_s: float = MIN_SAVING_S
) -> list[LazyCandidate]:
    """The target's imports that could wait until first use, by what each would save, most first."""
    rows = [row for row in imports if not row.startup]
    names = [row.module for row in rows]
    owners = {frame.file: _owner(frame.file, names) for frame in samples.frames if frame.file}
    files_of: dict[str, set[str]] = {}
    for file, module in owners.items():
        if module is not None:
            files_of.setdefault(module, set()).add(file)
    # Each running function's module, with the modules whose import was in progress around it.
    uses: set[tuple[str, frozenset[str]]] = set()
    for stack, _ in samples.stacks:
        importing: set[str] = set()
        for index in stack:  # root first
            frame = samples.frames[index]
            module = owners.get(frame.file)
            if frame.name == "<module>":
                if module is not None:
                    importing.add(module)
            elif module is not None:
                uses.add((module, frozenset(importing)))
    children: dict[str | None, list[ImportRow]] = {}
    for row in rows:
        children.setdefault(row.parent if row.depth else None, []).append(row)

    def subtree(row: ImportRow) -> set[str]:
        found, todo = set(), [row]
        while todo:
            current = todo.pop()
            found.add(current.module)
            todo.extend(children.get(current.module, []))
        return found

    def used(row: ImportRow) -> bool:
        tree = subtree(row)
        return any(module in tree and not importing & tree for module, importing in uses)

    def own_code(row: ImportRow) -> bool:
        return any(not _LIBRARY.search(file) for file in files_of.get(row.module, ()))

    found: list[LazyCandidate] = []
    todo = list(children.get(None, []))
    while todo:
        row = todo.pop()
        if not used(row):
            if row.cumulative_s >= min_saving_s:
                found.append(LazyCandidate(row.module, row.cumulative_s))
        elif own_code(row):
            todo.extend(children.get(row.module, []))
    found.sort(key=lambda c: (-c.saves_s, c.module))
    return found
