"""The TUI's controller, without Textual: what it measures goes through the session and is judged
exactly as `--headless` judges it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from lightprof.profile.load import load_profile
from lightprof.session import measure_profile
from lightprof.tui.controller import Controller, PlannedBudget
from lightprof.tui.shims import shim_note
from tests.sizes_helpers import Layer, write_docker_save


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIGHTPROF_CACHE_DIR", str(tmp_path / "cache"))


def _profile(tmp_path: Path) -> Path:
    """A profile with an artifact (over budget), an image (wasted bytes over the limit) and a
    kernel whose Wasm side beats its fallback by far, so each verdict is the same run after run."""
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app.js").write_bytes(random.Random(1).randbytes(20_000))
    app = random.Random(2).randbytes(5000)
    write_docker_save(tmp_path / "image.tar", [
        Layer(dirs=["bin"], files={"bin/app": app}, created_by="ADD app"),
        Layer(files={"bin/app": app + b"!"}, created_by="COPY app"),
    ])
    path = tmp_path / "lightprof.toml"
    path.write_text(
        'version = 1\nname = "same"\n'
        '[[artifact]]\nname = "bundle"\npath = "dist/*.js"\nbudget = "10kB"\n'
        '[[image]]\nname = "img"\npath = "image.tar"\nbudget = "1MB"\nwasted_max = "1kB"\n'
        '[[kernel]]\nname = "sum_u8"\nsizes = ["64KiB"]\nruns = 10\n'
    )
    return path


def _rows(rows: list) -> set[tuple[str, str, str]]:
    return {(row.subject, row.metric, row.verdict) for row in rows}


def test_kernel_artifact_and_image_measured_by_the_controller_get_the_headless_rows(tmp_path: Path) -> None:
    profile = load_profile(_profile(tmp_path))
    headless = measure_profile(profile)

    ctl = Controller(profile)
    ctl.rejudge()
    assert all(isinstance(row, PlannedBudget) and row.verdict is None for row in ctl.rows)
    assert {ctl.state(name) for name, _kind in ctl.subjects()} == {"idle"}
    for part in (ctl.part(sizes=True), ctl.part(kernel=profile.kernels[0])):
        cancel = ctl.begin(part)
        ctl.measure(part, cancel)  # what the app's worker thread runs
        ctl.drain()

    assert _rows(ctl.rows) == _rows(headless.budgets)
    assert ("bundle", "size", "fail") in _rows(ctl.rows)
    assert ("img", "wasted_bytes", "fail") in _rows(ctl.rows)
    assert ("sum_u8", "wasm_vs_fallback@64KiB", "pass") in _rows(ctl.rows)
    assert ctl.state("bundle") == "fail" and ctl.state("sum_u8") == "pass"
    assert ctl.result is not None and ctl.result.exit_code == headless.exit_code == 1


def test_an_edited_budget_is_judged_by_the_session_and_saved_to_its_table(tmp_path: Path) -> None:
    path = _profile(tmp_path)
    ctl = Controller(load_profile(path))
    part = ctl.part(sizes=True)
    ctl.measure(part, ctl.begin(part))
    ctl.drain()
    assert ctl.editable("bundle", "size") is None
    assert ctl.editable("sum_u8", "wasm_vs_fallback@64KiB") is not None
    ctl.set_budget("bundle", "size", 50_000)
    assert ("bundle", "size", "pass") in _rows(ctl.rows)
    ctl.save()
    text = path.read_text()
    assert 'budget = "48.8KiB"' in text or 'budget = "50000B"' in text, text
    assert load_profile(path).artifacts[0].budget in (50_000, round(48.8 * 1024))


def test_a_pyenv_shim_is_named_with_the_interpreter_it_runs(tmp_path: Path) -> None:
    root = tmp_path / "pyenv"
    (root / "shims").mkdir(parents=True)
    shim = root / "shims" / "python3"
    shim.write_text("#!/usr/bin/env bash\nexec pyenv exec python3 \"$@\"\n")
    shim.chmod(0o755)
    real = root / "versions" / "3.11.7" / "bin" / "python3"
    real.parent.mkdir(parents=True)
    real.write_text("")
    (tmp_path / ".python-version").write_text("3.11.7\n")
    env = {"PATH": f"{root / 'shims'}:/usr/bin", "PYENV_ROOT": str(root)}
    note = shim_note(("python3", "-c", "pass"), tmp_path, env)
    assert note is not None and "pyenv shim" in note and str(real) in note
    assert shim_note(("python3", "-c", "pass"), tmp_path, {"PATH": "/usr/bin"}) is None
