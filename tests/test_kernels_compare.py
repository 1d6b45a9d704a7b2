"""The output comparison catches a wrong kernel; approximate comparison tolerates float order."""

from __future__ import annotations

from pathlib import Path

import pytest
from kernels_support import GOOD_SUM, make_kernel, spec_for

from lightprof.gate.kernels import kernel_figures
from lightprof.measure.kernels import measure_kernel

# Sums every byte but the last: right on empty input, wrong on everything else.
OFF_BY_ONE = GOOD_SUM.replace(
    "(local.set $end (i32.add (local.get $p) (local.get $n)))",
    "(local.set $end (i32.sub (i32.add (local.get $p) (local.get $n)) (i32.const 1)))",
)


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIGHTPROF_CACHE_DIR", str(tmp_path / "cache"))


def test_a_deliberately_wrong_kernel_is_caught(tmp_path: Path) -> None:
    make_kernel(tmp_path, "wrong", wat=OFF_BY_ONE)
    result = measure_kernel(spec_for(tmp_path, "wrong"))
    assert result.failure == "mismatch" and result.error is None
    assert "1 byte" in (result.mismatch or "")
    failed = [c for c in result.correctness if not c.ok]
    assert failed and all(c.implementation == "wasm" for c in failed)
    assert next(c for c in result.correctness if c.case == "empty").ok


def test_a_wrong_kernel_fails_the_gate(tmp_path: Path) -> None:
    make_kernel(tmp_path, "wrong", wat=OFF_BY_ONE)
    spec = spec_for(tmp_path, "wrong")
    figures = kernel_figures(spec, measure_kernel(spec))
    assert figures and all(f.forced_verdict == "fail" for f in figures)


def test_a_correct_user_kernel_passes(tmp_path: Path) -> None:
    make_kernel(tmp_path, "good", wat=GOOD_SUM)
    result = measure_kernel(spec_for(tmp_path, "good", sizes=(100, 1000)))
    assert result.error is None
    assert not result.builtin
    assert all(c.ok for c in result.correctness)
