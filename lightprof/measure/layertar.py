"""List a layer's tar entries without unpacking it, streaming, in bounded memory.

A compressed layer is decompressed chunk by chunk and its tar headers are read as they pass (file
data is read and dropped). A plain tar layer inside a seekable source is not even read: tarfile
seeks from header to header. A tar cut short inside a file is an error; a tar that merely lacks its
end-of-archive blocks or the padding of its last member (as umoci can write) is read as it is.
"""

from __future__ import annotations

import tarfile
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

from lightprof.errors import MeasureError

_CHUNK = 1 << 20
ESTIMATE_GZIP_LEVEL = 6  # what docker and containerd push with (gzip's default level)

# entry kinds
FILE, DIR, LINK, WHITEOUT, OPAQUE, OTHER = "f", "d", "l", "w", "o", "x"


@dataclass
class LayerScan:
    """Every entry of one layer as (path, size from its header, kind), in tar order."""

    entries: list[tuple[str, int, str]] = field(default_factory=list)
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
    """Counts (and optionally gzips, for an estimate) the bytes tarfile reads through it."""

    def __init__(self, inner: BinaryIO | GzipStream, estimate: bool) -> None:
        self.inner = inner
        self.count = 0
        self.deflate = zlib.compressobj(ESTIMATE_GZIP_LEVEL, zlib.DEFLATED, 31) if estimate else None
        self.compressed = 0

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size if size is not None and size >= 0 else _CHUNK)
        self.count += len(data)
        if self.deflate is not None and data:
            self.compressed += len(self.deflate.compress(data))
        return data

    def drain(self) -> None:
        while self.read(_CHUNK):
            pass

    def estimate(self) -> int | None:
        if self.deflate is None:
            return None
        return self.compressed + len(self.deflate.flush())


def _classify(member: tarfile.TarInfo) -> tuple[str, int, str] | None:
    name = member.name
    while name.startswith("./"):
        name = name[2:]
    name = name.strip("/")
    if not name or name == ".":
        return None
    folder, _, base = name.rpartition("/")
    if base == ".wh..wh..opq":
        return (folder, 0, OPAQUE)
    if base.startswith(".wh."):
        return (f"{folder}/{base[4:]}" if folder else base[4:], member.size, WHITEOUT)
    if member.isdir():
        return (name, member.size, DIR)
    if member.isreg() or member.islnk():
        return (name, member.size, FILE)
    if member.issym():
        return (name, member.size, LINK)
    return (name, member.size, OTHER)


def scan_layer(raw: BinaryIO, stored_bytes: int, compression: str, label: str, *, estimate: bool = False) -> LayerScan:
    """Entries of the layer blob `raw` (positioned at its start, `stored_bytes` long)."""
    scan = LayerScan()
    counter: _Counter | None = None
    stream_errors: tuple[type[Exception], ...] = ()
    if compression == "none" and not estimate:
        fileobj: BinaryIO | _Counter = raw
        mode = "r:"  # seekable: jump from header to header without reading file data
    else:
        if compression == "gzip":
            inner: BinaryIO | GzipStream = open_gzip(raw)
        elif compression == "zstd":
            import zstandard

            inner = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            stream_errors = (zstandard.ZstdError,)
        else:
            inner = raw
        counter = _Counter(inner, estimate)
        fileobj = counter
        mode = "r|"
    last: tarfile.TarInfo | None = None
    try:
        with tarfile.open(fileobj=fileobj, mode=mode, bufsize=_CHUNK) as tar:  # type: ignore[call-overload]
            while True:
                try:
                    member = tar.next()
                except tarfile.ReadError as exc:
                    if last is None:
                        raise
                    if "unexpected end of data" in str(exc):
                        break  # end padding cut short: what was listed is complete (checked below)
                    raise MeasureError(f"{label} has a damaged tar header after '{last.name}' ({exc})") from None
                if member is None:
                    break
                tar.members = []  # tarfile keeps every header it read; nothing here needs them again
                last = member
                entry = _classify(member)
                if entry is not None:
                    scan.entries.append(entry)
        if counter is not None:
            counter.drain()
    except tarfile.ReadError as exc:
        if "empty file" in str(exc):
            if counter is not None:
                counter.drain()
            return scan  # a layer with no entries (an empty tar) is valid
        raise MeasureError(f"{label} is not a tar archive ({exc})") from None
    except tarfile.TarError as exc:
        raise MeasureError(f"{label} cannot be read as a tar archive ({exc})") from None
    except OSError as exc:
        raise MeasureError(f"{label} cannot be read: {exc.strerror or exc}") from None
    except stream_errors as exc:
        raise MeasureError(f"{label} is not a valid zstd stream ({exc})") from None
    except EOFError:
        raise MeasureError(f"{label} is truncated: its {compression} stream ends early") from None
    except zlib.error as exc:
        raise MeasureError(f"{label} is not a valid gzip stream ({exc})") from None
    length = counter.count if counter is not None else stored_bytes
    if last is not None and last.offset_data + last.size > length:
        raise MeasureError(f"{label} is truncated: its tar ends inside '{last.name}'")
    # tarfile ends quietly at a header cut short; a whole tar ends on a block boundary after the
    # last member (only its padding may be missing, which is harmless).
    end_of_last = 0 if last is None else last.offset_data + -(-last.size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
    if length > end_of_last and (length - end_of_last) % tarfile.BLOCKSIZE:
        after = f"after '{last.name}'" if last is not None else "at its start"
        raise MeasureError(f"{label} is truncated: its tar ends inside a header {after}")
    if counter is not None:
        scan.tar_bytes = counter.count
        scan.estimate_bytes = counter.estimate()
    return scan
