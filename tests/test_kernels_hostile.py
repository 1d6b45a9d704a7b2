"""Hostile kernels end as clear, named failures; the process stays healthy and keeps measuring."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import wasmtime
from kernels_support import GOOD_SUM, builtin, make_kernel, spec_for

from lightprof.measure.kernels import measure_kernel

ENDLESS = """
(module (memory (export "memory") 1)
  (func (export "k") (param i32 i32) (result i64) (loop $l (br $l)) (i64.const 0)))
"""
MEMORY_BOMB = """
(module (memory (export "memory") 1)
  (func (export "k") (param i32 i32) (result i64)
    (block $full (loop $l
      (br_if $full (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
      (br $l)))
    unreachable))
"""
TRAP = """
(module (memory (export "memory") 1)
  (func (export "k") (param i32 i32) (result i64) unreachable))
"""
WRONG_SIGNATURE = """
(module (memory (export "memory") 1)
  (func (export "k") (param i32) (result i32) (i32.const 0)))
"""
IMPORTS_HOST = """
(module (import "env" "read_file" (func $rf (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "k") (param i32 i32) (result i64) (i64.extend_i32_u (call $rf (i32.const 0)))))
"""


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIGHTPROF_CACHE_DIR", str(tmp_path / "cache"))


def _healthy() -> None:
    """Another kernel still measures correctly after the hostile one."""
    result = measure_kernel(builtin("sum_u8"))
    assert result.error is None and all(c.ok for c in result.correctness)


def test_endless_loop_is_stopped_within_two_seconds(tmp_path: Path) -> None:
    make_kernel(tmp_path, "endless", wat=ENDLESS)
    started = time.monotonic()
    result = measure_kernel(spec_for(tmp_path, "endless"))
    assert time.monotonic() - started < 2.0
    assert result.failure == "timeout"
    assert "time bound" in (result.error or "")
    _healthy()


def test_memory_growth_past_the_cap_is_a_memory_failure(tmp_path: Path) -> None:
    make_kernel(tmp_path, "bomb", wat=MEMORY_BOMB)
    result = measure_kernel(spec_for(tmp_path, "bomb"))
    assert result.failure == "memory"
    assert "cap" in (result.error or "")
    _healthy()


def test_trap_is_a_trap_failure(tmp_path: Path) -> None:
    make_kernel(tmp_path, "trap", wat=TRAP)
    result = measure_kernel(spec_for(tmp_path, "trap"))
    assert result.failure == "trap"
    assert "unreachable" in (result.error or "")
    _healthy()


def test_truncated_wasm_is_a_malformed_failure(tmp_path: Path) -> None:
    whole = wasmtime.wat2wasm(GOOD_SUM)
    make_kernel(tmp_path, "truncated", wasm=bytes(whole)[: len(whole) // 2])
    result = measure_kernel(spec_for(tmp_path, "truncated"))
    assert result.failure == "malformed"
    assert "not a valid Wasm module" in (result.error or "")
    _healthy()


def test_wrong_export_signature_is_a_signature_failure(tmp_path: Path) -> None:
    make_kernel(tmp_path, "sig", wat=WRONG_SIGNATURE)
    result = measure_kernel(spec_for(tmp_path, "sig"))
    assert result.failure == "signature"
    assert "(i32) -> (i32)" in (result.error or "")
    _healthy()


def test_undeclared_host_import_is_refused(tmp_path: Path) -> None:
    make_kernel(tmp_path, "imp", wat=IMPORTS_HOST)
    result = measure_kernel(spec_for(tmp_path, "imp"))
    assert result.failure == "imports"
    assert "env.read_file" in (result.error or "")


def test_declared_host_import_traps_when_called(tmp_path: Path) -> None:
    make_kernel(tmp_path, "imp", wat=IMPORTS_HOST, imports='["env.read_file"]')
    result = measure_kernel(spec_for(tmp_path, "imp"))
    assert result.failure == "trap"
    _healthy()


def test_failing_fallback_is_a_named_failure(tmp_path: Path) -> None:
    make_kernel(tmp_path, "badfb", wat=GOOD_SUM, fallback="def run(data):\n    raise RuntimeError('boom')\n")
    result = measure_kernel(spec_for(tmp_path, "badfb"))
    assert result.failure == "fallback"
    assert "boom" in (result.error or "")


def test_hostile_and_good_kernels_in_one_run(tmp_path: Path) -> None:
    make_kernel(tmp_path, "endless", wat=ENDLESS)
    make_kernel(tmp_path, "good", wat=GOOD_SUM)
    results = [measure_kernel(spec_for(tmp_path, n)) for n in ("endless", "good")]
    assert results[0].failure == "timeout", results[0].error
    assert results[1].error is None
