"""A target's budgeted figures: cold-start percentiles and tree memory."""

from __future__ import annotations

from lightprof.measure.figures import Figure
from lightprof.profile import TIME_BUDGETS, TargetSpec
from lightprof.result import TargetResult


def target_figures(spec: TargetSpec, result: TargetResult) -> list[Figure]:
    figures: list[Figure] = []
    summary = None if result.error else result.cold_start_s
    memory = None if result.error else result.memory
    for metric, limit in spec.budget.items():
        if metric in TIME_BUDGETS:
            stat = metric.removeprefix("cold_start_")
            measured = getattr(summary, stat) if summary else None
            ci = tuple(getattr(summary, f"{stat}_ci")) if summary else None
            figures.append(Figure(spec.name, metric, measured, limit, "s", ci=ci, tolerance=spec.tolerance))  # type: ignore[arg-type]
        elif metric == "rss_peak":
            measured = memory.peak_rss_bytes if memory else None
            figures.append(Figure(spec.name, metric, measured, limit, "bytes", tolerance=spec.tolerance))
        elif metric == "rss_steady":
            measured = memory.steady_rss_bytes if memory else None
            if measured is not None or memory is None:
                note = ""
            else:
                note = "no samples after ready: set hold (e.g. \"1s\") on a server target"
            figures.append(Figure(spec.name, metric, measured, limit, "bytes", tolerance=spec.tolerance, note=note))
    return figures
