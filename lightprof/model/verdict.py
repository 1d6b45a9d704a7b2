"""The verdict of one budget, and the row that carries it into every report."""

from __future__ import annotations

from dataclasses import dataclass

VERDICTS = ("pass", "fail", "regression", "inconclusive", "unmeasured")


@dataclass
class BudgetRow:
    """One budget judged: the limit, what was measured, the baseline and the verdict."""

    subject: str
    metric: str
    limit: float | None
    measured: float | None
    baseline: float | None
    delta: float | None
    verdict: str
    unit: str = "s"
    kind: str = "target"
    higher_is_better: bool = False
    measured_ci: tuple[float, float] | None = None
    note: str = ""
    line: int | None = None
    # With a comparison (--base, against, a baseline with its sample): the ratio that was judged
    # (drift-corrected against a stored baseline) and its interval; `delta` stays measured/baseline - 1.
    ratio: float | None = None
    ratio_ci: tuple[float, float] | None = None
    # Whether this row's verdict fails the build (an inconclusive check fails only with
    # inconclusive = "fail").
    fails_build: bool = False
