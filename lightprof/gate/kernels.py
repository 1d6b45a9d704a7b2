"""Kernel results as gate Figures, and the rule "Wasm shipped without a kernel sample".

Stdlib only: the lead's engine imports this on every headless run that has kernels or
artifacts; it must not pull in wasmtime or NumPy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lightprof.gate.figures import Figure
from lightprof.model.kernels import KernelResult
from lightprof.profile.spec import KernelSpec, Profile


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


@dataclass(frozen=True)
class ShippedWasm:
    """One .wasm file an artifact ships, and the SHA-256 of its bytes ("" when not recorded)."""

    artifact: str
    path: str
    sha256: str


# Finds the sample of one shipped module: a sentence saying which ("kernel 'sum' (same SHA-256)"),
# or None. Kernels are one way; a target's own `op_latency` events (a Wasm `impl` beside another
# `impl` of the same op) are to be another, passed in by the caller beside `kernel_samples`.
SampleFinder = Callable[[ShippedWasm], "str | None"]


def kernel_samples(kernel_results: Sequence[KernelResult]) -> SampleFinder:
    """Kernels as samples, matched on content: a kernel samples a shipped .wasm when the module it
    measured (the .wasm as is, or the .wat compiled) has the same SHA-256 as the file. The path does
    not matter, so a kernel may point at its own copy of the module or at the built file itself."""
    by_digest: dict[str, str] = {}
    for kernel in kernel_results:
        if kernel.module_sha256:
            by_digest.setdefault(kernel.module_sha256, kernel.name)

    def find(shipped: ShippedWasm) -> str | None:
        name = by_digest.get(shipped.sha256) if shipped.sha256 else None
        return f"kernel '{name}' (same SHA-256)" if name else None

    return find


def _shipped(artifact_results: Sequence[Any]) -> list[ShippedWasm]:
    found: list[ShippedWasm] = []
    for artifact in artifact_results:
        files = list(getattr(artifact, "wasm_files", None) or [])
        digests = list(getattr(artifact, "wasm_sha256", None) or [])
        if len(digests) != len(files):  # a report written before digests were recorded
            digests = [""] * len(files)
        found.extend(ShippedWasm(artifact.name, path, digest) for path, digest in zip(files, digests, strict=True))
    return found


def wasm_rule_figures(profile: Profile, artifact_results: Sequence[Any],
                      kernel_results: Sequence[KernelResult] = (),
                      finders: Sequence[SampleFinder] = ()) -> list[Figure]:
    """The practice's rule: every .wasm an artifact ships needs a Wasm-vs-fallback sample of that module.

    One Figure: pass when each shipped module has a sample (its kernel's own rows then judge whether
    the Wasm pays its way), fail naming the modules that have none. `finders` default to the
    kernels (`kernel_samples`). A report written before modules were hashed has no digests: any
    kernel then counts as its sample, as it did then. None when no artifact ships Wasm.
    """
    shipped = _shipped(artifact_results)
    if not shipped:
        return []
    finders = list(finders) or [kernel_samples(kernel_results)]
    subject = ", ".join(dict.fromkeys(item.artifact for item in shipped))
    sampled: list[str] = []
    missing: list[ShippedWasm] = []
    for item in shipped:
        how = next((found for finder in finders if (found := finder(item)) is not None), None)
        if how is None and not item.sha256 and profile.kernels:
            how = "a [[kernel]] of the profile (this report recorded no digest to match on)"
        if how is None:
            missing.append(item)
        else:
            sampled.append(f"{item.path} by {how}")
    count = len(shipped)
    if not missing:
        return [Figure(subject=subject, metric="wasm_kernel_sample", measured=float(count), limit=None,
                       unit="count", kind="kernel", forced_verdict="pass",
                       note="sampled: " + "; ".join(sampled))]
    names = ", ".join(f"'{item.path}' (artifact '{item.artifact}')" for item in missing[:3])
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    if profile.kernels:
        why = (f"none of the profile's {len(profile.kernels)} [[kernel]] sample(s) measures that module "
               "(a kernel samples a .wasm when its module has the same SHA-256)")
    else:
        why = "the profile has no [[kernel]] sample"
    return [Figure(subject=subject, metric="wasm_kernel_sample", measured=float(count - len(missing)),
                   limit=None, unit="count", kind="kernel", forced_verdict="fail",
                   note=(f"{names}{more} ship(s) as Wasm but {why}: add a [[kernel]] whose wasm is that "
                         "file to prove the Wasm beats its fallback"))]
