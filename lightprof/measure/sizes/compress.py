"""Compressed sizes of one file, as the budget counts them.

gzip: zlib's deflate at level 9 in a gzip container with no name and no time (what `gzip -9 -n`
writes, and what size-limit counts through Node's zlib). GNU gzip has its own deflate, so its output
is within ~0.1% of this, not byte-equal. brotli: quality 11 with the window (lgwin) that the brotli
CLI picks from the input size, which makes the figure equal to `brotli -q 11` to the byte.
brotli and zstandard are imported here, lazily, so a run without artifacts never loads them.
"""

from __future__ import annotations

import zlib
from typing import IO

GZIP_LEVEL = 9
BROTLI_QUALITY = 11
ZSTD_LEVEL = 19
_GZIP_OVERHEAD = 18  # 10-byte header (no FNAME, MTIME 0) + CRC32 + ISIZE
_CHUNK = 1 << 20
# Files up to this size are compressed in one call (the encoder then knows the whole input, as the
# CLIs do); bigger ones are streamed so memory stays bounded.
ONE_SHOT_LIMIT = 64 * 1024 * 1024


def brotli_window(size: int) -> int:
    """The lgwin the brotli CLI chooses for an input of `size` bytes (tools/brotli.c)."""
    lgwin = 10
    while (1 << lgwin) - 16 < size and lgwin < 24:
        lgwin += 1
    return lgwin


def gzip_size(stream: IO[bytes]) -> int:
    """Bytes of `gzip -9 -n` (zlib level 9) output for everything `stream` yields."""
    deflate = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    total = _GZIP_OVERHEAD
    while chunk := stream.read(_CHUNK):
        total += len(deflate.compress(chunk))
    return total + len(deflate.flush())


def brotli_size(stream: IO[bytes], size: int) -> int:
    """Bytes of `brotli -q 11` output for the `size` bytes `stream` yields."""
    import brotli

    lgwin = brotli_window(size)
    if size <= ONE_SHOT_LIMIT:
        return len(brotli.compress(stream.read(), quality=BROTLI_QUALITY, lgwin=lgwin))
    compressor = brotli.Compressor(quality=BROTLI_QUALITY, lgwin=lgwin)
    total = 0
    while chunk := stream.read(_CHUNK):
        total += len(compressor.process(chunk))
    return total + len(compressor.finish())


def zstd_size(stream: IO[bytes], size: int) -> int:
    """Bytes of zstd level 19 output, framed as `zstd -19` frames it (content size and checksum).

    python-zstandard carries its own libzstd, so the figure is within ~1% of the CLI's, not equal.
    """
    import zstandard

    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True)
    if size <= ONE_SHOT_LIMIT:
        return len(compressor.compress(stream.read()))
    chunker = compressor.chunker(size=size, chunk_size=_CHUNK)
    total = 0
    while chunk := stream.read(_CHUNK):
        total += sum(len(out) for out in chunker.compress(chunk))
    return total + sum(len(out) for out in chunker.finish())
