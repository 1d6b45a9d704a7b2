"""A target's budgeted figures: cold-start percentiles, tree memory, and the slowdown against a reference."""

from __future__ import annotations

from lightprof.gate.figures import Figure
from lightprof.model.target import TargetResult
from lightprof.profile.spec import TIME_BUDGETS, TargetSpec

NO_REFERENCE = (
    "max_slowdown compares with a reference: add against = \"another target\" to this target, "
    "run with --base REV, or record a baseline with --update-baseline"
)


def target_figures(spec: TargetSpec, result: TargetResult) -> list[Figure]:
    figures: list[Figure] = []
    summary = None if result.error else result.cold_start_s
    memory = None if result.error else result.memory
    comparison = None if result.error else result.comparison
    fails = spec.inconclusive == "fail"
    for metric, limit in spec.budget.items():
        if metric in TIME_BUDGETS:
            stat = metric.removeprefix("cold_start_")
            measured = getattr(summary, stat) if summary else None
            ci = tuple(getattr(summary, f"{stat}_ci")) if summary else None
            base_summary = comparison.base_cold_start_s if comparison is not None else None
            reference = getattr(base_summary, stat) if base_summary is not None else None
            figures.append(Figure(
                spec.name, metric, measured, limit, "s", ci=ci, tolerance=spec.tolerance,
                comparison=comparison, stat=stat, reference=reference, inconclusive_fails=fails,
            ))
        elif metric == "max_slowdown":
            if comparison is None and result.calibration is not None and not result.error:
                # The session that records the baseline: there is nothing to compare with yet.
                figures.append(Figure(spec.name, metric, None, limit, "ratio", tolerance=spec.tolerance,
                                      forced_verdict="pass", note="recorded as the baseline: judged from the next run"))
                continue
            if comparison is None:
                note = "" if result.error else NO_REFERENCE
                figures.append(Figure(spec.name, metric, None, limit, "ratio", tolerance=spec.tolerance, note=note))
                continue
            low, high = comparison.ratio_p50_ci
            note = (
                f"p50 ratio {comparison.ratio_p50:.3f} (95% interval {low:.3f}–{high:.3f}); "
                "the budget holds the upper bound"
            )
            figures.append(Figure(
                spec.name, metric, high - 1, limit, "ratio", tolerance=spec.tolerance, note=note,
                ci=(low - 1, high - 1), estimate=comparison.ratio_p50 - 1, inconclusive_fails=fails,
            ))
        elif metric == "rss_peak":
            measured = memory.peak_rss_bytes if memory else None
            reference = _base_memory(result, "peak_rss_bytes")
            figures.append(Figure(spec.name, metric, measured, limit, "bytes", tolerance=spec.tolerance,
                                  reference=reference))
        elif metric == "rss_steady":
            measured = memory.steady_rss_bytes if memory else None
            if measured is not None or memory is None:
                note = ""
            elif spec.ready.kind == "exit":
                note = (
                    "the target ended before 3 memory samples; budget rss_peak instead, or give it a server "
                    "ready mode (e.g. ready = { port = 8000 }) and hold = \"1s\""
                )
            else:
                note = "no samples after ready: set hold = \"1s\" on this target"
            reference = _base_memory(result, "steady_rss_bytes")
            figures.append(Figure(spec.name, metric, measured, limit, "bytes", tolerance=spec.tolerance, note=note,
                                  reference=reference))
    if "import_time" in spec.budget or spec.forbid_imports:
        from lightprof.gate.imports import import_figures

        figures.extend(import_figures(spec, result))
    return figures


def _base_memory(result: TargetResult, field: str) -> float | None:
    """The base's memory figure under --base, judged like a baseline's. Not under `against`: the
    reference there is another program (often a unit of time such as `python -c pass`), and only
    the timing rows are judged on the ratio (docs/gate.md, "against")."""
    comparison = result.comparison
    if comparison is None or comparison.base_memory is None or comparison.mode == "against":
        return None
    value = getattr(comparison.base_memory, field)
    return float(value) if value is not None else None
