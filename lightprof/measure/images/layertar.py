"""List a layer's tar entries without unpacking it, streaming, in bounded memory.

A compressed layer is decompressed chunk by chunk and its tar headers are read as they pass (file
data is read and dropped). A plain tar layer inside a seekable source is not even read: the reader
seeks from header to header. A tar cut short inside a file is an error; a tar that merely lacks its
end-of-archive blocks or the padding of its last member (as umoci can write) is read as it is.
Entries come out in batches (one per megabyte of headers), so a caller holds one batch at a time.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from lightprof.errors import MeasureError
from lightprof.measure.images.tarheaders import Member, TarDamaged, TarReader, TarTruncated

_CHUNK = 1 << 20
ESTIMATE_GZIP_LEVEL = 6  # what docker and containerd push with (gzip's default level)

# entry kinds
FILE, DIR, LINK, WHITEOUT, OPAQUE, OTHER = "f", "d", "l", "w", "o", "x"
# tar type flags: regular files (0, NUL, contiguous 7, sparse S) and hard links (1) are files
_KINDS = {ord("0"): FILE, 0: FILE, ord("7"): FILE, ord("S"): FILE, ord("1"): FILE, ord("5"): DIR,
          ord("2"): LINK}
Entry = tuple[str, int, str]  # (key, size from its header, kind)


def key_of(path: str) -> str:
    """A path as layer entries hold it: "/" replaced by "\\0", the smallest character, so that a
    path's subtree sorts right after it ("a", "a\\0b", "a-b"), as dive's analysis needs. Tar
    names cannot hold NUL (the header reader refuses a PAX path that does)."""
    return path.replace("/", "\0")


def path_of(key: str) -> str:
    return key.replace("\0", "/")


@dataclass
class LayerScan:
    """Every entry of one layer as (path, size from its header, kind), in tar order."""

    entries: list[Entry] = field(default_factory=list)
    tar_bytes: int = 0  # length of the uncompressed tar stream (0 when it was seeked over)
    estimate_bytes: int | None = None  # gzip -6 of the tar stream, when asked for


class GzipStream:
    """The bytes of gzip members back to back, zero padding after them allowed (the format
    `gzip.GzipFile` reads), inflated a whole chunk at a time. GzipFile feeds zlib 8 KiB at a time
    on Python 3.11; `bench/bench_sizes.py --gzip-reader` times the two on one layer in one run.
    Raises EOFError when the stream ends inside a member, zlib.error when it is not gzip.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.inflate = zlib.decompressobj(wbits=31)
        self.data = b""  # input read and not yet inflated
        self.done = False

    def read(self, size: int = -1) -> bytes:
        size = _CHUNK if size is None or size < 0 else size
        out = bytearray()
        while len(out) < size and not self.done:
            if not self.data:
                self.data = self.raw.read(_CHUNK)
                if not self.data:
                    if not self.inflate.eof:
                        raise EOFError("the gzip stream ends inside a member")
                    self.done = True
                    break
            if self.inflate.eof:  # between members: zero padding, then maybe another member
                self.data = self.data.lstrip(b"\0")
                if self.data:
                    self.inflate = zlib.decompressobj(wbits=31)
                continue
            out += self.inflate.decompress(self.data, size - len(out))
            self.data = self.inflate.unused_data if self.inflate.eof else self.inflate.unconsumed_tail
        return bytes(out)


def open_gzip(raw: BinaryIO) -> BinaryIO | GzipStream:
    """The reader scan_layer inflates gzip layers with (the bench swaps in GzipFile here)."""
    return GzipStream(raw)


class _Counter:
    """Counts (and optionally gzips, for an estimate) the bytes read through it."""

    def __init__(self, inner: BinaryIO | GzipStream, estimate: bool) -> None:
        self.inner = inner
        self.deflate = zlib.compressobj(ESTIMATE_GZIP_LEVEL, zlib.DEFLATED, 31) if estimate else None
        self.compressed = 0

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size if size is not None and size >= 0 else _CHUNK)
        if self.deflate is not None and data:
            self.compressed += len(self.deflate.compress(data))
        return data

    def estimate(self) -> int | None:
        if self.deflate is None:
            return None
        return self.compressed + len(self.deflate.flush())


def classify(members: list[Member]) -> list[Entry]:
    """Layer entries of tar members (name, size, type flag, offset): paths without "./" or slashes at the
    ends, as keys (key_of); whiteouts (`.wh.NAME` stands for NAME) and opaque markers (for their
    folder) told apart; the archive's root itself is not an entry."""
    entries: list[Entry] = []
    append = entries.append
    kinds = _KINDS
    for name, size, flag, _offset in members:
        while name.startswith("./"):
            name = name[2:]
        name = name.strip("/")
        if not name or name == ".":
            continue
        if ".wh." in name:
            folder, _, base = name.rpartition("/")
            if base == ".wh..wh..opq":
                append((folder.replace("/", "\0"), 0, OPAQUE))
                continue
            if base.startswith(".wh."):
                append((f"{folder}/{base[4:]}".replace("/", "\0") if folder else base[4:], size, WHITEOUT))
                continue
        append((name.replace("/", "\0"), size, kinds.get(flag, OTHER)))
    return entries


class LayerListing:
    """The entries of the layer blob `raw` (positioned at its start, `stored_bytes` long), read
    as batches by `batches()`; `tar_bytes` and `estimate_bytes` are set once it is done."""

    def __init__(self, raw: BinaryIO, stored_bytes: int, compression: str, label: str, *,
                 estimate: bool = False) -> None:
        self.label = label
        self.compression = compression
        self.counter: _Counter | None = None
        self.stream_errors: tuple[type[Exception], ...] = ()
        if compression == "none" and not estimate:
            # seekable: jump from header to header without reading file data
            self.reader = TarReader(raw.read, seek=raw.seek, length=stored_bytes)
        else:
            if compression == "gzip":
                inner: BinaryIO | GzipStream = open_gzip(raw)
            elif compression == "zstd":
                import zstandard

                inner = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
                self.stream_errors = (zstandard.ZstdError,)
            else:
                inner = raw
            self.counter = _Counter(inner, estimate)
            self.reader = TarReader(self.counter.read)
        self.tar_bytes = 0
        self.estimate_bytes: int | None = None

    def batches(self) -> Iterator[list[Entry]]:
        label, reader = self.label, self.reader
        try:
            for members in reader.batches():
                yield classify(members)
        except TarDamaged as exc:
            if reader.last is None:
                raise MeasureError(f"{label} is not a tar archive ({exc})") from None
            raise MeasureError(f"{label} has a damaged tar header after '{reader.last}' ({exc})") from None
        except TarTruncated as exc:
            raise MeasureError(f"{label} is truncated: its tar ends {exc}") from None
        except OSError as exc:
            raise MeasureError(f"{label} cannot be read: {exc.strerror or exc}") from None
        except EOFError:
            raise MeasureError(f"{label} is truncated: its {self.compression} stream ends early") from None
        except zlib.error as exc:
            raise MeasureError(f"{label} is not a valid gzip stream ({exc})") from None
        except Exception as exc:
            if isinstance(exc, self.stream_errors):
                raise MeasureError(f"{label} is not a valid zstd stream ({exc})") from None
            raise
        if self.counter is not None:
            self.tar_bytes = reader.tar_bytes
            self.estimate_bytes = self.counter.estimate()


def scan_layer(raw: BinaryIO, stored_bytes: int, compression: str, label: str, *, estimate: bool = False) -> LayerScan:
    """Every entry of the layer blob `raw` at once, with paths (for small layers and tests:
    LayerListing streams them, keyed)."""
    listing = LayerListing(raw, stored_bytes, compression, label, estimate=estimate)
    scan = LayerScan()
    for batch in listing.batches():
        scan.entries += [(path_of(key), size, kind) for key, size, kind in batch]
    scan.tar_bytes, scan.estimate_bytes = listing.tar_bytes, listing.estimate_bytes
    return scan
