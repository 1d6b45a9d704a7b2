"""Lazy-load candidates: modules imported on the way to ready whose code did not run before ready.

A module's code "ran" when a sample shows one of its functions outside its own import, that is with
no `<module>` frame of the same file below it on the stack: its import body calling its own helpers
does not count, another module (or the program) calling it does. Such a module, and the subtree
it imported, could be imported where it is first used; what that saves is its cumulative import
time. The walk starts at the target's top-level imports and names the highest module that is
unused with everything below it, so a package is named once, not with each of its submodules.

Samples see what runs for about a sampling interval or longer: a call of a few microseconds can go
unseen, which is why candidates below `MIN_SAVING_S` are not named.
"""

from __future__ import annotations

from lightprof.measure.attribution.speedscope import Samples
from lightprof.model.attribution import ImportRow, LazyCandidate

MIN_SAVING_S = 0.002


def files_run(samples: Samples) -> set[str]:
    """The source files whose functions ran outside their own module's import."""
    used: set[str] = set()
    for stack, _ in samples.stacks:
        importing: set[str] = set()
        for index in stack:  # root first
            frame = samples.frames[index]
            if frame.name == "<module>":
                importing.add(frame.file)
            elif frame.file not in importing:
                used.add(frame.file.replace("\\", "/"))
    return used


def _module_ran(module: str, used: set[str]) -> bool:
    path = module.replace(".", "/")
    endings = (f"/{path}.py", f"/{path}/__init__.py")
    inside = f"/{path}/"
    return any(file.endswith(endings) or inside in file or file in (endings[0][1:], endings[1][1:]) for file in used)


def candidates(
    imports: list[ImportRow], samples: Samples, *, min_saving_s: float = MIN_SAVING_S
) -> list[LazyCandidate]:
    """The target's imports that could wait until first use, by what each would save, most first."""
    used = files_run(samples)
    children: dict[str | None, list[ImportRow]] = {}
    for row in imports:
        if not row.startup:
            children.setdefault(row.parent if row.depth else None, []).append(row)
    ran: dict[str, bool] = {}

    def subtree_ran(row: ImportRow) -> bool:
        if row.module not in ran:
            ran[row.module] = _module_ran(row.module, used) or any(
                subtree_ran(child) for child in children.get(row.module, [])
            )
        return ran[row.module]

    found: list[LazyCandidate] = []
    stack = list(children.get(None, []))
    while stack:
        row = stack.pop()
        if not subtree_ran(row):
            if row.cumulative_s >= min_saving_s:
                found.append(LazyCandidate(row.module, row.cumulative_s))
        else:
            stack.extend(children.get(row.module, []))
    found.sort(key=lambda c: (-c.saves_s, c.module))
    return found
