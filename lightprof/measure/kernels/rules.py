"""Kernel results as gate Figures, and the rule "Wasm shipped without a kernel sample".

Stdlib only: the lead's engine imports this on every headless run that has kernels or
artifacts; it must not pull in wasmtime or NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lightprof.measure.figures import Figure
from lightprof.measure.kernels_model import KernelResult
from lightprof.profile import KernelSpec, Profile


def size_label(num_bytes: int) -> str:
    """Exact, compact payload sizes for metric names: 4096 → 4KiB, 1000 → 1kB, 100 → 100B."""
    units = ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"), (10**9, "GB"), (10**6, "MB"), (10**3, "kB"))
    for factor, unit in units:
        if num_bytes >= factor and num_bytes % factor == 0:
            return f"{num_bytes // factor}{unit}"
    return f"{num_bytes}B"


def kernel_figures(spec: KernelSpec, result: KernelResult) -> list[Figure]:
    """Per payload size: Wasm e2e p50 against the fallback's p50 (the limit), and the
    ops_per_cpu_s floor when the profile sets one.

    A justification keeps a slower kernel: the figure stays, forced to pass, with the reason.
    Outputs that differ from the fallback's fail every figure; any other failure leaves the
    figures unmeasured with the failure as the note.
    """
    rows = {row.size_bytes: row for row in result.sizes}
    figures: list[Figure] = []
    for size in spec.sizes:
        label = size_label(size)
        row = rows.get(size)
        e2e = row.wasm_e2e_s if row else None
        fallback = row.fallback_s if row else None
        forced: str | None = None
        note = ""
        if result.mismatch:
            forced, note = "fail", f"kernel '{spec.name}' is wrong: {result.mismatch}"
        elif result.error:
            note = f"kernel '{spec.name}' could not be measured: {result.error}"
        elif spec.justification and e2e and fallback:
            forced = "pass"
            slower = e2e.p50 > fallback.p50
            note = (f"Wasm is slower than its fallback at {label}, kept because: {spec.justification}" if slower
                    else f"justified: {spec.justification}")
        elif e2e and fallback and e2e.p50 > fallback.p50:
            note = (f"Wasm (marshaling included) is slower than its fallback at {label}: "
                    "speed it up, drop it, or set justification in the profile")
        measured = None if result.error else (e2e.p50 if e2e else None)
        figures.append(Figure(
            subject=spec.name,
            metric=f"wasm_vs_fallback@{label}",
            measured=measured,
            limit=fallback.p50 if fallback else None,
            unit="s",
            kind="kernel",
            ci=e2e.p50_ci if e2e and measured is not None else None,
            tolerance=spec.tolerance,
            note=note,
            forced_verdict=forced,
        ))
        if spec.ops_per_cpu_s is not None:
            ops = row.wasm_ops_per_cpu_s if row and not result.error else None
            figures.append(Figure(
                subject=spec.name,
                metric=f"ops_per_cpu_s@{label}",
                measured=ops,
                limit=spec.ops_per_cpu_s,
                unit="ops_per_cpu_s",
                kind="kernel",
                higher_is_better=True,
                tolerance=spec.tolerance,
                note=note if result.error or result.mismatch else "",
                forced_verdict="fail" if result.mismatch else None,
            ))
    return figures


def wasm_rule_figures(profile: Profile, artifact_results: Sequence[Any]) -> list[Figure]:
    """The practice's rule: an artifact that ships .wasm files needs a [[kernel]] sample.

    One failing Figure when any artifact has `wasm_files` and the profile has no kernel; none
    when no artifact ships Wasm.
    """
    shipping = [(r.name, list(getattr(r, "wasm_files", None) or [])) for r in artifact_results]
    shipping = [(name, files) for name, files in shipping if files]
    if not shipping:
        return []
    count = sum(len(files) for _, files in shipping)
    names = ", ".join(f"'{name}'" for name, _ in shipping)
    example = shipping[0][1][0]
    if profile.kernels:
        return [Figure(
            subject=", ".join(name for name, _ in shipping),
            metric="wasm_kernel_sample",
            measured=float(count),
            limit=None,
            unit="count",
            kind="kernel",
            note=f"{count} .wasm file(s) shipped; {len(profile.kernels)} [[kernel]] sample(s) in the profile",
            forced_verdict="pass",
        )]
    return [Figure(
        subject=", ".join(name for name, _ in shipping),
        metric="wasm_kernel_sample",
        measured=float(count),
        limit=None,
        unit="count",
        kind="kernel",
        note=(f"artifact {names} ships {count} .wasm file(s) (e.g. {example}) but the profile has no "
              "[[kernel]] sample: add one to prove the Wasm beats its fallback"),
        forced_verdict="fail",
    )]
