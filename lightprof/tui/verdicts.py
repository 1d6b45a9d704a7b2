"""One colour and one mark per verdict, the same as the headless table's (regression is red).

Beside the five verdicts, the subject list shows states that are not verdicts: a subject running,
measured without a budget, or not measured yet.
"""

from __future__ import annotations

from collections.abc import Iterable

from lightprof.report.table import _COLOURS as TABLE_COLOURS

_ANSI_TO_RICH = {"31": "red", "32": "green", "33": "yellow"}
# Worst first: a subject shows the worst verdict among its budgets.
VERDICT_ORDER = ("fail", "regression", "unmeasured", "inconclusive", "pass")
VERDICT_STYLE = {verdict: f"bold {_ANSI_TO_RICH[TABLE_COLOURS[verdict]]}" for verdict in VERDICT_ORDER}
VERDICT_MARK = {"pass": "✓", "fail": "✗", "regression": "▲", "inconclusive": "~", "unmeasured": "?"}
# States of a subject that are not verdicts.
STATE_MARK = {"running": "▶", "measured": "•", "idle": "·"}
STATE_STYLE = {"running": "bold cyan", "measured": "", "idle": "dim"}


def mark(state: str) -> tuple[str, str]:
    """(mark, style) of a verdict or a state."""
    if state in VERDICT_MARK:
        return VERDICT_MARK[state], VERDICT_STYLE[state]
    return STATE_MARK.get(state, " "), STATE_STYLE.get(state, "")


def worst_verdict(verdicts: Iterable[str]) -> str:
    """The worst of some verdicts (at least one is given)."""
    given = set(verdicts)
    return next(v for v in VERDICT_ORDER if v in given)
