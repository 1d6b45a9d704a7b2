"""Units at the edge: "250ms", "80MiB", "150kB", "10%" to numbers in base units and back.

Inside lightprof every time is a float of seconds and every size an int of bytes. kB, MB, GB are
powers of 1000 (as size-limit counts them); KiB, MiB, GiB powers of 1024. "KB" is refused because
tools disagree on what it means.

Every quantity is finite and bounded, so nothing downstream meets an infinity or an integer too
large for a float, a poll timeout or a TOML file: durations at most one day (a poll timeout
overflows at 2^31 ms, ~24.8 days), sizes at most 2^53 bytes (~9 PB, exact as a JSON number),
percentages at most 1000% unless the caller asks for less.
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
MAX_DURATION_S = 86_400.0
MAX_SIZE_BYTES = 2**53
MAX_RATIO = 10.0  # 1000%
_AMBIGUOUS_SIZE = {"KB": "kB (1000 bytes) or KiB (1024 bytes)", "kb": "kB or KiB", "K": "kB or KiB"}


class UnitError(ValueError):
    """A quantity could not be read; the message says what was expected."""


def _split(text: object, what: str, example: str) -> tuple[float, str]:
    if isinstance(text, bool) or not isinstance(text, str):
        raise UnitError(f"expected a {what} as a string with a unit such as {example!r}, got {_short(text)}")
    match = _QUANTITY.match(text)
    if not match:
        raise UnitError(f"expected a {what} such as {example!r}, got {_short(text)}")
    value = float(match.group(1))
    if not math.isfinite(value):
        raise UnitError(f"{what} {_short(text)} is too large; expected a finite number")
    return value, match.group(2)


def _short(value: object, limit: int = 40) -> str:
    """`value` as Python shows it, cut to `limit` characters: a sentence stays short for a huge value."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + "…"


def parse_duration(text: object) -> float:
    """Parse "250ms", "1.5s", "800us" into seconds; a bare number is an error."""
    value, unit = _split(text, "duration", "250ms")
    if not unit:
        raise UnitError(f"duration {_short(text)} has no unit; write e.g. '{value:g}ms' or '{value:g}s'")
    if unit not in TIME_UNITS:
        raise UnitError(f"unknown time unit {unit!r} in {_short(text)}; expected one of us, ms, s")
    if value < 0:
        raise UnitError(f"duration {_short(text)} is negative; expected zero or more")
    seconds = value * TIME_UNITS[unit]
    if seconds > MAX_DURATION_S:
        raise UnitError(f"duration {_short(text)} is longer than a day (86400s); expected at most that")
    return seconds


def parse_size(text: object) -> int:
    """Parse "150kB", "80MiB", "512B" into bytes; a bare number is an error."""
    value, unit = _split(text, "size", "80MiB")
    if not unit:
        raise UnitError(f"size {_short(text)} has no unit; write e.g. '{value:g}B', '{value:g}kB' or '{value:g}KiB'")
    if unit in _AMBIGUOUS_SIZE:
        raise UnitError(f"size unit {unit!r} in {_short(text)} is ambiguous; write {_AMBIGUOUS_SIZE[unit]}")
    if unit not in SIZE_UNITS:
        raise UnitError(
            f"unknown size unit {unit!r} in {_short(text)}; expected one of "
            + ", ".join(SIZE_UNITS)
        )
    if value < 0:
        raise UnitError(f"size {_short(text)} is negative; expected zero or more")
    size = value * SIZE_UNITS[unit]
    if size > MAX_SIZE_BYTES:
        raise UnitError(f"size {_short(text)} is larger than 2^53 bytes (about 9 PB); expected at most that")
    return int(round(size))


def parse_ratio(text: object, maximum: float = MAX_RATIO) -> float:
    """Parse "10%" into 0.1; a plain number between 0 and 1 is taken as a fraction.

    The result lies between 0 and `maximum` (a fraction: 10.0 is 1000%).
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
        largest = min(1.0, maximum)
        if not 0 <= value <= largest:
            raise UnitError(
                f"expected a fraction between 0 and {largest:g} or a percentage like '10%', got {_short(text)}"
            )
        return value
    value, unit = _split(text, "percentage", "10%")
    if unit != "%":
        raise UnitError(f"expected a percentage such as '10%', got {_short(text)}")
    if value < 0:
        raise UnitError(f"percentage {_short(text)} is negative; expected zero or more")
    if value / 100.0 > maximum:
        raise UnitError(f"percentage {_short(text)} is above {maximum * 100:g}%; expected at most that")
    return value / 100.0


def format_duration(seconds: float | None) -> str:
    """Render seconds with a unit that keeps three or four significant digits."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    magnitude = abs(seconds)
    if magnitude >= 1:
        return f"{seconds:.3f} s"
    if magnitude >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def format_size(num_bytes: float | None, *, si: bool = False) -> str:
    """Render bytes as IEC (KiB, MiB; memory) or SI (kB, MB; shipped sizes), naming the unit."""
    try:
        value = float(num_bytes)  # type: ignore[arg-type]
    except (TypeError, OverflowError):  # None, or an int too large for a float
        return "—"
    if not math.isfinite(value):
        return "—"
    base, units = (1000, ("B", "kB", "MB", "GB", "TB")) if si else (1024, ("B", "KiB", "MiB", "GiB", "TiB"))
    for unit in units:
        if abs(value) < base or unit == units[-1]:
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= base
    raise AssertionError("unreachable")


def format_ratio(fraction: float | None) -> str:
    """Render 0.077 as "+7.7%"; None as a dash."""
    if fraction is None or not math.isfinite(fraction):
        return "—"
    return f"{fraction * 100:+.1f}%"
