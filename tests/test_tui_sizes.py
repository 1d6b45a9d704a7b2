"""The sizes pane driven by keys (Textual's Pilot): real files and a real image archive built here."""

from __future__ import annotations

import io
import random
from pathlib import Path

from rich.console import Console
from textual.widgets import DataTable, Static

from lightprof.model.report_file import load_report
from lightprof.profile.load import load_profile
from lightprof.tui.app import LightprofApp
from lightprof.tui.numbers import size as format_size
from lightprof.tui.panes.sizes import SizesPane
from tests.sizes_helpers import Layer, write_docker_save
from tests.tui_support import run_async, wait_until

REPORT = Path(__file__).parent / "fixtures" / "report.json"
SIZE = (120, 40)




def plain(app: LightprofApp, selector: str) -> str:
    """What a Static shows, as plain text (its Rich renderable printed without colour)."""
    console = Console(width=200, color_system=None, file=io.StringIO())
    console.print(app.query_one(selector, Static).content)
    return console.file.getvalue()  # type: ignore[attr-defined]


def table_text(app: LightprofApp, selector: str = "#sizes-table") -> str:
    table = app.query_one(selector, DataTable)
    cells = [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]
    return "\n".join(cells)


def write_project(tmp_path: Path) -> tuple[Path, int]:
    """A profile with an artifact over files written here and an image archive built here."""
    dist = tmp_path / "dist"
    dist.mkdir()
    rng = random.Random(7)
    files = {"app.js": b"console.log('hello');\n" * 400, "kernel.wasm": rng.randbytes(3000), "a.css": b"a{}" * 50}
    for name, data in files.items():
        (dist / name).write_bytes(data)
    layers = [
        Layer(dirs=["etc", "bin"], files={"etc/config": rng.randbytes(100), "bin/app": rng.randbytes(5000)},
              created_by="/bin/sh -c #(nop) ADD file:base in /"),
        Layer(files={"bin/app": rng.randbytes(6000), "opt/tool/only-in-layer-two.bin": rng.randbytes(7777)},
              created_by="COPY app /bin/app"),
        Layer(whiteouts=["etc/config"], created_by="RUN rm /etc/config"),
    ]
    (tmp_path / "build").mkdir()
    write_docker_save(tmp_path / "build" / "api.tar", layers)
    (tmp_path / "lightprof.toml").write_text(
        'version = 1\nname = "sizes"\n'
        '[[artifact]]\nname = "bundle"\npath = "dist"\ncompression = "gzip"\nbudget = "150kB"\n'
        '[[image]]\nname = "api-image"\npath = "build/api.tar"\nbudget = "1MB"\nwasted_max = "1kB"\n'
    )
    return tmp_path / "lightprof.toml", sum(len(data) for data in files.values())


@run_async
async def test_r_sizes_the_profile_and_a_layer_opens_to_its_files(tmp_path: Path) -> None:
    profile, written = write_project(tmp_path)
    app = LightprofApp(profile=load_profile(profile))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        pane = app.query_one(SizesPane)
        await wait_until(pilot, lambda: pane.selected == "bundle")  # the first subject of the list
        assert "not measured yet · press r to size them" in plain(app, "#sizes-head")
        assert pane.check_action("run", ()) is True

        await pilot.press("r")
        await wait_until(pilot, lambda: not pane.sizing and "api-image" in pane.images)
        artifact = pane.artifacts["bundle"]
        assert artifact.raw_bytes == written and artifact.files == 3
        head = plain(app, "#sizes-head")
        assert format_size(written, si=True) in head and "gzip" in head
        assert "kernel.wasm" in table_text(app) and "◆ wasm" in table_text(app)
        assert "size" in plain(app, "#sizes-budgets") and "pass" in plain(app, "#sizes-budgets")

        await pilot.press("down")  # the app's subject list: bundle → api-image
        await wait_until(pilot, lambda: pane.selected == "api-image")
        head = plain(app, "#sizes-head")
        assert "docker-save" in head and "wasted" in head
        assert "fail" in plain(app, "#sizes-budgets")  # wasted 11.1 kB over a 1 kB budget
        assert "COPY app /bin/app" in table_text(app)

        await pilot.press("enter", "down", "l")  # into the layers, second layer, open it
        await wait_until(pilot, lambda: pane.view == "layer")
        assert pane.layer_index == 1
        assert "/opt/tool/only-in-layer-two.bin" in table_text(app)
        assert "/etc/config" not in table_text(app)

        await pilot.press("escape")
        await wait_until(pilot, lambda: pane.view == "layers")
        assert "COPY app /bin/app" in table_text(app)
        await pilot.press("escape")  # up from the layers: back to the subject list
        assert app.focused is app.query_one("#subjects")


@run_async
async def test_sized_subjects_are_judged_like_targets_in_the_subject_list_and_budgets(tmp_path: Path) -> None:
    profile, _written = write_project(tmp_path)
    app = LightprofApp(profile=load_profile(profile))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "r")
        pane = app.query_one(SizesPane)
        await wait_until(pilot, lambda: not pane.sizing and "api-image" in pane.images)
        verdicts = {(row.subject, row.metric): row.verdict for row in app.rows}
        assert verdicts[("bundle", "size")] == "pass"
        assert verdicts[("api-image", "wasted_bytes")] == "fail"
        # The bundle ships kernel.wasm and the profile has no [[kernel]]: the practice's rule fails it.
        assert verdicts[("bundle", "wasm_kernel_sample")] == "fail"
        assert {name: app.ctl.state(name) for name in ("bundle", "api-image")} == {
            "bundle": "fail", "api-image": "fail"}
        await pilot.press("3")
        assert app.query_one("#bud-table", DataTable).row_count == len(app.rows) >= 3


@run_async
async def test_unreadable_subjects_say_why_and_engine_images_are_left_to_headless(tmp_path: Path) -> None:
    (tmp_path / "lightprof.toml").write_text(
        'version = 1\nname = "odd"\n[[artifact]]\nname = "gone"\npath = "nowhere/app.js"\nbudget = "1kB"\n'
        '[[image]]\nname = "remote"\nimage = "example/never-pulled:1"\n'
    )
    app = LightprofApp(profile=load_profile(tmp_path / "lightprof.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        pane = app.query_one(SizesPane)
        await wait_until(pilot, lambda: pane.selected == "gone")
        await pilot.press("r")
        await wait_until(pilot, lambda: not pane.sizing and "remote" in pane.skipped)
        assert pane.artifacts["gone"].error
        assert "could not be measured" in plain(app, "#sizes-head")
        assert "unmeasured" in plain(app, "#sizes-budgets")
        await pilot.press("down")
        await wait_until(pilot, lambda: pane.selected == "remote")
        assert "remote" not in pane.images  # saving it would start docker or podman: not from the TUI
        assert "does not start docker or podman" in plain(app, "#sizes-head")


@run_async
async def test_a_saved_report_shows_the_image_waste_and_offers_no_sizing() -> None:
    app = LightprofApp(report=load_report(REPORT))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        pane = app.query_one(SizesPane)
        # A target is selected: the overview lists every artifact and image.
        await wait_until(pilot, lambda: pane.view == "overview")
        assert [line for line in table_text(app).splitlines() if line in ("bundle", "deps", "api-image")] == [
            "bundle", "deps", "api-image"]
        assert app.check_action("run", ()) is False
        await pilot.press("r")
        assert not pane.sizing

        await pilot.press("down", "down", "down", "down")  # server → cli → bundle → deps → api-image
        await wait_until(pilot, lambda: pane.selected == "api-image")
        head = plain(app, "#sizes-head")
        assert "wasted" in head and format_size(5_694_000, si=True) in head and "29.3%" in head
        assert "efficiency" in head and "97.4%" in head and "estimate" in head
        budgets = plain(app, "#sizes-budgets")
        assert "wasted" in budgets and "fail" in budgets
        # A 40-row terminal is tall enough for the wasted paths under the layers.
        assert "/var/cache/debconf/templates.dat" in table_text(app, "#sizes-wasted")
