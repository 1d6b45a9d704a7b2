"""Compiled modules cached on disk: compile once per module, wasmtime version and config.

`Module.deserialize` runs native code from its input, so the cache trusts only what lightprof
itself wrote, and checks it before deserializing:

- the folder must be the user's own and writable by nobody else (as ssh requires of ~/.ssh);
  otherwise the cache is not used at all, the result says why (`cache_note`), and the module is
  compiled;
- each entry `KEY.cwasm` has a MAC beside it, `KEY.mac`: HMAC-SHA256 of the entry under a random
  key (`hmac.key`, 0600) that lightprof created in that folder. An entry whose MAC does not verify
  (truncated, corrupted, replaced by a file from elsewhere, or rewritten with a plain checksum) is
  recompiled, never deserialized. This does not stop someone who can write as this user: they
  can read the key too. It protects against accidents and against files that lightprof did not
  write, not against the user's own account being taken.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import wasmtime

from lightprof.measure.kernels import engine as engine_mod
from lightprof.measure.kernels.counters import COUNTERS

_KEY_PREFIX = b"lightprof-wasm-cache-v2\0"  # v2: MAC beside the entry


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
    note: str = ""  # why the cache was not used, when it was not


_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def untrusted(folder: Path) -> str | None:
    """Why `folder` cannot hold trusted entries (one sentence), or None if it can."""
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return None  # created below with mode 0700
    except OSError as exc:
        return f"the module cache folder {folder} cannot be read ({exc.strerror}); compiled without the cache"
    if not stat.S_ISDIR(info.st_mode):
        return f"the module cache folder {folder} is not a folder (a symlink or a file); compiled without the cache"
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return (f"the module cache folder {folder} belongs to another user (uid {info.st_uid}); "
                "compiled without the cache")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return (f"the module cache folder {folder} is writable by group or others (mode "
                f"{stat.S_IMODE(info.st_mode):o}); compiled without the cache: chmod 700 it to use it")
    return None


def _read_own(path: str, limit: int) -> bytes | None:
    """A regular file of this user's, read without following a symlink or blocking; else None."""
    try:
        fd = os.open(path, _FILE_FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return None
        return os.read(fd, info.st_size + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


_mac_keys: dict[Path, bytes] = {}


def _mac_key(folder: Path) -> bytes | None:
    """The folder's MAC key (read once per process), created on first use; None if it cannot be
    had safely, or does not exist yet and `folder` does not either."""
    if folder in _mac_keys:
        return _mac_keys[folder]
    key = _load_mac_key(folder)
    if key is not None:
        _mac_keys[folder] = key
    return key


def _load_mac_key(folder: Path) -> bytes | None:
    path = os.path.join(folder, "hmac.key")
    key = _read_own(path, 64)
    if key is not None and len(key) == 32 and stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0:
        return key
    if key is not None:
        return None  # there is one, but not one this user alone can read: do not trust the folder
    key = os.urandom(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # another lightprof made one meanwhile
        again = _read_own(path, 64)
        return again if again is not None and len(again) == 32 else None
    except OSError:
        return None
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    return key


def _mac(key: bytes, name: str, blob: bytes | memoryview) -> bytes:
    return hmac.new(key, name.encode() + b"\0" + bytes(blob), hashlib.sha256).hexdigest().encode("ascii")


def _read_verified(folder: Path, key: str) -> bytes | None:
    """The cached module's bytes if its MAC verifies under the folder's key; else None.

    Plain os calls: this path is what a cache hit costs, and it is meant to be an order of
    magnitude below a compile (bench/bench_kernels.py).
    """
    mac_key = _mac_key(folder)
    if mac_key is None:
        return None
    base = os.path.join(folder, key)
    mac = _read_own(base + ".mac", 128)
    blob = _read_own(base + ".cwasm", 1 << 30) if mac is not None else None
    if mac is None or blob is None or not hmac.compare_digest(mac.strip(), _mac(mac_key, key, blob)):
        return None
    return blob


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
        if untrusted(folder) is not None:
            return
        mac_key = _mac_key(folder)
        if mac_key is None:
            return
        _write_atomic(folder / f"{key}.cwasm", blob)
        _write_atomic(folder / f"{key}.mac", _mac(mac_key, key, blob))
    except OSError:
        pass


def load_module(eng: wasmtime.Engine, wasm: bytes, *, use_cache: bool = True) -> Loaded:
    """The compiled module for `wasm`: from the disk cache if a verified entry exists, else
    compiled (and stored). Raises wasmtime.WasmtimeError for a malformed module."""
    folder = cache_dir()
    key = cache_key(wasm)
    note = untrusted(folder) if use_cache else None
    if use_cache and note is None:
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
    if use_cache and note is None:
        _store(folder, key, bytes(module.serialize()))
    return Loaded(module, False, elapsed, None, note or "")
