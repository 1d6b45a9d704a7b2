"""Hostile kernels end as clear, named failures; the process stays healthy and keeps measuring."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

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


_WHOLE_SUM = bytes(wasmtime.wat2wasm(GOOD_SUM))


# Each hostile module (what make_kernel is given), the failure it must end as and words of its error.
@pytest.mark.parametrize(
    ("module", "failure", "words"),
    [
        pytest.param({"wat": MEMORY_BOMB}, "memory", "cap", id="memory growth past the cap"),
        pytest.param({"wat": TRAP}, "trap", "unreachable", id="a trap"),
        pytest.param({"wasm": _WHOLE_SUM[: len(_WHOLE_SUM) // 2]}, "malformed", "not a valid Wasm module",
                     id="truncated wasm"),
        pytest.param({"wat": WRONG_SIGNATURE}, "signature", "(i32) -> (i32)", id="wrong export signature"),
        pytest.param({"wat": IMPORTS_HOST}, "imports", "env.read_file", id="undeclared host import"),
        pytest.param({"wat": IMPORTS_HOST, "imports": '["env.read_file"]'}, "trap", "",
                     id="declared host import, called"),
    ],
)
def test_a_hostile_kernel_is_a_named_failure_and_the_next_kernel_still_measures(
    tmp_path: Path, module: dict[str, Any], failure: str, words: str
) -> None:
    make_kernel(tmp_path, "hostile", **module)
    result = measure_kernel(spec_for(tmp_path, "hostile"))
    assert result.failure == failure, result.error
    assert words in (result.error or "")
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
