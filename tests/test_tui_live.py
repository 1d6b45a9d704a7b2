"""The TUI driven by keys (Textual's Pilot) against real target processes."""

from __future__ import annotations

import asyncio
import re
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from lightprof.model.report_file import load_report
from lightprof.profile.load import adhoc_profile, load_profile
from lightprof.tui.app import LightprofApp
from lightprof.tui.panes.coldstart import ColdStartPane
from lightprof.tui.widgets.progress import ProgressLine
from tests.tui_support import run_async, wait_until

REPORT = Path(__file__).parent / "fixtures" / "report.json"
SIZE = (120, 40)
# A target that holds 20 MB for a moment, so the memory sampler sees it between start and exit.
ALLOCATE = "import time; x = bytearray(20_000_000); time.sleep(0.15)"
# A target tree that would outlive the test: a parent and a child, both sleeping 30 s.
TREE = (
    "import subprocess, sys, time; "
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)', sys.argv[1]]); "
    "time.sleep(30)"
)




def marked(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if marker in (proc.info["cmdline"] or []):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def app_for(argv: list[str], cwd: Path | None = None) -> LightprofApp:
    return LightprofApp(profile=adhoc_profile(argv, cwd=cwd))


async def set_session(
    pilot: Pilot, app: LightprofApp, runs: int, warmup: int, ready: str | None = None
) -> None:
    """Open the settings dialog with its key and submit new runs, warm-ups (and ready mode)."""
    await pilot.press("o")
    await wait_until(pilot, lambda: app.screen.query("#set-runs"))
    app.screen.query_one("#set-runs", Input).value = str(runs)
    app.screen.query_one("#set-warmup", Input).value = str(warmup)
    if ready is not None:
        app.screen.query_one("#set-ready", Input).value = ready
    app.screen.query_one("#set-runs", Input).focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: not app.screen.query("#set-runs"))


@run_async
async def test_a_key_starts_runs_samples_arrive_and_another_key_stops_them() -> None:
    app = app_for([sys.executable, "-c", ALLOCATE])
    async with app.run_test(size=SIZE) as pilot:
        name = app.selected
        assert name is not None
        live = app.live[name]
        await pilot.press("r")
        await wait_until(pilot, lambda: len(live.measured_runs) >= 2)
        assert app.measuring
        assert live.summary() is not None
        progress = app.query_one(ColdStartPane).query_one(ProgressLine)
        assert "runs" in str(progress.render())
        await pilot.press("x")
        await wait_until(pilot, lambda: not app.measuring)
        assert len(live.runs) < app.specs[name].warmup + app.specs[name].runs
        assert not live.running


@run_async
async def test_runs_warmups_and_ready_change_for_the_session() -> None:
    app = app_for([sys.executable, "-c", ALLOCATE])
    async with app.run_test(size=SIZE) as pilot:
        name = app.selected
        before = app.specs[name].runs
        await pilot.press("plus")
        assert app.specs[name].runs == before + 5
        await pilot.press("minus", "minus")
        assert app.specs[name].runs == before - 5
        await set_session(pilot, app, runs=4, warmup=1, ready="port 8123")
        assert app.specs[name].ready.kind == "port" and app.specs[name].ready.port == 8123
        assert "port 127.0.0.1:8123" in str(app.query_one("#cs-settings").render())
        await set_session(pilot, app, runs=4, warmup=1, ready="exit")
        assert (app.specs[name].runs, app.specs[name].warmup) == (4, 1)
        assert app.specs[name].ready.kind == "exit"
        await pilot.press("r")
        await wait_until(pilot, lambda: not app.measuring and app.live[name].result is not None)
        live = app.live[name]
        assert len(live.measured_runs) == 4
        assert live.summary() is not None and live.summary().n == 4
        # The engine's memory run streamed RSS samples of the 20 MB the target holds.
        assert live.timeline and max(rss for _t, rss in live.timeline) > 20_000_000


@run_async
async def test_suggested_budgets_are_saved_and_load_with_the_profile_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = app_for([sys.executable, "-c", ALLOCATE], cwd=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        name = app.selected
        await set_session(pilot, app, runs=3, warmup=0)
        await pilot.press("r")
        await wait_until(pilot, lambda: not app.measuring and app.live[name].result is not None)
        await pilot.press("3", "s")
        suggested = dict(app.budgets[name])
        assert {"cold_start_p95", "rss_peak"} <= set(suggested)
        p95 = app.live[name].result.cold_start_s.p95
        assert suggested["cold_start_p95"] >= p95 * 1.2
        table = app.query_one("#bud-table", DataTable)
        assert table.row_count == len(suggested)
        await pilot.press("q")
        assert app.is_running, "unsaved budgets hold the first q back"
        await pilot.press("w")
        await pilot.pause()

    saved = load_profile(tmp_path / "lightprof.toml")
    (target,) = saved.targets
    assert target.command == (sys.executable, "-c", ALLOCATE)
    assert target.budget["cold_start_p95"] == pytest.approx(suggested["cold_start_p95"])
    assert target.budget["rss_peak"] == suggested["rss_peak"]


@run_async
async def test_a_budget_edited_in_place_is_saved_and_baseline_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    profile_path = tmp_path / "lightprof.toml"
    profile_path.write_text(
        "# team budgets\nversion = 1\nname = \"demo\"\n\n[[target]]\nname = \"hello\"\n"
        f"command = [{sys.executable!r}, \"-c\", \"pass\"]\nruns = 3\nwarmup = 0\n"
        "[target.budget]\ncold_start_p95 = \"2s\"  # generous\n"
    )
    app = LightprofApp(profile=load_profile(profile_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await wait_until(pilot, lambda: not app.measuring and app.live["hello"].result is not None)
        await pilot.press("3")
        assert [r.verdict for r in app.rows] == ["pass"]
        await pilot.press("e")
        await wait_until(pilot, lambda: app.screen.query("#edit-value"))
        app.screen.query_one("#edit-value", Input).value = "1us"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.budgets["hello"]["cold_start_p95"] == 1e-6)
        assert [r.verdict for r in app.rows] == ["fail"]
        await pilot.press("b")
        await pilot.pause()
        baseline = (tmp_path / "demo.baseline.toml").read_text()
        assert "written by the lightprof TUI" in baseline and "--headless" not in baseline.splitlines()[0]
        figure = re.search(r"cold_start_p95 = ([0-9.e-]+)", baseline)
        assert figure is not None and len(figure.group(1)) <= 16  # no float noise such as 0.12375388504999997
        assert app.rows[0].baseline == pytest.approx(app.rows[0].measured)
        await pilot.press("w")
        await pilot.pause()

    text = profile_path.read_text()
    assert text.startswith("# team budgets")
    assert load_profile(profile_path).targets[0].budget["cold_start_p95"] == pytest.approx(1e-6)


@run_async
async def test_quitting_mid_run_leaves_no_target_process_alive() -> None:
    marker = f"lightprof-test-{uuid.uuid4()}"
    app = app_for([sys.executable, "-c", TREE, marker])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await wait_until(pilot, lambda: len(marked(marker)) >= 2)
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.measuring, timeout=20)
    deadline = time.monotonic() + 3
    while marked(marker) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert marked(marker) == []


@run_async
async def test_a_saved_report_opens_read_only() -> None:
    app = LightprofApp(report=load_report(REPORT))
    async with app.run_test(size=SIZE) as pilot:
        assert set(app.live) == {"server", "cli"}
        await pilot.press("r")
        assert not app.measuring
        await pilot.press("3")
        table = app.query_one("#bud-table", DataTable)
        assert table.row_count == len(load_report(REPORT).budgets)
        await pilot.press("s", "w")
        assert app.rows == load_report(REPORT).budgets


@run_async
async def test_every_pane_shows_its_subject_even_when_chosen_before_it_was_mounted() -> None:
    # Hidden panes mount lazily after the first paint; a tab chosen at once must still be drawn.
    for key, selector, expected in (("2", "#mem-figures", "steady"), ("4", "#sizes-heading", "artifacts and images")):
        app = LightprofApp(report=load_report(REPORT))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press(key)
            await wait_until(pilot, lambda a=app, s=selector, e=expected: e in str(a.query_one(s, Static).content))
