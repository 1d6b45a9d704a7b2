"""Payloads for a kernel and the comparison of what its implementations return."""

from __future__ import annotations

import math
import random
import sys
from array import array
from typing import Any

from lightprof.measure.kernels.failure import KernelFailure
from lightprof.measure.kernels.manifest import KernelManifest

_INT_MASKS = {"u32": 0xFFFFFFFF, "u64": 0xFFFFFFFFFFFFFFFF}


def make_input(manifest: KernelManifest, size: int, seed: int) -> bytes:
    """`size` bytes of deterministic random input, for a fallback without make_input(size, rng):
    random bytes, or random f32 in [-1, 1] (input = "f32_pairs")."""
    rng = random.Random(seed)
    if manifest.input == "f32_pairs":
        floats = array("f", (rng.uniform(-1.0, 1.0) for _ in range(size // 4)))
        if sys.byteorder == "big":
            floats.byteswap()
        return floats.tobytes() + bytes(size % 4)
    return rng.randbytes(size)


def from_wasm(manifest: KernelManifest, value: Any, out: bytes | None) -> Any:
    """The kernel's raw result (or the u32 array it wrote) as a Python value."""
    if manifest.output == "u32_array":
        counts = array("I")
        counts.frombytes(out or b"")
        if sys.byteorder == "big":
            counts.byteswap()
        return counts.tolist()
    if manifest.output in _INT_MASKS:
        return int(value) & _INT_MASKS[manifest.output]
    if manifest.output in ("f32", "f64"):
        return float(value)
    return int(value)


def normalise(manifest: KernelManifest, value: Any, who: str) -> Any:
    """A fallback's or NumPy's value (as the worker passed it) in the shape `from_wasm` gives;
    a value that cannot be compared is the fallback's failure, in one sentence."""
    if isinstance(value, tuple) and len(value) == 3 and value[0] == "unsupported":
        raise _unusable(manifest, who, f"{value[2]} (a {value[1]})")
    if manifest.output == "u32_array":
        if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
            raise _unusable(manifest, who, _short(value))
        return value
    if isinstance(value, list):
        raise _unusable(manifest, who, _short(value))
    if not math.isfinite(value):
        raise _unusable(manifest, who, repr(value))
    if manifest.output in ("f32", "f64"):
        return float(value)
    if isinstance(value, float) and not value.is_integer():
        raise _unusable(manifest, who, repr(value))
    return int(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unusable(manifest: KernelManifest, who: str, got: str) -> KernelFailure:
    expected = {"u32_array": f"a list of {manifest.output_count} integers", "f32": "a finite number",
                "f64": "a finite number"}.get(manifest.output, "an integer")
    return KernelFailure("fallback", f"the {who} returned {got}; expected {expected} (output = {manifest.output!r})")


def same(manifest: KernelManifest, got: Any, want: Any) -> bool:
    if manifest.compare == "approx":
        if isinstance(got, list):
            return len(got) == len(want) and all(
                math.isclose(g, w, rel_tol=manifest.rtol, abs_tol=manifest.atol) for g, w in zip(got, want, strict=True)
            )
        return math.isclose(got, want, rel_tol=manifest.rtol, abs_tol=manifest.atol)
    return got == want


def describe(value: Any) -> str:
    """A short rendering of an output for a mismatch sentence."""
    if isinstance(value, list):
        head = ", ".join(str(v) for v in value[:4])
        return f"[{head}, ...] (sum {sum(value)})" if len(value) > 4 else f"[{head}]"
    return repr(value)


def first_difference(got: Any, want: Any) -> str:
    if isinstance(got, list) and isinstance(want, list):
        for i, (g, w) in enumerate(zip(got, want, strict=False)):
            if g != w:
                return f" (first difference at index {i}: {g} vs {w})"
    return ""
