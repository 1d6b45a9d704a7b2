"""Budgets + baseline + measured figures → verdicts. Pure functions, no I/O.

A figure fails when it is beyond its absolute limit. It regresses when, against a baseline from
the same machine, it is beyond baseline × (1 ± tolerance) *and*, for noisy figures, its
confidence interval lies wholly on the worse side of the baseline, so a noisy but unchanged
program does not cry wolf. Near a threshold (the interval straddles it) the engine first takes
more samples (`undecided`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lightprof.errors import EXIT_BUDGET, EXIT_OK
from lightprof.measure.figures import Figure
from lightprof.result import BudgetRow

Baselines = Mapping[str, Mapping[str, float]]


def _worse(value: float, than: float, higher_is_better: bool) -> bool:
    return value < than if higher_is_better else value > than


def regression_threshold(figure: Figure, baseline: float) -> float:
    factor = (1 - figure.tolerance) if figure.higher_is_better else (1 + figure.tolerance)
    return baseline * factor


def judge_figure(figure: Figure, baseline: float | None, line: int | None = None) -> BudgetRow:
    """One verdict: pass, fail, regression or unmeasured."""
    delta = None
    if baseline is not None and figure.measured is not None and baseline != 0:
        delta = (figure.measured - baseline) / baseline
    row = BudgetRow(
        subject=figure.subject, metric=figure.metric, limit=figure.limit, measured=figure.measured,
        baseline=baseline, delta=delta, verdict="pass", unit=figure.unit, kind=figure.kind,
        higher_is_better=figure.higher_is_better, measured_ci=figure.ci, note=figure.note, line=line,
    )
    if figure.forced_verdict is not None:
        row.verdict = figure.forced_verdict
        return row
    if figure.measured is None:
        row.verdict = "unmeasured"
        return row
    if figure.limit is not None and _worse(figure.measured, figure.limit, figure.higher_is_better):
        row.verdict = "fail"
        return row
    if baseline is not None:
        threshold = regression_threshold(figure, baseline)
        beyond = _worse(figure.measured, threshold, figure.higher_is_better)
        if beyond and figure.ci is not None:
            # The whole interval must be worse than the baseline itself: noise alone is not enough.
            near_edge = figure.ci[1] if figure.higher_is_better else figure.ci[0]
            beyond = _worse(near_edge, baseline, figure.higher_is_better)
            if not beyond:
                row.note = (row.note + " " if row.note else "") + "beyond tolerance but within noise of the baseline"
        if beyond:
            row.verdict = "regression"
    return row


def undecided(figure: Figure, baseline: float | None) -> bool:
    """True when the figure's confidence interval straddles its limit or regression threshold."""
    if figure.ci is None or figure.measured is None:
        return False
    low, high = figure.ci
    edges = []
    if figure.limit is not None:
        edges.append(figure.limit)
    if baseline is not None:
        edges.append(regression_threshold(figure, baseline))
    return any(low <= edge <= high for edge in edges)


def judge(
    figures: Iterable[Figure],
    baselines: Baselines | None,
    lines: Mapping[tuple[str, str], int] | None = None,
) -> list[BudgetRow]:
    rows = []
    for figure in figures:
        base = (baselines or {}).get(figure.subject, {}).get(figure.metric)
        rows.append(judge_figure(figure, base, (lines or {}).get((figure.subject, figure.metric))))
    return rows


def exit_code(rows: Iterable[BudgetRow]) -> int:
    """1 when any budget fails or regresses, else 0 (unmeasured subjects are exit 3, decided by the session)."""
    return EXIT_BUDGET if any(r.verdict in ("fail", "regression") for r in rows) else EXIT_OK
