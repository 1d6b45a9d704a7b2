from __future__ import annotations

import pytest

from lightprof.units import (
    UnitError,
    format_duration,
    format_ratio,
    format_size,
    parse_duration,
    parse_ratio,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("150kB", 150_000), ("80MiB", 80 * 1024**2), ("512B", 512), ("1.5GB", 1_500_000_000), ("2KiB", 2048), ("0B", 0)],
)
def test_sizes_parse_si_and_iec(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("250ms", 0.25), ("1.5s", 1.5), ("800us", 0.0008), ("2µs", 2e-6)])
def test_durations_parse_to_seconds(text: str, expected: float) -> None:
    assert parse_duration(text) == pytest.approx(expected)


def test_ratios_parse_percent_and_fraction() -> None:
    assert parse_ratio("10%") == pytest.approx(0.10)
    assert parse_ratio(0.9) == pytest.approx(0.9)


@pytest.mark.parametrize("text", ["80", "80 MiBs", "-1MB", "KB", "5KB", 80])
def test_bad_sizes_are_refused(text: object) -> None:
    with pytest.raises(UnitError):
        parse_size(text)


@pytest.mark.parametrize("text", ["10", "10 minutes", "-1s", 10])
def test_bad_durations_are_refused(text: object) -> None:
    with pytest.raises(UnitError):
        parse_duration(text)


def test_formatting_names_the_unit() -> None:
    assert format_duration(0.000671) == "671.0 µs"
    assert format_duration(0.01182) == "11.82 ms"
    assert format_size(150_000, si=True) == "150.0 kB"
    assert format_size(80 * 1024**2) == "80.0 MiB"


@pytest.mark.parametrize(
    ("parse", "text", "words"),
    [
        (parse_size, "1e400MiB", "too large"),
        (parse_size, "1e300MB", "2^53"),
        (parse_duration, "1e400s", "too large"),
        (parse_duration, "86401s", "longer than a day"),
        (parse_ratio, "1e400%", "too large"),
        (parse_ratio, "1000.1%", "at most"),
        (parse_ratio, float("nan"), "fraction between 0 and 1"),
        (parse_ratio, float("inf"), "fraction between 0 and 1"),
    ],
)
def test_quantities_are_finite_and_bounded(parse: object, text: object, words: str) -> None:
    with pytest.raises(UnitError, match=words.replace("^", r"\^")):
        parse(text)  # type: ignore[operator]


def test_bounds_are_inclusive() -> None:
    assert parse_duration("86400s") == 86400.0
    assert parse_size(f"{2**53}B") == 2**53
    assert parse_ratio("1000%") == pytest.approx(10.0)
    with pytest.raises(UnitError, match="above 100%"):
        parse_ratio("150%", maximum=1.0)


def test_a_huge_value_gives_a_short_message() -> None:
    with pytest.raises(UnitError) as caught:
        parse_size("x" * 100_000)
    assert len(str(caught.value)) < 200


def test_formatting_never_raises_on_what_a_hostile_report_holds() -> None:
    assert format_size(10**400) == "—"
    assert format_size(float("nan")) == "—"
    assert format_size(float("inf"), si=True) == "—"
    assert format_duration(float("inf")) == "—"
    assert format_ratio(float("-inf")) == "—"
