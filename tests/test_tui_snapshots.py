"""How each pane looks, from a saved report (fixed data: no clock, no machine figures on screen).

The SVGs live in the top-level `snapshots/test_tui_snapshots/`; after an intended change of look,
run `pytest tests/test_tui_snapshots.py --snapshot-update` and look at every changed SVG as a picture
(`bench/snapshots_png.sh` renders them to PNG with headless Chromium) before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lightprof.model.report_file import load_report
from lightprof.tui.app import LightprofApp

REPORT = Path(__file__).parent / "fixtures" / "report.json"
SIZES = {"60x20": (60, 20), "80x24": (80, 24), "200x50": (200, 50)}


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


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, size: str) -> None:
    assert snap_compare(report_app(), press=["question_mark"], terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_sizes_overview(snap_compare, size: str) -> None:
    # A target is selected: every artifact and image at a glance, with its counted size and verdict.
    assert snap_compare(report_app(), press=["4"], terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_sizes_pane(snap_compare, size: str) -> None:
    # The first artifact: sizes (zstd left out, with its note), budgets, largest files with a .wasm.
    assert snap_compare(report_app(), press=["4", "down", "down"], terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_sizes_pane_python_env(snap_compare, size: str) -> None:
    assert snap_compare(report_app(), press=["4", "down", "down", "down"], terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_sizes_image_drill_down(snap_compare, size: str) -> None:
    # Select the image, enter its layers, open the second one (apt-get) to the files it adds.
    keys = ["4", "down", "down", "down", "down", "enter", "down", "enter"]
    assert snap_compare(report_app(), press=keys, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_kernels_pane(snap_compare, size: str) -> None:
    # The kernel chosen in the subject list (sum_u8) is the one shown.
    keys = ["5", *["down"] * 5] if size == "200x50" else ["5"]
    assert snap_compare(report_app(), press=keys, terminal_size=SIZES[size])
