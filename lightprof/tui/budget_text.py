"""A budget limit as the text a user types and a profile holds, for every kind of budget."""

from __future__ import annotations

from lightprof.profile import TARGET_BUDGETS
from lightprof.profile_writer import budget_text


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
    from lightprof.profile import RATIO_BUDGETS, TIME_BUDGETS

    base = metric.split("@", 1)[0]
    if base in TIME_BUDGETS:
        return "duration"
    if base in RATIO_BUDGETS or base == "efficiency":
        return "ratio"
    if base == "ops_per_cpu_s":
        return "number"
    return "size"
