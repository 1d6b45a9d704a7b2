"""Shipped size of an artifact: a file, a folder, a glob, or a Python environment.

Raw sizes come from one folder walk (treewalk; no file is opened). Compressed sizes need every byte read
and compressed, which costs far more than the walk, so the compression the budget counts is always
computed and the others only while the artifact is small enough for them to be cheap
(EXTRA_LIMITS); `compressed_note` says when one was left out.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lightprof.errors import MeasureError
from lightprof.measure.figures import Figure
from lightprof.measure.sizes_model import ArtifactResult
from lightprof.measure.treewalk import Inventory, walk_folder
from lightprof.units import format_size

if TYPE_CHECKING:
    from typing import BinaryIO

    from lightprof.profile import ArtifactSpec

# Compressions nobody budgeted are still shown while they stay cheap (under about a second each):
# zlib -9 runs at ~20-30 MB/s, brotli q11 and zstd -19 well under 1 MB/s on this kind of machine.
EXTRA_LIMITS: dict[str, int] = {"gzip": 16_000_000, "brotli": 1_000_000, "zstd": 1_000_000}
_GLOB_CHARS = frozenset("*?[")


def _add_path(path: str, label: str, into: Inventory) -> None:
    """A named file or folder into `into`; anything else is a clear error."""
    try:
        info = os.stat(path)  # a named symlink is followed: the user pointed at it
    except FileNotFoundError:
        dangling = os.path.islink(path)
        why = "is a dangling symlink" if dangling else "does not exist"
        raise MeasureError(f"artifact '{label}': '{path}' {why}; expected a file, folder or glob") from None
    except OSError as exc:
        raise MeasureError(f"artifact '{label}': cannot read '{path}': {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        walk_folder(path, into)
    elif stat.S_ISREG(info.st_mode):
        into.add_file(path, info.st_size)
    else:
        raise MeasureError(
            f"artifact '{label}': '{path}' is not a regular file or folder (a FIFO, socket or device); "
            "expected a file, folder or glob"
        )


def collect_files(spec: ArtifactSpec) -> tuple[str, str, Inventory]:
    """(kind, root for relative names, the files with their sizes) of what the artifact's path names."""
    assert spec.path is not None
    pattern = os.path.join(spec.base_dir, os.path.expanduser(spec.path))
    files = Inventory()
    if _GLOB_CHARS & set(spec.path):
        import glob

        escaped = os.path.join(glob.escape(str(spec.base_dir)), os.path.expanduser(spec.path))
        matches = sorted(glob.glob(escaped, recursive=True))
        if not matches:
            raise MeasureError(f"artifact '{spec.name}': path '{spec.path}' matches nothing under '{spec.base_dir}'")
        for match in matches:
            _add_path(match, spec.name, files)
        root = os.path.join(spec.base_dir, _glob_prefix(spec.path))
        # "dist/**" matches a folder and the files inside it: each file counts once.
        return "glob", root, Inventory.from_sizes(files.as_dict())
    _add_path(pattern, spec.name, files)
    if os.path.isdir(pattern):
        return "folder", pattern, files
    return "file", os.path.dirname(pattern), files


def _glob_prefix(pattern: str) -> str:
    """The folder part of a glob before its first wildcard ("dist/js/*.js" -> "dist/js")."""
    parts: list[str] = []
    for part in Path(pattern).parts[:-1]:
        if _GLOB_CHARS & set(part):
            break
        parts.append(part)
    return os.path.join(*parts) if parts else ""


def _relative(path: str, root: str) -> str:
    try:
        rel = os.path.relpath(path, root)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _open(path: str, label: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise MeasureError(f"artifact '{label}': cannot read '{path}': {exc.strerror or exc}") from None


def _compressed_total(files: Inventory, label: str, method: str) -> int:
    """Sum over files of each file compressed on its own by `method`."""
    from lightprof.measure import compress

    sizers: dict[str, Callable[[BinaryIO, int], int]] = {
        "gzip": lambda stream, _size: compress.gzip_size(stream),
        "brotli": compress.brotli_size,
        "zstd": compress.zstd_size,
    }
    sizer = sizers[method]
    total = 0
    for path, size in files.items():
        with _open(path, label) as stream:
            try:
                total += sizer(stream, size)
            except OSError as exc:
                raise MeasureError(f"artifact '{label}': cannot read '{path}': {exc.strerror or exc}") from None
    return total


def measure_artifact(spec: ArtifactSpec) -> ArtifactResult:
    """Raw and compressed sizes of the artifact.

    Never raises for bad input: an artifact that cannot be read comes back with `error` set to one
    sentence (the session turns that into exit 3 and the gate into an unmeasured verdict).
    """
    try:
        return read_artifact(spec)
    except MeasureError as exc:
        return unmeasured_artifact(spec, exc)


def read_artifact(spec: ArtifactSpec) -> ArtifactResult:
    """Raw and compressed sizes of the artifact; raises MeasureError when it cannot be read."""
    started = time.perf_counter()
    result = ArtifactResult(name=spec.name, compression=spec.compression)
    if spec.python_env is not None:
        from lightprof.measure.pyfootprint import scan_environment

        env = Path(spec.base_dir, os.path.expanduser(spec.python_env))
        footprint = scan_environment(env)
        files = Inventory.from_sizes(footprint.files)
        root = str(env)
        result.kind = "python_env"
        result.path = spec.python_env
        result.distributions = footprint.distributions
        result.site_packages = [_relative(str(p), root) for p in footprint.site_packages]
        result.unowned_bytes = sum(size for path, size in footprint.files.items() if path not in footprint.owned)
    else:
        result.kind, root, files = collect_files(spec)
        result.path = spec.path or ""
    raw = files.total()
    result.raw_bytes = raw
    result.files = len(files)
    result.largest = [(_relative(path, root), size) for path, size in files.largest(spec.top)]
    wasm = files.ending_with(".wasm")
    result.wasm_files = [_relative(path, root) for path, _ in wasm]
    result.wasm_bytes = sum(size for _, size in wasm)

    skipped: list[str] = []
    for method, limit in EXTRA_LIMITS.items():
        if method != spec.compression and raw > limit:
            skipped.append(method)
            continue
        setattr(result, f"{method}_bytes", _compressed_total(files, spec.name, method))
    if skipped:
        result.compressed_note = (
            f"{', '.join(skipped)} not computed: the artifact is {format_size(raw, si=True)}; "
            "set compression = to the one the budget should count"
        )
    result.counted_bytes = raw if spec.compression == "none" else getattr(result, f"{spec.compression}_bytes")
    result.duration_s = time.perf_counter() - started
    return result


def unmeasured_artifact(spec: ArtifactSpec, error: MeasureError) -> ArtifactResult:
    """The result recorded for an artifact whose measurement raised `error`."""
    return ArtifactResult(name=spec.name, error=error.message, path=spec.path or spec.python_env or "",
                          compression=spec.compression)


def artifact_figures(spec: ArtifactSpec, result: ArtifactResult) -> list[Figure]:
    """The budgeted figure (`size`, counting spec.compression) of one artifact.

    An artifact that could not be measured yields a `size` figure with measured None even without
    a budget, so the gate reports it as unmeasured rather than silently dropping it.
    """
    if spec.budget is None and result.error is None:
        return []
    note = result.error or ("raw bytes" if spec.compression == "none" else f"{spec.compression} bytes")
    return [
        Figure(
            subject=spec.name,
            metric="size",
            measured=None if result.error else result.counted_bytes,
            limit=spec.budget,
            unit="bytes",
            kind="artifact",
            tolerance=spec.tolerance,
            note=note,
        )
    ]
