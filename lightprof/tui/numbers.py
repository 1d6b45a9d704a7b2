"""One number format for the whole TUI: three significant digits, a space, the unit.

"43.2 ms", "914 µs", "61.0 MiB", "141 kB": at most eight cells, so a column sized for it never cuts
a number. Memory is counted in IEC units (MiB), shipped sizes in SI units (kB), as their budgets are.
"""

from __future__ import annotations

import math

MIB = 1024 * 1024
WIDTH = 8  # cells the widest figure takes ("1.23 GiB")


def _round(value: float) -> float:
    """`value` rounded to three significant digits (so 0.99996 s is 1.00 s, not 1000 ms)."""
    return float(f"{value:.3g}")


def _sig(value: float) -> str:
    """Three significant digits, without an exponent."""
    value = _round(value)
    if value == 0:
        return "0"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:.{digits}f}"


def duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "—"
    magnitude = abs(_round(seconds))
    if magnitude >= 1:
        return f"{_sig(seconds)} s"
    if magnitude >= 1e-3 or magnitude == 0:
        return f"{_sig(seconds * 1e3)} ms"
    if magnitude >= 1e-6:
        return f"{_sig(seconds * 1e6)} µs"
    return f"{_sig(seconds * 1e9)} ns"


def size(num_bytes: float | None, si: bool = False) -> str:
    if num_bytes is None or not math.isfinite(num_bytes):
        return "—"
    units = (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)) if si else (("GiB", 1024.0**3), ("MiB", float(MIB)),
                                                                 ("KiB", 1024.0))
    for name, factor in units:
        if abs(_round(num_bytes / factor)) >= 1:
            return f"{_sig(num_bytes / factor)} {name}"
    return f"{int(num_bytes)} B"


def figure(value: float | None, unit: str, si: bool = False) -> str:
    """A budget figure in its unit ("s", "bytes", "ratio", "ops_per_cpu_s")."""
    if value is None:
        return "—"
    if unit == "s":
        return duration(value)
    if unit == "bytes":
        return size(value, si)
    if unit == "ratio":
        return f"{_sig(value * 100)}%"
    if unit == "ops_per_cpu_s":
        return f"{value:,.0f}/cpu-s"
    return _sig(value)


def ratio(value: float | None) -> str:
    """A change as a signed percentage ("+7.7%")."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value * 100:+.1f}%"
