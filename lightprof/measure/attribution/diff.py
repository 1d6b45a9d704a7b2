"""With --base: the imports that got slower, or appeared, between the base revision and the head.

Import times are medians of a few starts each, so a change counts only when it is large both
relatively and absolutely; a module new in the head is named whatever it costs, the costliest first.
"""

from __future__ import annotations

from lightprof.model.attribution import ImportChange, ImportRow

SLOWER_RATIO = 1.2
SLOWER_BY_S = 0.001
NEW_AT_LEAST_S = 0.0001


def import_changes(head: list[ImportRow], base: list[ImportRow]) -> list[ImportChange]:
    """Modules the head imports slower (self time +20% and +1 ms) or that only the head imports; by cost."""
    before = {row.module: row for row in base if not row.startup}
    changes: list[ImportChange] = []
    for row in head:
        if row.startup:
            continue
        old = before.get(row.module)
        if old is None:
            if row.cumulative_s >= NEW_AT_LEAST_S:
                changes.append(ImportChange(row.module, "new", row.self_s))
        elif row.self_s > old.self_s * SLOWER_RATIO and row.self_s - old.self_s >= SLOWER_BY_S:
            changes.append(ImportChange(row.module, "slower", row.self_s, old.self_s))
    changes.sort(key=lambda c: (-(c.head_s - (c.base_s or 0.0)), c.module))
    return changes
