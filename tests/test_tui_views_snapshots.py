"""How the Paths, A/B and Attribution panes look, from a saved report of a real run (fixed data on screen).

`tests/fixtures/report_views.json` is what `lightprof --headless --attribute --json` wrote for a
profile with the Python server of tests/paths_servers.py (four paths, events, counters), two
commands (one against the other) and the program of tests/attribution_support.py. After an intended
change of look, run this file with `--snapshot-update` and look at every changed SVG as a picture
(`bench/snapshots_png.sh`) before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lightprof.model.report_file import load_report
from lightprof.tui.app import LightprofApp

REPORT = Path(__file__).parent / "fixtures" / "report_views.json"
SIZES = {"60x20": (60, 20), "80x24": (80, 24), "200x50": (200, 50)}


def report_app() -> LightprofApp:
    return LightprofApp(report=load_report(REPORT))


@pytest.mark.parametrize("size", SIZES)
def test_paths_pane(snap_compare, size: str) -> None:
    assert snap_compare(report_app(), press=["6"], terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_ab_pane(snap_compare, size: str) -> None:
    assert snap_compare(report_app(), press=["7", "down", "down"] if size != "200x50" else ["down", "down", "7"],
                        terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_attribution_pane(snap_compare, size: str) -> None:
    keys = ["8", "down", "down", "down"] if size != "200x50" else ["down", "down", "down", "8"]
    assert snap_compare(report_app(), press=keys, terminal_size=SIZES[size])
