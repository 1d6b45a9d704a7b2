"""The kernels lab stays off the light paths: importing it loads neither wasmtime nor NumPy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys\nprint(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_importing_the_lab_loads_no_wasmtime_or_numpy() -> None:
    loaded = _loaded_after("import lightprof.measure.kernels, lightprof.model.kernels")
    assert "wasmtime" not in loaded and "numpy" not in loaded


def test_measuring_a_kernel_loads_wasmtime_but_not_numpy_for_a_kernel_without_it() -> None:
    loaded = _loaded_after(
        "from pathlib import Path\n"
        "from lightprof.profile.spec import KernelSpec\n"
        "from lightprof.measure.kernels import measure_kernel\n"
        "r = measure_kernel(KernelSpec('crc32', Path('.'), sizes=(64,), runs=1))\n"
        "assert r.error is None, r.error\n"
    )
    assert "wasmtime" in loaded and "numpy" not in loaded


def test_version_loads_no_kernel_machinery() -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "lightprof", "--version"],
                         cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-500:]
    for heavy in ("wasmtime", "numpy", "lightprof.measure.kernels.lab"):
        assert f" {heavy}\n" not in out.stderr and f" {heavy}." not in out.stderr
