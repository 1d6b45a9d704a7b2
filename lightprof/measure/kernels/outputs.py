"""Payloads for a kernel and the comparison of what its implementations return."""

from __future__ import annotations

import math
import random
import sys
from array import array
from types import ModuleType
from typing import Any

from lightprof.measure.kernels.manifest import KernelManifest

_INT_MASKS = {"u32": 0xFFFFFFFF, "u64": 0xFFFFFFFFFFFFFFFF}


def make_input(manifest: KernelManifest, fallback: ModuleType, size: int, seed: int) -> bytes:
    """`size` bytes of deterministic random input: the fallback's make_input(size, rng) if it
    has one, else random bytes or random f32 in [-1, 1] (input = "f32_pairs")."""
    rng = random.Random(seed)
    maker = getattr(fallback, "make_input", None)
    if callable(maker):
        data = bytes(maker(size, rng))
        if len(data) != size:
            raise ValueError(f"make_input({size}) returned {len(data)} bytes")
        return data
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


def normalise(manifest: KernelManifest, value: Any) -> Any:
    """A fallback's or NumPy's value in the same shape as `from_wasm` gives."""
    if manifest.output == "u32_array":
        return [int(v) for v in value]
    if manifest.output in ("f32", "f64"):
        return float(value)
    return int(value)


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
