"""The kernels pane, driven with Textual's Pilot: shows results, picks sizes, runs a real kernel."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App, ComposeResult
from textual.widgets import OptionList, Static

from lightprof.model.kernels import KernelResult, KernelSizeRow
from lightprof.profile.spec import KernelSpec, Profile
from lightprof.session import new_result
from lightprof.stats import summarize
from lightprof.tui.app import LightprofApp
from lightprof.tui.controller import Controller
from lightprof.tui.panes.kernels import KernelsPane
from tests.tui_support import run_async, wait_until


class _Host(App[None]):
    def compose(self) -> ComposeResult:
        yield KernelsPane(id="kernels")


def _ctl(kernels: list[KernelResult]) -> Controller:
    """A controller over a profile naming these kernels, with them measured."""
    profile = Profile(name="k", path=None, origin="adhoc",
                      kernels=tuple(KernelSpec(name=k.name, base_dir=Path.cwd(), sizes=(4096,)) for k in kernels))
    ctl = Controller(profile)
    ctl.result = new_result(profile)
    ctl.result.kernels = list(kernels)
    ctl.rejudge()
    return ctl


def _fixed() -> KernelResult:
    wasm, fallback = [4e-6, 4.2e-6, 5e-6], [19e-6, 19.5e-6, 21e-6]
    row = KernelSizeRow(size_bytes=4096, runs=3, wasm_e2e_s=summarize(wasm), wasm_op_s=summarize([2.5e-6] * 3),
                        marshal_s=summarize([1.5e-6] * 3), fallback_s=summarize(fallback), speedup=4.6,
                        marshal_share=0.36, wasm_bytes_per_cpu_s=9e8, fallback_bytes_per_cpu_s=2e8,
                        wasm_e2e_samples_s=wasm, fallback_samples_s=fallback)
    return KernelResult(name="sum_u8", summary="Sum of all bytes", sizes=[row], break_even_bytes=985,
                        call_overhead_s=summarize([2.3e-6] * 3), public_call_overhead_s=summarize([25e-6] * 3),
                        call_path="direct", compile_s=0.001, instantiates_total=1, compiles_total=1)


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIGHTPROF_CACHE_DIR", str(tmp_path / "cache"))


def _figures(app: App) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(app.query_one("#kernels-figures", Static).content)
    return console.export_text()


@run_async
async def test_shows_speedup_break_even_and_counters() -> None:
    app = _Host()
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(KernelsPane).show(_ctl([_fixed()]))
        await pilot.pause()
        text = _figures(app)
        assert "4.60× vs fallback" in text and "break-even 985 B" in text
        assert "marshaling share 36%" in text and "instantiates 1" in text


@run_async
async def test_lists_builtins_that_were_not_measured() -> None:
    app = _Host()
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(KernelsPane).show(_ctl([_fixed()]))
        await pilot.pause()
        listing = app.query_one(OptionList)
        ids = [listing.get_option_at_index(i).id for i in range(listing.option_count)]
        assert ids[0] == "sum_u8" and {"crc32", "fnv1a32"} <= set(ids)


@run_async
async def test_size_key_moves_the_selection() -> None:
    app = _Host()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.query_one(KernelsPane)
        pane.show(_ctl([_fixed()]))
        app.query_one(OptionList).focus()
        first = pane.selected_size()
        pane.step_size(1)
        assert pane.selected_size() != first


@run_async
async def test_run_key_measures_the_selected_kernel_through_the_session() -> None:
    app = LightprofApp(profile=Profile(name="k", path=None, origin="adhoc"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_until(pilot, lambda: bool(app.query(KernelsPane)) and bool(app.query_one(KernelsPane).order))
        pane = app.query_one(KernelsPane)
        listing = pane.query_one(OptionList)
        listing.focus()
        listing.highlighted = pane.order.index("fnv1a32")
        await pilot.pause()
        assert pane.selected == "fnv1a32"
        await pilot.press("r")
        await wait_until(pilot, lambda: not app.measuring and "fnv1a32" in pane.results, timeout=90)
        result = pane.results["fnv1a32"]
        assert result.error is None and result.sizes[0].size_bytes == pane.selected_size()
        assert "vs fallback" in _figures(app)
