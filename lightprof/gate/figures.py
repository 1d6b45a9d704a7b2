"""The common currency between measures and the gate: one budgeted figure each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lightprof.model.target import Comparison


@dataclass(frozen=True)
class Figure:
    """A measured figure with its budget.

    `measured` None means the subject could not be measured. `ci` is a confidence interval for
    noisy figures (timings); exact figures (sizes) have none. `forced_verdict` lets a rule decide
    outright (e.g. "Wasm shipped without a kernel sample"), with `note` saying why.

    A timing figure of a target measured against a reference carries the target's `comparison`,
    the statistic it is (`stat`: "p50", "p95", ...) and the reference's own figure (`reference`,
    with --base and against; a stored baseline's comes from the baseline). A figure whose
    `measured` is a confidence bound (max_slowdown) carries its point `estimate`: over the limit
    with the estimate within it is inconclusive, not a failure.
    """

    subject: str
    metric: str
    measured: float | None
    limit: float | None
    unit: str  # "s", "bytes", "ratio", "ops_per_cpu_s", "count"
    kind: str = "target"
    higher_is_better: bool = False
    ci: tuple[float, float] | None = None
    tolerance: float = 0.10
    note: str = ""
    forced_verdict: str | None = None
    comparison: Comparison | None = None
    stat: str | None = None
    reference: float | None = None
    estimate: float | None = None
    inconclusive_fails: bool = False
