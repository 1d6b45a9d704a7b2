"""End to end through the CLI: the two kernel gate rules, each failing (exit 1) and passing (exit 0).

`python -m lightprof --headless -p profile.toml` runs in a subprocess with real wasmtime and the
real built-in kernels, small run counts, and a cache directory of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import wasmtime

REPO = Path(__file__).resolve().parent.parent


def _headless(tmp_path: Path, profile: str) -> tuple[int, dict, str]:
    (tmp_path / "lightprof.toml").write_text(textwrap.dedent(profile))
    report = tmp_path / "report.json"
    env = {**os.environ, "LIGHTPROF_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "lightprof", "--headless", "-p", "lightprof.toml", "--json", str(report)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180,
    )
    data = json.loads(report.read_text()) if report.exists() else {}
    return done.returncode, data, done.stdout + done.stderr


@pytest.fixture
def wasm_dist(tmp_path: Path) -> Path:
    """A built web app folder that ships a .wasm module."""
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "app.js").write_text("console.log('hi')\n")
    (dist / "app.wasm").write_bytes(bytes(wasmtime.wat2wasm("(module)")))
    return dist


def _budget(data: dict, metric_prefix: str) -> list[dict]:
    return [b for b in data.get("budgets", []) if b["metric"].startswith(metric_prefix)]


def test_wasm_in_an_artifact_without_a_kernel_sample_fails(tmp_path: Path, wasm_dist: Path) -> None:
    code, data, output = _headless(tmp_path, """
        version = 1
        name = "web"
        [[artifact]]
        name = "dist"
        path = "dist"
    """)
    assert code == 1, output
    (rule,) = _budget(data, "wasm_kernel_sample")
    assert rule["verdict"] == "fail" and "no [[kernel]] sample" in rule["note"]


def test_wasm_in_an_artifact_with_a_kernel_sample_passes(tmp_path: Path, wasm_dist: Path) -> None:
    code, data, output = _headless(tmp_path, """
        version = 1
        name = "web"
        [[artifact]]
        name = "dist"
        path = "dist"
        [[kernel]]
        name = "fnv1a32"
        sizes = ["4KiB"]
        runs = 5
    """)
    assert code == 0, output
    assert all(b["verdict"] == "pass" for b in _budget(data, "wasm_kernel_sample"))


def test_kernel_slower_than_its_fallback_without_justification_fails(tmp_path: Path) -> None:
    code, data, output = _headless(tmp_path, """
        version = 1
        name = "crc"
        [[kernel]]
        name = "crc32"
        sizes = ["64KiB"]
        runs = 5
    """)
    assert code == 1, output
    (row,) = _budget(data, "wasm_vs_fallback@64KiB")
    assert row["verdict"] == "fail"


def test_kernel_slower_than_its_fallback_with_justification_passes(tmp_path: Path) -> None:
    code, data, output = _headless(tmp_path, """
        version = 1
        name = "crc"
        [[kernel]]
        name = "crc32"
        sizes = ["64KiB"]
        runs = 5
        justification = "runs in the browser build too, where zlib is not available"
    """)
    assert code == 0, output
    (row,) = _budget(data, "wasm_vs_fallback@64KiB")
    assert row["verdict"] == "pass" and "zlib is not available" in row["note"]
    assert data["kernels"][0]["sizes"][0]["speedup"] < 1
