"""Budget rows as the TUI shows them: which budgets can be edited, their limits as text, and a
budget whose subject is not measured yet (a planned row: no verdict)."""

from __future__ import annotations

from dataclasses import dataclass

from lightprof.model.verdict import BudgetRow
from lightprof.profile.spec import RATIO_BUDGETS, TARGET_BUDGETS, TIME_BUDGETS
from lightprof.profile.write import budget_text

# The budgets a user can edit per kind of subject: metric (as the Budgets table names it, before
# any "@size") → the spec field that holds its limit. A kernel's wasm_vs_fallback limit is its
# fallback's time, measured, so it is not editable.
EDITABLE: dict[str, dict[str, str]] = {
    "artifact": {"size": "budget"},
    "image": {"size": "budget", "size_compressed": "budget_compressed", "wasted_bytes": "wasted_max",
              "efficiency": "efficiency_min"},
    "kernel": {"ops_per_cpu_s": "ops_per_cpu_s"},
}
UNITS = {"efficiency": "ratio", "ops_per_cpu_s": "ops_per_cpu_s"}  # else bytes, for non-targets


@dataclass(frozen=True)
class PlannedBudget:
    """A budget of the profile whose subject has not been measured in this session: no verdict."""

    subject: str
    metric: str
    limit: float | None
    unit: str
    kind: str
    measured: None = None
    baseline: float | None = None
    delta: None = None
    verdict: None = None
    note: str = ""


Row = BudgetRow | PlannedBudget


def editable(kind: str | None, metric: str) -> str | None:
    """None when a budget of this kind of subject can be edited, else the reason it cannot."""
    base = metric.split("@", 1)[0]
    if kind == "target":
        return None if base in TARGET_BUDGETS else f"{metric} is not a budget of its own"
    if kind in EDITABLE and base in EDITABLE[kind]:
        return None
    if base == "wasm_vs_fallback":
        return "its limit is the fallback's time, measured with it: set justification in the profile to keep it"
    return f"{metric} is a rule of the profile, not a budget with a limit"


def limit_text(metric: str, value: float) -> str:
    """"250ms", "80MiB", "90%", "500" for a metric as the Budgets table names it."""
    base = metric.split("@", 1)[0]
    if base in TARGET_BUDGETS:
        return budget_text(base, value)
    if base == "efficiency":
        return f"{value * 100:g}%"
    if base == "ops_per_cpu_s":
        return f"{value:g}"
    return budget_text("rss_peak", value)  # a size


def limit_kind(metric: str) -> str:
    """What the edit dialog parses: "duration", "size", "ratio" or "number"."""
    base = metric.split("@", 1)[0]
    if base in TIME_BUDGETS:
        return "duration"
    if base in RATIO_BUDGETS or base == "efficiency":
        return "ratio"
    if base == "ops_per_cpu_s":
        return "number"
    return "size"
