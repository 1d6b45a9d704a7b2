"""Critical paths and a target's op events as gate Figures, and the events as .wasm samples.

Per path: every budget the profile sets (`latency_p95@sum`, `first_latency@sum`,
`ops_per_cpu_s@sum` a floor, ...), and always `errors@NAME`: requests without a 2xx answer,
judged against 0 (a latency of error pages is not the route's). Per op of the target's own
`op_latency` events with a Wasm impl and another impl: `wasm_vs_IMPL@OP`, the Wasm p50 of `ms`
against the other's p50 (as `wasm_vs_fallback` judges kernels); `[target.telemetry]
justification` keeps a slower Wasm, saying why.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from lightprof.gate.figures import Figure
from lightprof.gate.kernels import SampleFinder, ShippedWasm
from lightprof.model.paths import EventStats, PathResult
from lightprof.model.target import TargetResult
from lightprof.profile.spec import TargetSpec

OP_EVENT = "op_latency"


def path_figures(spec: TargetSpec, result: TargetResult) -> list[Figure]:
    figures: list[Figure] = []
    by_name = {path.name: path for path in result.paths}
    for path_spec in spec.paths:
        path = by_name.get(path_spec.name)
        note = _why_unmeasured(result, path)
        for metric, limit in path_spec.budget.items():
            measured = None if note else _value(path, metric)
            higher = metric == "ops_per_cpu_s"
            figures.append(Figure(
                spec.name, f"{metric}@{path_spec.name}", measured, limit, "ops_per_cpu_s" if higher else "s",
                higher_is_better=higher, tolerance=spec.tolerance, note=note or _errors_note(path),
                ci=_ci(path, metric) if measured is not None else None,
                forced_verdict=_by_limit(measured, limit, higher),
            ))
        errors = None if note or path is None else float(path.errors)
        figures.append(Figure(spec.name, f"errors@{path_spec.name}", errors, 0.0, "count", tolerance=0.0,
                              note=note or _errors_note(path), forced_verdict=_by_limit(errors, 0.0, False)))
    figures.extend(event_figures(spec, result))
    return figures


def _by_limit(measured: float | None, limit: float, higher_is_better: bool) -> str | None:
    """Path figures are judged on their limits only. A stored baseline is shown beside them but
    not tested for regression: nothing is interleaved with the requests to cancel the machine's
    drift, and the gate study (FIELD-NOTES.md) saw raw times against a stored number cry wolf."""
    if measured is None:
        return None
    worse = measured < limit if higher_is_better else measured > limit
    return "fail" if worse else "pass"


def _ci(path: PathResult | None, metric: str) -> tuple[float, float] | None:
    if path is None or path.latency_s is None or not metric.startswith("latency_"):
        return None
    latency = path.latency_s
    return {"latency_p50": latency.p50_ci, "latency_p95": latency.p95_ci, "latency_p99": latency.p99_ci}.get(metric)


def _why_unmeasured(result: TargetResult, path: PathResult | None) -> str:
    if result.error:  # as for its other budgets: a target that failed has no figures
        return result.error
    if path is None:
        return "the path was not run"
    if path.error:
        return path.error
    return ""


def _value(path: PathResult | None, metric: str) -> float | None:
    if path is None:
        return None
    if metric == "first_latency":
        return path.first_latency_s
    if metric == "ops_per_cpu_s":
        return path.ops_per_cpu_s
    stat = metric.removeprefix("latency_")
    return getattr(path.latency_s, stat) if path.latency_s is not None else None


def _errors_note(path: PathResult | None) -> str:
    if path is None or not path.errors:
        return ""
    counts = ", ".join(f"{label} ×{count}" for label, count in sorted(path.statuses.items()))
    why = f": {'; '.join(path.failures)}" if path.failures else ""
    stopped = f"; stopped early ({path.stopped_by})" if path.stopped_by else ""
    return f"{path.errors} of {path.sent} requests failed ({counts}){why}{stopped}"


def is_wasm(impl: str | None) -> bool:
    return impl is not None and "wasm" in impl.lower()


def op_pairs(events: Sequence[EventStats]) -> list[tuple[str, EventStats, EventStats]]:
    """(op, wasm side, other side) for every op with a Wasm impl and another impl, both timed."""
    pairs: list[tuple[str, EventStats, EventStats]] = []
    by_op: dict[str, list[EventStats]] = {}
    for row in events:
        if row.event == OP_EVENT and row.op is not None and row.impl is not None and row.ms is not None:
            by_op.setdefault(row.op, []).append(row)
    for op, rows in by_op.items():
        for wasm in (r for r in rows if is_wasm(r.impl)):
            pairs.extend((op, wasm, other) for other in rows if not is_wasm(other.impl))
    return pairs


def event_figures(spec: TargetSpec, result: TargetResult) -> list[Figure]:
    figures = []
    justification = spec.telemetry.justification if spec.telemetry is not None else ""
    for op, wasm, other in op_pairs(result.events):
        assert wasm.ms is not None and other.ms is not None
        wasm_s, other_s = wasm.ms.p50 / 1000, other.ms.p50 / 1000
        slower = wasm_s > other_s
        # Judged within the run (Wasm against the other impl, side by side), never against a baseline.
        forced = "fail" if slower else "pass"
        note = f"{wasm.n} {wasm.impl} events against {other.n} {other.impl} (p50 of ms)"
        if justification:
            forced = "pass"
            note = (f"Wasm is slower than {other.impl} for op '{op}', kept because: {justification}" if slower
                    else f"justified: {justification}")
        elif slower:
            note = (f"the target's own op_latency events show Wasm ({wasm.impl}) slower than {other.impl} for op "
                    f"'{op}': speed it up, drop it, or set [target.telemetry] justification")
        figures.append(Figure(spec.name, f"wasm_vs_{other.impl}@{op}", wasm_s, other_s, "s", kind="target",
                              tolerance=spec.tolerance, note=note, forced_verdict=forced))
    return figures


def event_samples(results: Sequence[TargetResult]) -> SampleFinder:
    """A target's op_latency events as the Wasm-vs-other sample of a shipped .wasm: its Wasm-side
    events name the module (`"module": "sum.wasm"`, matched on the file name) and the same op
    has another impl."""
    named: dict[str, str] = {}
    for target in results:
        for op, wasm, other in op_pairs(target.events):
            for module in wasm.modules:
                named.setdefault(os.path.basename(module),
                                 f"target '{target.name}' op_latency events (op '{op}': {wasm.impl} vs {other.impl})")

    def find(shipped: ShippedWasm) -> str | None:
        return named.get(os.path.basename(shipped.path))

    return find
