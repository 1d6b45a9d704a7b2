"""How each pane looks, from a saved report (fixed data: no clock, no machine figures on screen).

The SVGs live in the top-level `snapshots/test_tui_snapshots/`; after an intended change of look,
review the picture and run `pytest tests/test_tui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lightprof.result import load_report
from lightprof.tui.app import LightprofApp

REPORT = Path(__file__).parent / "fixtures" / "report.json"
SIZES = {"80x24": (80, 24), "200x50": (200, 50)}


def report_app() -> LightprofApp:
    return LightprofApp(report=load_report(REPORT))


@pytest.mark.parametrize("size", SIZES)
def test_cold_start_pane(snap_compare, size: str) -> None:
    assert snap_compare(report_app(), press=["1"], terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_cold_start_pane_with_a_failed_run(snap_compare, size: str) -> None:
    assert snap_compare(report_app(), press=["1", "down"], terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_memory_pane(snap_compare, size: str) -> None:
    assert snap_compare(report_app(), press=["2"], terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_budgets_pane(snap_compare, size: str) -> None:
    assert snap_compare(report_app(), press=["3"], terminal_size=SIZES[size])


def test_help_screen(snap_compare) -> None:
    assert snap_compare(report_app(), press=["question_mark"], terminal_size=(80, 24))
