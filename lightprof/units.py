"""Units at the edge: "250ms", "80MiB", "150kB", "10%" to numbers in base units and back.

Inside lightprof every time is a float of seconds and every size an int of bytes. kB, MB, GB are
powers of 1000 (as size-limit counts them); KiB, MiB, GiB powers of 1024. "KB" is refused because
tools disagree on what it means.
"""

from __future__ import annotations

import math
import re

_NUMBER = r"([-+]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
_QUANTITY = re.compile(r"^\s*" + _NUMBER + r"\s*([A-Za-zµ%]*)\s*$")

TIME_UNITS: dict[str, float] = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
SIZE_UNITS: dict[str, int] = {
    "B": 1,
    "kB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "TiB": 1024**4,
}
_AMBIGUOUS_SIZE = {"KB": "kB (1000 bytes) or KiB (1024 bytes)", "kb": "kB or KiB", "K": "kB or KiB"}


class UnitError(ValueError):
    """A quantity could not be read; the message says what was expected."""


def _split(text: object, what: str, example: str) -> tuple[float, str]:
    if isinstance(text, bool) or not isinstance(text, str):
        raise UnitError(f"expected a {what} as a string with a unit such as {example!r}, got {text!r}")
    match = _QUANTITY.match(text)
    if not match:
        raise UnitError(f"expected a {what} such as {example!r}, got {text!r}")
    return float(match.group(1)), match.group(2)


def parse_duration(text: object) -> float:
    """Parse "250ms", "1.5s", "800us" into seconds; a bare number is an error."""
    value, unit = _split(text, "duration", "250ms")
    if not unit:
        raise UnitError(f"duration {text!r} has no unit; write e.g. '{text}ms' or '{text}s'")
    if unit not in TIME_UNITS:
        raise UnitError(f"unknown time unit {unit!r} in {text!r}; expected one of us, ms, s")
    if value < 0:
        raise UnitError(f"duration {text!r} is negative; expected zero or more")
    return value * TIME_UNITS[unit]


def parse_size(text: object) -> int:
    """Parse "150kB", "80MiB", "512B" into bytes; a bare number is an error."""
    value, unit = _split(text, "size", "80MiB")
    if not unit:
        raise UnitError(f"size {text!r} has no unit; write e.g. '{text}B', '{text}kB' or '{text}KiB'")
    if unit in _AMBIGUOUS_SIZE:
        raise UnitError(f"size unit {unit!r} in {text!r} is ambiguous; write {_AMBIGUOUS_SIZE[unit]}")
    if unit not in SIZE_UNITS:
        raise UnitError(
            f"unknown size unit {unit!r} in {text!r}; expected one of "
            + ", ".join(SIZE_UNITS)
        )
    if value < 0:
        raise UnitError(f"size {text!r} is negative; expected zero or more")
    return int(round(value * SIZE_UNITS[unit]))


def parse_ratio(text: object) -> float:
    """Parse "10%" into 0.1; a plain number between 0 and 1 is taken as a fraction."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
        if not 0 <= value <= 1 or math.isnan(value):
            raise UnitError(f"expected a fraction between 0 and 1 or a percentage like '10%', got {text!r}")
        return value
    value, unit = _split(text, "percentage", "10%")
    if unit != "%":
        raise UnitError(f"expected a percentage such as '10%', got {text!r}")
    if value < 0:
        raise UnitError(f"percentage {text!r} is negative; expected zero or more")
    return value / 100.0


def format_duration(seconds: float | None) -> str:
    """Render seconds with a unit that keeps three or four significant digits."""
    if seconds is None or math.isnan(seconds):
        return "—"
    magnitude = abs(seconds)
    if magnitude >= 1:
        return f"{seconds:.3f} s"
    if magnitude >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def format_size(num_bytes: float | None, *, si: bool = False) -> str:
    """Render bytes as IEC (KiB, MiB; memory) or SI (kB, MB; shipped sizes), naming the unit."""
    if num_bytes is None:
        return "—"
    base, units = (1000, ("B", "kB", "MB", "GB", "TB")) if si else (1024, ("B", "KiB", "MiB", "GiB", "TiB"))
    value = float(num_bytes)
    for unit in units:
        if abs(value) < base or unit == units[-1]:
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= base
    raise AssertionError("unreachable")


def format_ratio(fraction: float | None) -> str:
    """Render 0.077 as "+7.7%"; None as a dash."""
    if fraction is None or math.isnan(fraction):
        return "—"
    return f"{fraction * 100:+.1f}%"
