"""The tab bar's labels for the width it has: the whole bar always shows, no label is cut.

Eight panes' full titles take 86 cells; a narrower bar gets short titles, and a very narrow one
(the 60-column terminal) the active pane's full title with the others' keys alone.
"""

from __future__ import annotations

FULL = {"tab-coldstart": "1 Cold start", "tab-memory": "2 Memory", "tab-budgets": "3 Budgets",
        "tab-sizes": "4 Sizes", "tab-kernels": "5 Kernels", "tab-paths": "6 Paths", "tab-ab": "7 A/B",
        "tab-attribution": "8 Attribution"}
SHORT = {"tab-coldstart": "1 Cold", "tab-memory": "2 Mem", "tab-budgets": "3 Budgets", "tab-sizes": "4 Sizes",
         "tab-kernels": "5 Kernels", "tab-paths": "6 Paths", "tab-ab": "7 A/B", "tab-attribution": "8 Attr"}
PADDING = 2  # a tab's own padding, one cell either side


def bar_width(labels: dict[str, str]) -> int:
    return sum(len(label) + PADDING for label in labels.values())


def tab_labels(width: int, active: str) -> dict[str, str]:
    """Each tab's label in a bar `width` cells wide with `active` the pane shown."""
    if bar_width(FULL) <= width:
        return dict(FULL)
    if bar_width(SHORT) <= width:
        return dict(SHORT)
    return {tab: title if tab == active else title.split()[0] for tab, title in FULL.items()}
