"""The Wasm kernels lab: built-in and user kernels measured against their fallbacks.

Importing this package loads neither wasmtime nor NumPy: `--version` and a headless run without
`[[kernel]]` must stay light. The heavy modules load when a kernel is measured.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from lightprof.measure.events import EventSink, ignore

if TYPE_CHECKING:
    from lightprof.model.kernels import KernelResult
    from lightprof.profile.spec import KernelSpec


def measure_kernel(spec: KernelSpec, on_event: EventSink = ignore,
                   cancel: threading.Event | None = None) -> KernelResult:
    """Measure one kernel (Wasm vs fallback vs NumPy); a bad kernel ends as `result.error`."""
    try:
        from lightprof.measure.kernels.lab import measure_kernel as measure
    except ImportError as exc:  # wasmtime missing or broken: every kernel is unmeasured
        from lightprof.model.kernels import KernelResult

        return KernelResult(name=spec.name, error=f"wasmtime cannot be loaded ({exc})", failure="runtime")
    return measure(spec, on_event, cancel)
