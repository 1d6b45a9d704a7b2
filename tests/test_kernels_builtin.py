"""The built-in kernels, measured for real with wasmtime at small sizes (correctness, not speed)."""

from __future__ import annotations

import os

import pytest
from kernels_support import builtin

from lightprof.measure.events import Progress
from lightprof.measure.kernels import measure_kernel
from lightprof.measure.kernels.lab import measure_kernel as lab_measure
from lightprof.measure.kernels.manifest import builtin_names

BUILTINS = ["sum_u8", "dot_f32", "histogram_u8", "count_byte", "fnv1a32", "crc32"]


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIGHTPROF_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "kcache"))


def test_at_least_six_builtins_ship() -> None:
    assert set(BUILTINS) <= set(builtin_names())


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_matches_its_fallback_on_every_case(name: str) -> None:
    result = measure_kernel(builtin(name, sizes=(4096, 65536)))
    assert result.error is None, result.error
    cases = {c.case for c in result.correctness}
    assert {"empty", "1 byte", "17 bytes", "largest (65536 bytes)"} <= cases
    assert all(c.ok for c in result.correctness)


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_reports_a_row_per_size_with_all_figures(name: str) -> None:
    result = measure_kernel(builtin(name, sizes=(1000, 4096)))
    assert [row.size_bytes for row in result.sizes] == [1000, 4096]
    for row in result.sizes:
        assert row.wasm_e2e_s and row.wasm_op_s and row.marshal_s and row.fallback_s
        assert row.wasm_e2e_s.n == 3
        assert row.speedup and row.speedup > 0
        assert 0 < row.marshal_share < 1
        assert row.wasm_bytes_per_cpu_s and row.fallback_ops_per_cpu_s
    assert result.call_overhead_s and result.public_call_overhead_s
    assert result.sandbox and result.sandbox.interruption == "epoch" and not result.sandbox.wasi


def test_numpy_is_timed_and_compared_where_it_has_the_op() -> None:
    result = measure_kernel(builtin("sum_u8"))
    assert result.sizes[0].numpy_s is not None
    assert any(c.implementation == "numpy" for c in result.correctness)
    crc = measure_kernel(builtin("crc32"))
    assert crc.sizes[0].numpy_s is None


@pytest.mark.parametrize("name", BUILTINS)
def test_public_call_path_gives_the_same_outputs(name: str) -> None:
    direct = lab_measure(builtin(name), direct=True)
    public = lab_measure(builtin(name), direct=False)
    assert (direct.call_path, public.call_path) == ("direct", "public")
    assert public.error is None and all(c.ok for c in public.correctness)
    assert [c.case for c in direct.correctness] == [c.case for c in public.correctness]


def test_progress_events_are_emitted() -> None:
    events: list[object] = []
    measure_kernel(builtin("fnv1a32"), on_event=events.append)
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress and all(e.subject == "fnv1a32" and e.total > 0 for e in progress)


def test_break_even_is_none_for_the_honest_loss() -> None:
    result = measure_kernel(builtin("crc32", sizes=(4096, 65536)))
    assert result.break_even_bytes is None
    assert "fallback is faster" in result.break_even_note


def test_unknown_builtin_is_a_named_failure() -> None:
    result = measure_kernel(builtin("no_such_kernel"))
    assert result.failure == "manifest"
    assert "no built-in kernel named 'no_such_kernel'" in (result.error or "")


def test_cancel_stops_the_measure() -> None:
    import threading

    cancel = threading.Event()
    cancel.set()
    result = measure_kernel(builtin("sum_u8"), cancel=cancel)
    assert result.failure == "cancelled"


def test_counters_are_reported() -> None:
    result = measure_kernel(builtin("sum_u8"))
    assert result.instantiates_total >= 1
    assert result.cache_hits_total + result.compiles_total >= 1
    assert os.environ["LIGHTPROF_CACHE_DIR"]
