"""Shipped size of an artifact: a file, a folder, a glob, or a Python environment.

Raw sizes come from one walk (treewalk: no file is opened, memory bounded by what is reported).
Compressed sizes need every byte read and compressed, which costs far more than the walk, so only
the compression the budget counts is computed, during the same walk. A caller that shows the
others (the TUI) asks for them as `extra`; they are computed in a second pass, and only while the
artifact is small enough for them to be cheap (EXTRA_LIMITS, EXTRA_MAX_FILES); `compressed_note`
says when one was left out.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from lightprof.errors import MeasureError
from lightprof.measure.sizes.treewalk import GLOB_CHARS, Tally, add_named, split_glob, walk_glob
from lightprof.model.sizes import ArtifactResult
from lightprof.safefile import UnsafeInput, open_regular
from lightprof.units import format_size

if TYPE_CHECKING:
    from lightprof.profile.spec import ArtifactSpec

COMPRESSIONS = ("gzip", "brotli", "zstd")
# A compression nobody budgeted is computed only for a caller that shows it (the TUI's columns),
# and only while it stays cheap: zlib -9 runs at ~20-30 MB/s, brotli q11 and zstd -19 well under
# 1 MB/s on this kind of machine, and every file costs an open and a compressor of its own.
EXTRA_LIMITS: dict[str, int] = {"gzip": 16_000_000, "brotli": 1_000_000, "zstd": 1_000_000}
EXTRA_MAX_FILES = 2_000


def _relative(path: str, root: str) -> str:
    try:
        rel = os.path.relpath(path, root)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _sizer(method: str) -> Callable[[IO[bytes], int], int]:
    from lightprof.measure.sizes import compress

    sizers: dict[str, Callable[[IO[bytes], int], int]] = {
        "gzip": lambda stream, _size: compress.gzip_size(stream),
        "brotli": compress.brotli_size,
        "zstd": compress.zstd_size,
    }
    return sizers[method]


class _Compressed:
    """A walk's file hook: every counted file compressed on its own by each of `methods`."""

    def __init__(self, methods: Iterable[str], label: str) -> None:
        self.sizers = {method: _sizer(method) for method in methods}
        self.totals = dict.fromkeys(self.sizers, 0)
        self.label = label

    def __call__(self, dir_fd: int | None, name: str, path: str, size: int) -> None:
        try:
            # Opened again by name, without following: the walk saw a regular file there, but a
            # FIFO or a symlink swapped in since must not block or lead elsewhere.
            with open_regular(name, f"artifact '{self.label}': '{path}'", dir_fd=dir_fd,
                              follow=dir_fd is None) as stream:
                for method, sizer in self.sizers.items():
                    stream.seek(0)
                    self.totals[method] += sizer(stream, size)
        except UnsafeInput as exc:
            raise MeasureError(exc.message) from None
        except OSError as exc:
            raise MeasureError(f"artifact '{self.label}': cannot read '{path}': {exc.strerror or exc}") from None


def _walk(spec: ArtifactSpec, tally: Tally) -> tuple[str, str]:
    """Count what spec.path names into `tally`: (kind, the folder its paths are shown relative to)."""
    assert spec.path is not None
    pattern = os.path.join(spec.base_dir, os.path.expanduser(spec.path))
    if GLOB_CHARS & set(spec.path):
        literal, parts = split_glob(os.path.expanduser(spec.path))
        root = os.path.join(spec.base_dir, literal)
        if os.path.isdir(root):
            walk_glob(root, parts, tally)
        if not tally.matched:
            raise MeasureError(f"artifact '{spec.name}': path '{spec.path}' matches nothing under '{spec.base_dir}'")
        return "glob", root
    kind = add_named(pattern, tally, spec.name)
    return kind, pattern if kind == "folder" else os.path.dirname(pattern)


def _wasm_digests(paths: list[str], label: str) -> list[str]:
    """SHA-256 of each shipped .wasm: what a kernel sample is matched on."""
    digests = []
    for path in paths:
        digest = hashlib.sha256()
        try:
            with open_regular(path, f"artifact '{label}': '{path}'") as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
        except UnsafeInput as exc:
            raise MeasureError(exc.message) from None
        digests.append(digest.hexdigest())
    return digests


def measure_artifact(spec: ArtifactSpec, extra: Iterable[str] = ()) -> ArtifactResult:
    """Raw and compressed sizes of the artifact.

    `extra`: compressions to compute besides the counted one (for a caller that shows them), each
    only while the artifact is small enough for it to be cheap. Never raises for bad input: an
    artifact that cannot be read comes back with `error` set to one sentence (the session turns
    that into exit 3 and the gate into an unmeasured verdict).
    """
    try:
        return read_artifact(spec, extra)
    except MeasureError as exc:
        return unmeasured_artifact(spec, exc)


def read_artifact(spec: ArtifactSpec, extra: Iterable[str] = ()) -> ArtifactResult:
    """Raw and compressed sizes of the artifact; raises MeasureError when it cannot be read."""
    started = time.perf_counter()
    result = ArtifactResult(name=spec.name, compression=spec.compression)
    counted = [spec.compression] if spec.compression != "none" else []
    compressed = _Compressed(counted, spec.name)
    tally = Tally(spec.top, on_file=compressed if counted else None)
    if spec.python_env is not None:
        from lightprof.measure.sizes.pyfootprint import scan_environment

        env = Path(spec.base_dir, os.path.expanduser(spec.python_env))
        footprint = scan_environment(env)
        root = str(env)
        for path, size in footprint.files.items():
            tally.add_sized(path, size)
        result.kind = "python_env"
        result.path = spec.python_env
        result.distributions = footprint.distributions
        result.site_packages = [_relative(str(p), root) for p in footprint.site_packages]
        result.unowned_bytes = sum(size for path, size in footprint.files.items() if path not in footprint.owned)
        notes = [footprint.not_counted] if footprint.not_counted else []
    else:
        result.kind, root = _walk(spec, tally)
        if not tally.files:
            # An empty dist/ after a failed build must not pass a size budget at 0 B.
            what = "matches no files" if result.kind == "glob" else "holds no files"
            raise MeasureError(f"artifact '{spec.name}': path '{spec.path}' {what} under '{spec.base_dir}' "
                               "(counted are regular files; is the build output missing?)")
        result.path = spec.path or ""
        notes = []
    if tally.not_counted():
        notes.insert(0, tally.not_counted())
    result.not_counted = "; ".join(notes)
    result.raw_bytes = tally.total_bytes
    result.files = tally.files
    result.largest = [(_relative(path, root), size) for path, size in tally.largest()]
    result.wasm_files = [_relative(path, root) for path, _ in sorted(tally.wasm)]
    result.wasm_sha256 = _wasm_digests([path for path, _ in sorted(tally.wasm)], spec.name)
    result.wasm_bytes = tally.wasm_bytes
    for method, total in compressed.totals.items():
        setattr(result, f"{method}_bytes", total)
    _extra_compressions(spec, result, [m for m in dict.fromkeys(extra) if m in COMPRESSIONS and m not in counted])
    result.counted_bytes = tally.total_bytes if spec.compression == "none" else compressed.totals[spec.compression]
    result.duration_s = time.perf_counter() - started
    return result


def _extra_compressions(spec: ArtifactSpec, result: ArtifactResult, methods: list[str]) -> None:
    """The compressions a caller shows besides the counted one: a second pass, while cheap."""
    raw, files = result.raw_bytes or 0, result.files
    cheap = [m for m in methods if raw <= EXTRA_LIMITS[m] and files <= EXTRA_MAX_FILES]
    skipped = [m for m in methods if m not in cheap]
    if skipped:
        result.compressed_note = (
            f"{', '.join(skipped)} not computed: the artifact is {format_size(raw, si=True)} in {files:,} files; "
            "set compression = to the one the budget should count"
        )
    if not cheap:
        return
    compressed = _Compressed(cheap, spec.name)
    tally = Tally(0, on_file=compressed)
    if spec.python_env is not None:
        from lightprof.measure.sizes.pyfootprint import scan_environment

        for path, size in scan_environment(Path(spec.base_dir, os.path.expanduser(spec.python_env))).files.items():
            tally.add_sized(path, size)
    else:
        _walk(spec, tally)
    for method, total in compressed.totals.items():
        setattr(result, f"{method}_bytes", total)


def unmeasured_artifact(spec: ArtifactSpec, error: MeasureError) -> ArtifactResult:
    """The result recorded for an artifact whose measurement raised `error`."""
    return ArtifactResult(name=spec.name, error=error.message, path=spec.path or spec.python_env or "",
                          compression=spec.compression)
