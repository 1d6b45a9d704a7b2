"""Histogram lines: counts, ticks, clipped outliers, marks, a budget line, series on one axis."""

from __future__ import annotations

from lightprof.tui.numbers import duration
from lightprof.tui.widgets.histogram_lines import histogram_lines


def _text(lines: list[tuple[str, str]]) -> str:
    return "\n".join(text for text, _style in lines)


def test_one_far_outlier_is_clipped_and_counted_not_squeezing_the_rest() -> None:
    runs = [0.0006 + i * 0.00001 for i in range(29)] + [0.092]
    lines = histogram_lines({"": runs}, 60, 8, duration, marks={"p50": 0.00074, "p95": 0.00087})
    text = _text(lines)
    assert "+1 beyond ▸" in text
    # The axis ends near the runs, not at the outlier: 92 ms is no tick.
    ticks = lines[-1][0]
    assert "92.0 ms" not in ticks and "600 µs" in ticks
    # The 29 runs spread over several bars instead of one.
    bars = [line for line, _style in lines if "┤" in line]
    assert len({i for line in bars for i, c in enumerate(line) if c == "█"}) > 6
    marks = next(line for line, _style in lines if "▲p50" in line)
    assert "▲p95" in marks and marks.index("▲p50") + len("▲p50") < marks.index("▲p95")


def test_counts_and_ticks_are_shown_and_no_tick_cuts_a_number() -> None:
    values = [0.010, 0.011, 0.011, 0.012, 0.015, 0.020]
    lines = histogram_lines({"": values}, 40, 6, duration)
    assert lines[0][0].lstrip().startswith("3┤")  # the tallest bar: 10, 11 and 11 ms
    ticks = lines[-1][0].split()
    assert ticks[0] == "10.0" and ticks[1] == "ms"
    assert all(len(line) <= 40 for line, _style in lines)


def test_wasm_and_fallback_share_one_log_axis_and_the_budget_is_a_line() -> None:
    wasm = [4e-6, 4.2e-6, 4.5e-6]
    fallback = [19e-6, 20e-6, 21e-6]
    lines = histogram_lines({"Wasm": wasm, "fallback": fallback}, 60, 9, duration, log=True, limit=20e-6)
    bars = {name: [line for line, _s in lines if line.lstrip().startswith(name) or name in line[:10]]
            for name in ("Wasm", "fallback")}
    assert bars["Wasm"] and bars["fallback"]
    text = _text(lines)
    assert "│budget" in text
    # On one axis the Wasm bars sit left of the fallback's.
    wasm_col = max(line.rfind("█") for line, _s in lines[:3])
    fallback_col = min(i for line, _s in lines[3:6] for i, c in enumerate(line) if c in "▁▂▃▄▅▆▇█")
    assert wasm_col < fallback_col
