"""The Wasm kernels lab: built-in and user kernels measured against their fallbacks.

Importing this package loads neither wasmtime nor NumPy: `--version` and a headless run without
`[[kernel]]` must stay light. The heavy modules load when a kernel is measured.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from lightprof.measure.events import EventSink, ignore
from lightprof.measure.kernels.rules import kernel_figures, wasm_rule_figures

if TYPE_CHECKING:
    from lightprof.measure.kernels_model import KernelResult
    from lightprof.profile import KernelSpec

__all__ = ["measure_kernel", "kernel_figures", "wasm_rule_figures"]


def measure_kernel(spec: KernelSpec, on_event: EventSink = ignore,
                   cancel: threading.Event | None = None) -> KernelResult:
    """Measure one kernel (Wasm vs fallback vs NumPy); a bad kernel ends as `result.error`."""
    try:
        from lightprof.measure.kernels.lab import measure_kernel as measure
    except ImportError as exc:  # wasmtime missing or broken: every kernel is unmeasured
        from lightprof.measure.kernels_model import KernelResult

        return KernelResult(name=spec.name, error=f"wasmtime cannot be loaded ({exc})", failure="runtime")
    return measure(spec, on_event, cancel)
