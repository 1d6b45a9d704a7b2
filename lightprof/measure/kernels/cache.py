"""Compiled modules cached on disk: compile once per module, wasmtime version and config.

`Module.deserialize` runs native code from its input, so the cache only trusts what lightprof
itself wrote: files in its own directory (owned by this user, not writable by others), each
opening with a SHA-256 of the module that is checked on the exact bytes handed to deserialize
(so a truncated or altered file is recompiled, never run).
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import wasmtime

from lightprof.measure.kernels import engine as engine_mod
from lightprof.measure.kernels.counters import COUNTERS

_KEY_PREFIX = b"lightprof-wasm-cache-v1\0"


def cache_dir() -> Path:
    """LIGHTPROF_CACHE_DIR › $XDG_CACHE_HOME/lightprof › ~/.cache/lightprof, then /wasm."""
    environ = os.environ
    return _cache_dir(environ.get("LIGHTPROF_CACHE_DIR"), environ.get("XDG_CACHE_HOME"), environ.get("HOME"))


@functools.lru_cache(maxsize=8)
def _cache_dir(explicit: str | None, xdg: str | None, home: str | None) -> Path:
    # Memoised on the variables it reads: building the Path each time was ~7 us of a ~80 us hit.
    if explicit:
        return Path(explicit) / "wasm"
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "lightprof" / "wasm"


def cache_key(wasm: bytes) -> str:
    return hashlib.sha256(_KEY_PREFIX + engine_mod.config_key().encode() + b"\0" + wasm).hexdigest()


@dataclass(frozen=True)
class Loaded:
    module: wasmtime.Module
    cache_hit: bool
    compile_s: float | None
    deserialize_s: float | None


def _trusted(folder: Path) -> bool:
    """Only a directory this user owns and nobody else can write to holds trusted files."""
    try:
        info = os.stat(folder)
    except OSError:
        return False
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read_verified(folder: Path, key: str) -> bytes | None:
    """The cached module's bytes if the entry is lightprof's and intact: one file holding the
    SHA-256 of the module (64 hex digits, a newline) and the module, checked on these bytes.

    Plain os calls rather than pathlib and buffered files: this path is what a cache hit costs,
    and it is meant to be an order of magnitude below a compile (bench/bench_kernels.py).
    """
    if not _trusted(folder):
        return None
    try:
        fd = os.open(os.path.join(folder, key + ".cwasm"), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        entry = os.read(fd, os.fstat(fd).st_size + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    view = memoryview(entry)
    digest, blob = entry[:64], view[65:]
    if entry[64:65] != b"\n" or hashlib.sha256(blob).hexdigest().encode("ascii") != digest:
        return None
    return bytes(blob)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _store(folder: Path, key: str, blob: bytes) -> None:
    """Best effort: a cache that cannot be written only costs a compile next time."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _trusted(folder):
            return
        digest = hashlib.sha256(blob).hexdigest().encode("ascii")
        _write_atomic(folder / f"{key}.cwasm", digest + b"\n" + blob)
    except OSError:
        pass


def load_module(eng: wasmtime.Engine, wasm: bytes, *, use_cache: bool = True) -> Loaded:
    """The compiled module for `wasm`: from the disk cache if a verified entry exists, else
    compiled (and stored). Raises wasmtime.WasmtimeError for a malformed module."""
    folder = cache_dir()
    key = cache_key(wasm)
    if use_cache:
        blob = _read_verified(folder, key)
        if blob is not None:
            started = time.perf_counter()
            try:
                module = wasmtime.Module.deserialize(eng, blob)
            except wasmtime.WasmtimeError:
                module = None  # e.g. written by an incompatible build: recompile below
            if module is not None:
                elapsed = time.perf_counter() - started
                COUNTERS.add("cache_hits_total")
                return Loaded(module, True, None, elapsed)
    started = time.perf_counter()
    module = wasmtime.Module(eng, wasm)
    elapsed = time.perf_counter() - started
    COUNTERS.add("compiles_total")
    if use_cache:
        _store(folder, key, bytes(module.serialize()))
    return Loaded(module, False, elapsed, None)
