"""Budgets + baseline + measured figures → verdicts. Pure functions, no I/O.

A figure fails when it is beyond its absolute limit. Whether it regressed depends on what it is
compared with:
- a reference measured in the same session (--base, against) or a stored baseline that kept its
  sample: the target's comparison decides (lightprof.gate.compare: the p50 ratio beyond tolerance with
  its whole interval above 1; p95 never alone);
- a stored baseline of one number (an older baseline, or an exact figure such as a size): beyond
  baseline × (1 ± tolerance); for a noisy figure the whole confidence interval must lie beyond
  that threshold, since one number says nothing of the baseline's own spread.
Near a threshold (the interval straddles it) the engine first takes more samples (`undecided`).
A check still undecided then is `inconclusive`: it warns, or fails with inconclusive = "fail".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lightprof.errors import EXIT_BUDGET, EXIT_OK
from lightprof.gate import compare
from lightprof.gate.figures import Figure
from lightprof.model.verdict import BudgetRow

Baselines = Mapping[str, Mapping[str, float]]


def _worse(value: float, than: float, higher_is_better: bool) -> bool:
    return value < than if higher_is_better else value > than


def regression_threshold(figure: Figure, baseline: float) -> float:
    factor = (1 - figure.tolerance) if figure.higher_is_better else (1 + figure.tolerance)
    return baseline * factor


def _add_note(row: BudgetRow, note: str) -> None:
    if note:
        row.note = f"{row.note} {note}".strip() if row.note else note


def judge_figure(figure: Figure, baseline: float | None, line: int | None = None) -> BudgetRow:
    """One verdict: pass, fail, regression, inconclusive or unmeasured."""
    reference = figure.reference if figure.reference is not None else baseline
    delta = None
    if reference is not None and figure.measured is not None and reference != 0:
        delta = (figure.measured - reference) / reference
    row = BudgetRow(
        subject=figure.subject, metric=figure.metric, limit=figure.limit, measured=figure.measured,
        baseline=reference, delta=delta, verdict="pass", unit=figure.unit, kind=figure.kind,
        higher_is_better=figure.higher_is_better, measured_ci=figure.ci, note=figure.note, line=line,
    )
    if figure.estimate is not None:  # a bound judged (max_slowdown): show the ratio it bounds
        row.ratio = 1 + figure.estimate
        row.ratio_ci = (1 + figure.ci[0], 1 + figure.ci[1]) if figure.ci is not None else None
    if figure.forced_verdict is not None:
        row.verdict = figure.forced_verdict
    elif figure.measured is None:
        row.verdict = "unmeasured"
    elif figure.limit is not None and _worse(figure.measured, figure.limit, figure.higher_is_better):
        within = figure.estimate is not None and not _worse(figure.estimate, figure.limit, figure.higher_is_better)
        row.verdict = "inconclusive" if within else "fail"
        if within:
            _add_note(row, "the estimate is within the budget but its interval is not, after max_runs/max_time")
    elif figure.comparison is not None and figure.stat is not None:
        comparison = figure.comparison
        row.ratio = compare.metric_ratio(comparison, figure.stat, figure.measured, reference)
        if figure.stat == "p50":
            row.ratio_ci = comparison.ratio_p50_ci
        row.verdict, note = compare.row_verdict(comparison, figure.stat, row.ratio)
        _add_note(row, note)
    elif reference is not None:
        threshold = regression_threshold(figure, reference)
        if figure.ci is None:
            beyond = _worse(figure.measured, threshold, figure.higher_is_better)
        else:
            # One number against a noisy figure: the whole interval must be beyond the threshold.
            near_edge = figure.ci[1] if figure.higher_is_better else figure.ci[0]
            beyond = _worse(near_edge, threshold, figure.higher_is_better)
            if not beyond and _worse(figure.measured, threshold, figure.higher_is_better):
                _add_note(row, "beyond tolerance but within noise of the baseline")
        if beyond:
            row.verdict = "regression"
    row.fails_build = row.verdict in ("fail", "regression") or (
        row.verdict == "inconclusive" and figure.inconclusive_fails
    )
    return row


def undecided(figure: Figure, baseline: float | None) -> bool:
    """True when the figure's confidence interval straddles its limit or regression threshold."""
    if figure.ci is None or figure.measured is None:
        return False
    low, high = figure.ci
    edges = []
    if figure.limit is not None:
        edges.append(figure.limit)
    if baseline is not None and figure.comparison is None:
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
    """1 when any budget fails, regresses or is inconclusive under inconclusive = "fail", else 0.

    Unmeasured budgets and subjects are exit 3, decided by the session.
    """
    return EXIT_BUDGET if any(r.fails_build for r in rows) else EXIT_OK
