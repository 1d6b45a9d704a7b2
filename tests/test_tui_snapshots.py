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


@pytest.mark.parametrize("size", SIZES)
def test_sizes_pane(snap_compare, size: str) -> None:
    # The first artifact: sizes (zstd left out, with its note), budgets, largest files with a .wasm.
    assert snap_compare(report_app(), press=["4"], terminal_size=SIZES[size])


def test_sizes_pane_python_env(snap_compare) -> None:
    # In 80 columns the pane's list hides and the pane follows the app's subject list (escape: to it).
    assert snap_compare(report_app(), press=["4", "escape", "down", "down", "down"], terminal_size=(80, 24))


# Select the image, go into its layers, open the second one (apt-get) to the files it adds.
IMAGE_LAYER_KEYS = {
    "80x24": ["4", "escape", "down", "down", "down", "down", "tab", "tab", "down", "enter"],
    "200x50": ["4", "down", "down", "enter", "down", "enter"],
}


@pytest.mark.parametrize("size", SIZES)
def test_sizes_image_drill_down(snap_compare, size: str) -> None:
    assert snap_compare(report_app(), press=IMAGE_LAYER_KEYS[size], terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_kernels_pane(snap_compare, size: str) -> None:
    assert snap_compare(report_app(), press=["5"], terminal_size=SIZES[size])
