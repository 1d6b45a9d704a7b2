"""Compiled modules come back from the on-disk cache; untrusted or altered entries do not."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import wasmtime
from kernels_support import GOOD_SUM, builtin

from lightprof.measure.kernels import measure_kernel
from lightprof.measure.kernels.cache import cache_dir, load_module
from lightprof.measure.kernels.engine import engine


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIGHTPROF_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "wasm"


def test_cache_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIGHTPROF_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "lightprof" / "wasm"


def test_second_instantiation_comes_from_the_disk_cache(cache: Path) -> None:
    first = measure_kernel(builtin("sum_u8"))
    second = measure_kernel(builtin("sum_u8"))
    assert not first.cache_hit and first.compile_s is not None
    assert second.cache_hit and second.deserialize_s is not None and second.compile_s is None
    assert second.cache_hits_total == first.cache_hits_total + 1
    assert second.error is None
    assert list(cache.glob("*.cwasm"))


def _stored(cache: Path) -> tuple[bytes, Path]:
    """A module compiled once, so that the cache holds it; its bytes and its one cache entry."""
    wasm = bytes(wasmtime.wat2wasm(GOOD_SUM))
    load_module(engine(), wasm)
    (blob,) = cache.glob("*.cwasm")
    return wasm, blob


def test_altered_cache_entry_is_not_deserialized(cache: Path) -> None:
    wasm, blob = _stored(cache)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    again = load_module(engine(), wasm)
    assert not again.cache_hit


def test_an_entry_rewritten_with_a_fresh_checksum_is_still_refused(cache: Path) -> None:
    """Whoever swaps an entry without the folder's key cannot make its MAC verify."""
    wasm, blob = _stored(cache)
    other = bytes(wasmtime.Module(engine(), wasmtime.wat2wasm("(module)")).serialize())
    blob.write_bytes(other)
    blob.with_suffix(".mac").write_text(hashlib.sha256(other).hexdigest())
    again = load_module(engine(), wasm)
    assert not again.cache_hit


def test_a_fifo_as_a_cache_entry_is_not_waited_for(cache: Path) -> None:
    wasm, blob = _stored(cache)
    blob.unlink()
    os.mkfifo(blob)
    assert not load_module(engine(), wasm).cache_hit


def test_cache_dir_writable_by_others_is_refused_with_a_sentence(cache: Path) -> None:
    wasm = bytes(wasmtime.wat2wasm(GOOD_SUM))
    load_module(engine(), wasm)
    os.chmod(cache, 0o777)
    try:
        for entry in cache.glob("*.cwasm"):
            entry.unlink()
        loaded = load_module(engine(), wasm)
        assert not loaded.cache_hit and loaded.compile_s is not None
        assert "is writable by group or others (mode 777); compiled without the cache" in loaded.note
        assert list(cache.glob("*.cwasm")) == []  # nothing stored there either
        result = measure_kernel(builtin("sum_u8"))
        assert result.error is None and "writable by group or others" in result.cache_note
    finally:
        os.chmod(cache, 0o700)


@pytest.mark.skipif(os.getuid() != 0, reason="giving a folder to another user needs root")
def test_cache_dir_of_another_user_is_refused_with_a_sentence(cache: Path) -> None:
    wasm = bytes(wasmtime.wat2wasm(GOOD_SUM))
    load_module(engine(), wasm)
    os.chown(cache, 4242, -1)
    try:
        loaded = load_module(engine(), wasm)
        assert not loaded.cache_hit and "belongs to another user (uid 4242)" in loaded.note
    finally:
        os.chown(cache, 0, -1)


def test_cached_module_runs_like_a_compiled_one(cache: Path) -> None:
    wasm = bytes(wasmtime.wat2wasm(GOOD_SUM))
    compiled = load_module(engine(), wasm).module
    cached = load_module(engine(), wasm)
    assert cached.cache_hit
    outputs = []
    for module in (compiled, cached.module):
        store = wasmtime.Store(engine())
        store.set_epoch_deadline(100)
        instance = wasmtime.Instance(store, module, [])
        memory = instance.exports(store)["memory"]
        memory.write(store, b"\x01\x02\x03", 100)
        outputs.append(instance.exports(store)["k"](store, 100, 3))
    assert outputs == [6, 6]
