"""Budgets suggested from what was measured: the figure plus a headroom, rounded up.

Pure functions (no Textual) so that the budgets pane and its tests share one rule.
"""

from __future__ import annotations

import math

from lightprof.model.target import TargetResult
from lightprof.profile.spec import TIME_BUDGETS

MIB = 1024 * 1024
KIB = 1024


def measured_value(target: TargetResult, metric: str) -> float | None:
    """The measured figure a target budget metric compares against, if it was measured."""
    summary = target.cold_start_s
    if metric in TIME_BUDGETS:
        if summary is None or summary.n == 0:
            return None
        return {
            "cold_start_p50": summary.p50,
            "cold_start_p95": summary.p95,
            "cold_start_p99": summary.p99,
            "cold_start_mean": summary.mean,
        }[metric]
    memory = target.memory
    if memory is None:
        return None
    if metric == "rss_steady":
        return None if memory.steady_rss_bytes is None else float(memory.steady_rss_bytes)
    if metric == "rss_peak":
        return None if memory.peak_rss_bytes is None else float(memory.peak_rss_bytes)
    raise KeyError(metric)


def round_up(metric: str, value: float) -> float:
    """Round a limit up to a figure people write: whole ms (0.1 ms below 10 ms), whole MiB/KiB."""
    if metric in TIME_BUDGETS:
        step = 1e-3 if value >= 0.01 else 1e-4
        return math.ceil(round(value / step, 6)) * step
    step = MIB if value >= MIB else KIB
    return float(math.ceil(value / step) * step)


# p95 is the figure CI gates (p50 moves too little to catch a slow tail); for memory the peak is
# always known, the steady figure only for held servers.
SUGGESTED_METRICS = ("cold_start_p95", "rss_peak", "rss_steady")


def suggest_budgets(target: TargetResult, headroom: float) -> dict[str, float]:
    """Limits for p95 and RSS (peak; steady when known): measured × (1 + headroom), rounded up."""
    out: dict[str, float] = {}
    for metric in SUGGESTED_METRICS:
        value = measured_value(target, metric)
        if value is None or value <= 0:
            continue
        out[metric] = round_up(metric, value * (1 + headroom))
    return out


__all__ = ["measured_value", "round_up", "suggest_budgets"]
