"""Result data of artifact and image sizing (filled in by the sizes measure).

Plain dataclasses, stdlib only: this module is imported on every headless run, measured or not.
Sizes are ints of bytes (`_bytes`), ratios are fractions. A compressed figure that was not computed
is None, never 0, so a report can tell "not computed" from "empty".
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DistributionSize:
    """One installed Python distribution: its files as found on disk (RECORD + __pycache__)."""

    name: str
    version: str = ""
    size_bytes: int = 0
    files: int = 0
    missing_files: int = 0  # listed in RECORD but absent on disk


@dataclass
class ArtifactResult:
    """Shipped size of a file, folder, glob or Python environment.

    `counted_bytes` is the figure the budget counts: raw, gzip or brotli according to `compression`.
    Raw bytes count each file once however many hard-linked names it has, as `du -sb` does.
    Compressed sizes are the sum over files, each compressed on its own (as a web server or
    size-limit serves them): gzip = zlib level 9 in a gzip container without name or time (not
    GNU gzip's deflate: see docs/sizes.md for how far apart), brotli = quality 11 with the window
    the brotli CLI picks (exact). Only the counted one is computed unless a caller asks for more.
    """

    name: str
    error: str | None = None
    path: str = ""
    kind: str = "files"  # "file", "folder", "glob" or "python_env"
    compression: str = "none"
    counted_bytes: int | None = None
    raw_bytes: int | None = None
    gzip_bytes: int | None = None
    brotli_bytes: int | None = None
    zstd_bytes: int | None = None
    gzip_level: int = 9
    brotli_quality: int = 11
    zstd_level: int = 19
    compressed_note: str = ""  # why a shown compressed figure is None (too large to compress unasked)
    files: int = 0
    largest: list[tuple[str, int]] = field(default_factory=list)
    wasm_files: list[str] = field(default_factory=list)
    wasm_bytes: int = 0
    wasm_sha256: list[str] = field(default_factory=list)  # of each of wasm_files, in the same order
    not_counted: str = ""  # what the walk saw and did not count (symlinks, special files, extra hard links)
    distributions: list[DistributionSize] = field(default_factory=list)
    unowned_bytes: int = 0  # python_env: files no distribution's RECORD lists
    site_packages: list[str] = field(default_factory=list)
    duration_s: float = 0.0


@dataclass
class LayerResult:
    """One layer of an image, as stored and as unpacked."""

    index: int
    digest: str = ""
    created_by: str = ""
    compression: str = "none"  # how the blob is stored: "gzip", "zstd" or "none"
    stored_bytes: int = 0  # blob size on disk / in the manifest
    compressed_bytes: int | None = None  # stored_bytes when compressed; an estimate or None if not
    compressed_estimated: bool = False
    size_bytes: int = 0  # dive's layer size: sum of the sizes in the layer's tar headers
    files: int = 0  # regular files (and hard links) in the layer
    entries: int = 0  # every tar entry: files, directories, links, whiteouts
    whiteouts: int = 0
    largest: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class WastedPath:
    """A path that is a leaf in two or more layers (dive's "inefficiency")."""

    path: str
    total_bytes: int
    layers: int


@dataclass
class ImageResult:
    """A container image read from a docker save tarball, OCI layout or OCI archive.

    `size_bytes` is dive's image size (sum of the tar header sizes of all layers). Compressed size
    is the sum of the layer blob sizes when the layers are stored compressed; when they are stored
    as plain tars, `compressed_bytes` is a gzip estimate (`compressed_estimated` True) computed only
    when a compressed budget asks for it, else None, and `compression_note` says so.
    """

    name: str
    error: str | None = None
    path: str = ""
    format: str = ""  # "docker-save", "docker-save-oci", "oci-layout" or "oci-archive"
    reference: str = ""
    os: str = ""
    architecture: str = ""
    size_bytes: int | None = None
    compressed_bytes: int | None = None
    compressed_estimated: bool = False
    stored_bytes: int | None = None
    layer_compression: str = ""  # "gzip", "zstd", "none" or "mixed"
    compression_note: str = ""
    config_bytes: int = 0
    user_size_bytes: int | None = None
    wasted_bytes: int | None = None
    wasted_percent: float | None = None
    efficiency: float | None = None
    files: int = 0
    layers: list[LayerResult] = field(default_factory=list)
    wasted: list[WastedPath] = field(default_factory=list)  # the `top` largest, largest first
    wasted_paths: int = 0  # every wasted path, counted (the report keeps only the top ones)
    duration_s: float = 0.0
