"""The one wasmtime Engine of this process, and the epoch ticker that bounds every call.

Epoch interruption is the default time bound (FIELD-NOTES: a SIGALRM handler cannot run while
the guest runs; fuel costs more on scalar loops). A daemon thread bumps the engine's epoch every
`TICK_S` while at least one measure holds `ticking()`; each call sets its deadline in ticks.
"""

from __future__ import annotations

import os
import platform
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import wasmtime

TICK_S = 0.05
_lock = threading.Lock()
_engine: wasmtime.Engine | None = None
_users = 0
_stop: threading.Event | None = None


@cache
def wasmtime_version() -> str:
    """wasmtime-py's version, read from the name of its dist-info folder.

    importlib.metadata.version scans every installed distribution (~30 ms here): more than a
    disk-cache hit saves over a compile, and it is part of the cache key.
    """
    site = os.path.dirname(os.path.dirname(os.path.abspath(wasmtime.__file__)))
    try:
        found = [entry for entry in os.listdir(site) if entry.startswith("wasmtime-") and entry.endswith(".dist-info")]
    except OSError:
        found = []
    if len(found) == 1:
        return found[0][len("wasmtime-") : -len(".dist-info")]
    try:  # none, or stale ones beside the real one: ask the slow, exact way
        from importlib.metadata import version

        return version("wasmtime")
    except Exception:  # metadata missing (vendored install): the module may still say
        return str(getattr(wasmtime, "__version__", "unknown"))


def _native_build() -> str:
    """Which wasmtime library this process runs: the size, mtime and inode of the native library
    the binding loaded (one stat, where listing site-packages for the version costs ~0.1 ms)."""
    library = getattr(getattr(wasmtime, "_ffi", None), "filename", None)
    try:
        info = os.stat(library) if library is not None else None
    except OSError:
        info = None
    if info is None:  # an unusual install: the version names the build instead
        return f"version {wasmtime_version()}"
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"


@cache
def config_key() -> str:
    """Everything that makes a compiled module valid only for this engine (the cache key).

    A module compiled by another wasmtime build would be refused by deserialize anyway (and then
    recompiled); naming the build in the key keeps two builds from overwriting each other's entry.
    """
    return f"wasmtime={_native_build()};epoch=1;simd=1;opt=speed;arch={platform.machine()}"


def engine() -> wasmtime.Engine:
    """The process-wide Engine (created on first use; Engines are thread-safe)."""
    global _engine
    with _lock:
        if _engine is None:
            config = wasmtime.Config()
            config.epoch_interruption = True
            config.cranelift_opt_level = "speed"
            _engine = wasmtime.Engine(config)
        return _engine


def deadline_ticks(timeout_s: float) -> int:
    """Epoch ticks for a per-call bound of `timeout_s` (the call may run up to one tick less)."""
    return max(2, round(timeout_s / TICK_S) + 1)


def _tick(stop: threading.Event, eng: wasmtime.Engine) -> None:
    while not stop.wait(TICK_S):
        eng.increment_epoch()


@contextmanager
def ticking() -> Iterator[wasmtime.Engine]:
    """Keep the epoch ticker running while the body calls into Wasm."""
    global _users, _stop
    eng = engine()
    with _lock:
        _users += 1
        if _users == 1:
            _stop = threading.Event()
            threading.Thread(target=_tick, args=(_stop, eng), name="lightprof-epoch", daemon=True).start()
    try:
        yield eng
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _stop is not None:
                _stop.set()
                _stop = None
