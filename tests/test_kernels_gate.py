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


# A built web app that ships dist/ (the `wasm_dist` fixture), and the built-in crc32 kernel at one size.
WEB_DIST = """
    version = 1
    name = "web"
    [[artifact]]
    name = "dist"
    path = "dist"
"""
CRC32_64K = """
    [[kernel]]
    name = "crc32"
    sizes = ["64KiB"]
    runs = 5
"""


def _headless(tmp_path: Path, *profile: str) -> tuple[int, dict, str]:
    """Run --headless on the profile made of these parts (each dedented on its own)."""
    (tmp_path / "lightprof.toml").write_text("".join(textwrap.dedent(part) for part in profile))
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
    code, data, output = _headless(tmp_path, WEB_DIST)
    assert code == 1, output
    (rule,) = _budget(data, "wasm_kernel_sample")
    assert rule["verdict"] == "fail" and "no [[kernel]] sample" in rule["note"]


def test_an_unrelated_kernel_is_not_a_sample_of_the_shipped_module(tmp_path: Path, wasm_dist: Path) -> None:
    code, data, output = _headless(tmp_path, WEB_DIST, """
        [[kernel]]
        name = "fnv1a32"
        sizes = ["4KiB"]
        runs = 5
    """)
    assert code == 1, output
    (rule,) = _budget(data, "wasm_kernel_sample")
    assert rule["verdict"] == "fail" and "'app.wasm'" in rule["note"] and "none of the profile's 1" in rule["note"]
    assert all(b["verdict"] == "pass" for b in _budget(data, "wasm_vs_fallback"))  # fnv1a32 itself is fine


def _ship_builtin(dist: Path, builtin: str, name: str) -> None:
    wat = (REPO / "kernels" / builtin / "kernel.wat").read_text()
    (dist / name).write_bytes(bytes(wasmtime.wat2wasm(wat)))


def test_a_kernel_whose_wasm_is_the_shipped_file_is_its_sample(tmp_path: Path, wasm_dist: Path) -> None:
    (wasm_dist / "app.wasm").unlink()
    _ship_builtin(wasm_dist, "sum_u8", "sum.wasm")
    folder = tmp_path / "kernels" / "sum"
    folder.mkdir(parents=True)
    toml = (REPO / "kernels" / "sum_u8" / "kernel.toml").read_text().replace('"kernel.wat"', '"../../dist/sum.wasm"')
    (folder / "kernel.toml").write_text(toml)
    (folder / "fallback.py").write_text("def run(data):\n    return sum(data)\n")
    code, data, output = _headless(tmp_path, WEB_DIST, """
        [[kernel]]
        name = "sum"
        path = "kernels/sum"
        sizes = ["1MiB"]
        runs = 5
        justification = "measured here; this test is about which kernel samples the module"
    """)
    assert code == 0, output
    (rule,) = _budget(data, "wasm_kernel_sample")
    assert rule["verdict"] == "pass" and "sum.wasm by kernel 'sum' (same SHA-256)" in rule["note"]


def test_the_shipped_module_is_judged_on_its_kernel(tmp_path: Path, wasm_dist: Path) -> None:
    """The built-in crc32 measures the very module dist/ ships (same bytes, another path); it is
    slower than zlib.crc32, so the gate fails on that kernel's row, while the sample rule holds."""
    (wasm_dist / "app.wasm").unlink()
    _ship_builtin(wasm_dist, "crc32", "crc.wasm")
    code, data, output = _headless(tmp_path, WEB_DIST, CRC32_64K)
    assert code == 1, output
    (rule,) = _budget(data, "wasm_kernel_sample")
    assert rule["verdict"] == "pass" and "crc.wasm by kernel 'crc32'" in rule["note"]
    (row,) = _budget(data, "wasm_vs_fallback@64KiB")
    assert row["verdict"] == "fail"


def test_kernel_slower_than_its_fallback_without_justification_fails(tmp_path: Path) -> None:
    code, data, output = _headless(tmp_path, 'version = 1\nname = "crc"\n', CRC32_64K)
    assert code == 1, output
    (row,) = _budget(data, "wasm_vs_fallback@64KiB")
    assert row["verdict"] == "fail"


def test_kernel_slower_than_its_fallback_with_justification_passes(tmp_path: Path) -> None:
    code, data, output = _headless(tmp_path, 'version = 1\nname = "crc"\n', CRC32_64K,
                                   'justification = "runs in the browser build too, where zlib is not available"\n')
    assert code == 0, output
    (row,) = _budget(data, "wasm_vs_fallback@64KiB")
    assert row["verdict"] == "pass" and "zlib is not available" in row["note"]
    assert data["kernels"][0]["sizes"][0]["speedup"] < 1
