"""The common currency between measures and the gate: one budgeted figure each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """A measured figure with its budget.

    `measured` None means the subject could not be measured. `ci` is a confidence interval for
    noisy figures (timings); exact figures (sizes) have none. `forced_verdict` lets a rule decide
    outright (e.g. "Wasm shipped without a kernel sample"), with `note` saying why.
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
