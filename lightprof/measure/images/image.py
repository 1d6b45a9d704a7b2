"""Size of a container image read from disk: total, per layer, compressed, wasted, efficiency.

`path` names a docker save tarball (classic or Docker >= 25), an OCI image layout folder or an OCI
archive; `image = "name:tag"` is saved through a docker or podman engine first, if one answers.
"""

from __future__ import annotations

import hashlib
import heapq
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from lightprof.errors import MeasureError
from lightprof.measure.images import dive
from lightprof.measure.images.blobsource import open_source
from lightprof.measure.images.layertar import ESTIMATE_GZIP_LEVEL, FILE, WHITEOUT, Entry, LayerListing, path_of
from lightprof.measure.images.oci import ImageLayout, read_layout
from lightprof.model.sizes import ImageResult, LayerResult
from lightprof.profile.spec import ImageSpec

ENGINE_TIMEOUT_S = 600.0


def _created_by(config: dict[str, object]) -> list[str]:
    """The history commands of the layers that exist (entries marked empty_layer made none)."""
    history = config.get("history")
    if not isinstance(history, list):
        return []
    commands: list[str] = []
    for item in history:
        if isinstance(item, dict) and not item.get("empty_layer"):
            commands.append(str(item.get("created_by", "")))
    return commands


class _Digesting:
    """A blob stream that hashes what is read through it, to compare with the blob's digest."""

    def __init__(self, raw: BinaryIO, digest: str) -> None:
        algorithm, _, self.expected = digest.partition(":")
        self.raw = raw
        self.hash = hashlib.new(algorithm)

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.hash.update(data)
        return data

    def verify(self, where: str) -> None:
        while self.read(1 << 20):  # what the decompressor left unread (padding after the stream)
            pass
        if self.hash.hexdigest() != self.expected:
            raise MeasureError(f"{where} does not match its digest (corrupt or altered)")


class _LayerTally:
    """One layer's figures, added up batch by batch: only the `top` largest files are held."""

    def __init__(self, top: int) -> None:
        self.top = top
        self.size_bytes = self.files = self.entries = self.whiteouts = 0
        self.largest: list[tuple[int, str]] = []  # a min-heap of (size, path), at most `top` long

    def add(self, entries: list[Entry]) -> None:
        self.entries += len(entries)
        largest, top = self.largest, self.top
        for key, size, kind in entries:
            self.size_bytes += size
            if kind == FILE:
                self.files += 1
                # ties are ordered by path, as listed; a key is made a path only to enter the heap
                if len(largest) < top:
                    heapq.heappush(largest, (size, path_of(key)))
                elif top and size >= largest[0][0] and (size, path_of(key)) > largest[0]:
                    heapq.heapreplace(largest, (size, path_of(key)))
            elif kind == WHITEOUT:
                self.whiteouts += 1

    def result(self, index: int, digest: str, stored: int, compression: str, listing: LayerListing,
               command: str) -> LayerResult:
        layer = LayerResult(
            index=index,
            digest=digest,
            created_by=command,
            compression=compression,
            stored_bytes=stored,
            size_bytes=self.size_bytes,
            files=self.files,
            entries=self.entries,
            whiteouts=self.whiteouts,
            largest=[("/" + path, size) for size, path in sorted(self.largest, reverse=True)],
        )
        if compression != "none":
            layer.compressed_bytes = stored
        elif listing.estimate_bytes is not None:
            layer.compressed_bytes = listing.estimate_bytes
            layer.compressed_estimated = True
        return layer


def measure_layout(path: Path, label: str, *, top: int = 10, estimate: bool = False) -> ImageResult:
    """Read the image at `path` (folder or tar) into an ImageResult; MeasureError if it cannot."""
    source = open_source(path, label)
    analysis = dive.Analysis()  # fed batch by batch: entries are spooled sorted, not held
    try:
        layout: ImageLayout = read_layout(source, path.is_dir())
        commands = _created_by(layout.config)
        result = ImageResult(name=label, path=str(path), format=layout.format, reference=layout.reference,
                             os=str(layout.config.get("os", "")),
                             architecture=str(layout.config.get("architecture", "")),
                             config_bytes=layout.config_bytes)
        for i, blob in enumerate(layout.layers):
            where = f"{label}: layer {i + 1} ({blob.digest})"
            tally = _LayerTally(top)
            with source.open(blob.name) as raw:
                # A compressed layer is read whole anyway: its digest is checked on the way (sha256
                # runs several times faster than gunzip). A plain tar is seeked over, not read, so
                # checking it would cost the read the seeking saves: it is not checked.
                check = _Digesting(raw, blob.digest) if blob.verify and blob.compression != "none" else None
                listing = LayerListing(check or raw, blob.stored_bytes, blob.compression,  # type: ignore[arg-type]
                                       where, estimate=estimate and blob.compression == "none")
                try:
                    for entries in listing.batches():
                        tally.add(entries)
                        analysis.add(entries)
                    analysis.end_layer()
                except OSError as exc:  # the analysis' spool (a temporary file) could not be written
                    raise MeasureError(f"{label}: cannot write a temporary file for dive's analysis: "
                                       f"{exc.strerror or exc}") from None
                if check is not None:
                    check.verify(where)
            command = commands[i] if i < len(commands) else ""
            result.layers.append(tally.result(i, blob.digest, blob.stored_bytes, blob.compression, listing, command))
        try:
            figures = analysis.finish(top)
        except OSError as exc:
            raise MeasureError(f"{label}: cannot read back the temporary file of dive's analysis: "
                               f"{exc.strerror or exc}") from None
    finally:
        analysis.close()
        source.close()
    _summarise(result, figures)
    return result


def _summarise(result: ImageResult, figures: dive.DiveFigures) -> None:
    layers = result.layers
    result.size_bytes = sum(layer.size_bytes for layer in layers)
    result.user_size_bytes = result.size_bytes - (layers[0].size_bytes if layers else 0)
    result.stored_bytes = sum(layer.stored_bytes for layer in layers)
    result.files = sum(layer.files for layer in layers)
    kinds = {layer.compression for layer in layers}
    result.layer_compression = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "none")
    plain = [layer for layer in layers if layer.compression == "none"]
    if not plain:
        result.compressed_bytes = result.stored_bytes
    elif all(layer.compressed_bytes is not None for layer in layers):
        result.compressed_bytes = sum(layer.compressed_bytes or 0 for layer in layers)
        result.compressed_estimated = True
        result.compression_note = (
            f"{len(plain)} of {len(layers)} layers are stored uncompressed; their compressed size is "
            f"an estimate (gzip level {ESTIMATE_GZIP_LEVEL}, as a registry push would compress them)"
        )
    else:
        result.compression_note = (
            f"{len(plain)} of {len(layers)} layers are stored uncompressed, so the stored size is not a "
            "compressed size; set budget_compressed to have it estimated (gzip of each layer)"
        )
    result.efficiency = figures.efficiency
    result.wasted_bytes = figures.wasted_bytes
    result.wasted = figures.wasted
    result.wasted_paths = figures.wasted_paths
    if result.user_size_bytes:
        result.wasted_percent = figures.wasted_bytes / result.user_size_bytes
    elif figures.wasted_bytes == 0:
        result.wasted_percent = 0.0


def _engine() -> str | None:
    for name in ("docker", "podman"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _save_through_engine(spec: ImageSpec, folder: Path) -> Path:
    """`docker image save` (or podman's) of spec.image into `folder`; MeasureError if none answers."""
    assert spec.image is not None
    engine = _engine()
    if engine is None:
        raise MeasureError(
            f"image '{spec.name}': no docker or podman engine found to read '{spec.image}'; "
            "set path = to a docker save tarball, an OCI archive or an OCI layout instead"
        )
    target = folder / "image.tar"
    try:
        done = subprocess.run([engine, "image", "save", "-o", str(target), spec.image],
                              capture_output=True, text=True, timeout=ENGINE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise MeasureError(f"image '{spec.name}': '{engine} image save {spec.image}' did not finish "
                           f"within {ENGINE_TIMEOUT_S:.0f} s") from None
    except OSError as exc:
        raise MeasureError(f"image '{spec.name}': cannot run '{engine}': {exc.strerror or exc}") from None
    if done.returncode != 0 or not target.is_file():
        lines = [line for line in (done.stderr or "").splitlines() if line.strip()]
        why = lines[-1].strip() if lines else f"exit code {done.returncode}"
        raise MeasureError(f"image '{spec.name}': the engine could not save '{spec.image}' ({why})")
    return target


def measure_image(spec: ImageSpec) -> ImageResult:
    """Sizes, layers, waste and efficiency of the image.

    Never raises for bad input: an image that cannot be read comes back with `error` set to one
    sentence (the session turns that into exit 3 and the gate into an unmeasured verdict).
    """
    try:
        return read_image(spec)
    except MeasureError as exc:
        return unmeasured_image(spec, exc)


def read_image(spec: ImageSpec) -> ImageResult:
    """Sizes, layers, waste and efficiency of the image; raises MeasureError when unreadable."""
    started = time.perf_counter()
    estimate = spec.budget_compressed is not None
    if spec.path is not None:
        result = measure_layout(Path(spec.base_dir, spec.path).expanduser(), f"image '{spec.name}'",
                                top=spec.top, estimate=estimate)
        result.path = spec.path
    else:
        with tempfile.TemporaryDirectory(prefix="lightprof-image-") as folder:
            saved = _save_through_engine(spec, Path(folder))
            result = measure_layout(saved, f"image '{spec.name}'", top=spec.top, estimate=estimate)
        result.path = ""
        result.reference = result.reference or (spec.image or "")
    result.name = spec.name
    result.duration_s = time.perf_counter() - started
    return result


def unmeasured_image(spec: ImageSpec, error: MeasureError) -> ImageResult:
    """The result recorded for an image whose measurement raised `error`."""
    return ImageResult(name=spec.name, error=error.message, path=spec.path or "", reference=spec.image or "")
