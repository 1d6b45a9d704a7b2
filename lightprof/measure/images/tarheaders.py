"""Tar headers read straight from the bytes, a megabyte at a time, without TarInfo objects.

A layer listing needs each member's name, size and type only; `tarfile` builds a full TarInfo per
member, which made a layer of a million empty files take several times as long as `tar -tvf`
(docs/sizes.md; bench/bench_sizes.py --million-image). This reader parses each 512-byte header
with one struct unpack and understands what layer tars contain: ustar (with its name prefix), GNU
long names and link names (types L, K), PAX extended and global headers (x, g: path and size), GNU
sparse files (old type S and PAX 0.x/1.0: the size reported is the file's real size; the map
itself is not needed), base-256 numbers, and both checksums tarfile accepts (unsigned and signed
bytes). File data is never parsed: skipped with a seek where the source allows it, read and
dropped otherwise.

Anything else is an error, never a silent stop: a header whose checksum or numbers are wrong
(`TarDamaged`), or a stream that ends inside a member or a header (`TarTruncated`). A stream that
ends right after a member's data, without its padding or the end-of-archive blocks (as umoci can
write), is complete.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable, Iterator

BLOCK = 512
CHUNK = 1 << 20
EXTENDED_LIMIT = 1 << 20  # the most bytes a long name or PAX header may hold: paths, not data

# name, size, checksum, type, magic, prefix (the fields a listing needs)
_HEADER = struct.Struct("100s24x12s12x8sc100x6s82x155s12x")
_ZERO_BLOCK = bytes(BLOCK)
_USTAR = b"ustar\0"
_HIGH_BYTES = bytes(range(128, 256))
_PAX_RECORD = re.compile(rb"(\d+) ([^=]+)=")
_PAX_USED = frozenset({"path", "size", "GNU.sparse.name", "GNU.sparse.size", "GNU.sparse.realsize"})
# Types whose header is the whole member: any size they state is not followed by data (as tarfile
# and Go's archive/tar read them).
_HEADER_ONLY = frozenset(b"123456")
_GNU_TYPES = frozenset(b"LKS")
_EXTENDED = frozenset(b"LKxXg")
_SPECIAL = _EXTENDED | frozenset(b"S")  # what _buffered leaves to _member

# name, size (the real size for a sparse file), type flag byte (S for any sparse file), where its data starts
Member = tuple[str, int, int, int]


class TarDamaged(Exception):
    """A header that is not a valid tar header, or an extended header out of bounds."""


class TarTruncated(Exception):
    """The stream ends inside a member's data or a header."""


def _number(field: bytes) -> int:
    """A numeric header field: octal digits (NUL or space terminated) or base-256 (GNU)."""
    if field[0] in (0x80, 0xFF):
        value = int.from_bytes(field[1:], "big")
        return value - 256 ** (len(field) - 1) if field[0] == 0xFF else value
    digits = field.split(b"\0", 1)[0].strip()
    try:
        return int(digits or b"0", 8)
    except ValueError:
        raise TarDamaged(f"a numeric field reads {digits[:20]!r}, not an octal number") from None


def _checksum_ok(block: memoryview, stored: int, field: bytes) -> bool:
    """True when `stored` is the sum of the header's bytes (checksum field as spaces), unsigned or
    signed. zlib's adler32 of 256 bytes is 1 + their sum, exactly (it cannot reach the modulus)."""
    unsigned = (zlib.adler32(block[:256]) & 0xFFFF) + (zlib.adler32(block[256:]) & 0xFFFF) - 2
    unsigned += 256 - sum(field)
    if stored == unsigned:
        return True
    raw = bytes(block)
    high = BLOCK - len(raw.translate(None, _HIGH_BYTES)) - (8 - len(field.translate(None, _HIGH_BYTES)))
    return stored == unsigned - 256 * high


def _pax_records(data: bytes) -> dict[str, str]:
    """The records of a PAX header ("LEN key=value\\n" each), decoded as tarfile decodes them."""
    records: dict[str, str] = {}
    pos = 0
    while match := _PAX_RECORD.match(data, pos):
        length = int(match.group(1))
        if length == 0:
            raise TarDamaged("a PAX record has length 0")
        value = data[match.end(2) + 1:match.start(1) + length - 1]
        key = match.group(2).decode("utf-8", "surrogateescape")
        if key in _PAX_USED:  # mtime, uid, comments ... change nothing a listing reports
            records[key] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records


def _pax_int(records: dict[str, str], key: str) -> int | None:
    if key not in records:
        return None
    try:
        return int(records[key])
    except ValueError:
        raise TarDamaged(f"its PAX record {key} is {records[key][:20]!r}, not a number") from None


class _Stream:
    """Bytes from a source, kept in one buffer; `skip` seeks when the source allows it."""

    def __init__(self, read: Callable[[int], bytes], seek: Callable[[int], object] | None, length: int | None) -> None:
        self.read = read
        self.seek = seek if length is not None else None
        self.length = length  # the whole stream's length when known (a seekable source)
        self.buf = b""
        self.pos = 0  # of the next unparsed byte in buf
        self.base = 0  # stream offset of buf[0]
        self.eof = False
        self.chunk = CHUNK

    def offset(self) -> int:
        return self.base + self.pos

    def fill(self, need: int) -> bool:
        """At least `need` bytes at pos, unless the stream ends first (False)."""
        while len(self.buf) - self.pos < need:
            if self.eof:
                return False
            more = self.read(max(self.chunk, need))
            self.chunk = CHUNK
            if not more:
                self.eof = True
                return False
            self.buf = self.buf[self.pos:] + more
            self.base += self.pos
            self.pos = 0
        return True

    def take(self, size: int) -> bytes | None:
        """The next `size` bytes (None if the stream ends first), the position moved past them."""
        if not self.fill(size):
            return None
        data = self.buf[self.pos:self.pos + size]
        self.pos += size
        return data

    def skip(self, size: int) -> bool:
        """Move `size` bytes on; False if the stream ends before."""
        left = len(self.buf) - self.pos
        if size <= left:
            self.pos += size
            return True
        target = self.offset() + size
        self.buf, self.pos, self.base = b"", 0, target
        if self.seek is not None and self.length is not None:
            if target > self.length:
                self.base, self.eof = self.length, True
                return False
            self.seek(target)
            # Members this large are likely followed by more: the next header is all that is
            # needed, so read a little after a seek, not a whole chunk of data to be skipped.
            self.chunk = 64 * 1024
            return True
        size -= left
        while size > 0:
            data = self.read(min(size, CHUNK))
            if not data:
                self.base, self.eof = target - size, True
                return False
            size -= len(data)
        return True

    def drain(self) -> int:
        """Read to the end; the stream's whole length."""
        if self.length is not None:
            return self.length
        total = self.base + len(self.buf)
        self.buf, self.pos, self.base = b"", 0, total
        while not self.eof:
            data = self.read(CHUNK)
            if not data:
                self.eof = True
            total += len(data)
        self.base = total
        return total


class TarReader:
    """Members of one tar stream, in order, as batches of Member tuples.

    `read(n)` returns up to n bytes (b"" at the end); with `seek` and `length` given, file data is
    skipped by seeking instead of being read. `last` names the last member listed (for messages);
    `tar_bytes` is the stream's length once the listing is done (the stream is read to its end).
    """

    def __init__(self, read: Callable[[int], bytes], *, seek: Callable[[int], object] | None = None,
                 length: int | None = None) -> None:
        self.stream = _Stream(read, seek, length)
        self.last: str | None = None
        self.end = 0  # where the last member's data ends
        self.tar_bytes = 0
        self.long_name: str | None = None  # from an L header, for the next member
        self.records: dict[str, str] | None = None  # from an x header, for the next member
        self.global_records: dict[str, str] = {}  # from g headers, for every member after them

    def batches(self) -> Iterator[list[Member]]:
        stream = self.stream
        while True:
            if not stream.fill(BLOCK):
                if self.long_name is not None or self.records is not None:
                    raise TarTruncated("inside the extended header of a member")
                self._finish()
                return
            batch: list[Member] = []
            done = self._buffered(batch)
            if batch:
                yield batch
            if done:
                self._finish()
                return

    def _buffered(self, batch: list[Member]) -> bool:
        """List the members whose headers lie in the stream's buffer; True at the end of the archive.

        This loop runs once per member, so it does the plain case (a header, then data that ends
        inside the buffer) in line and leaves everything else to _member, one member at a time.
        """
        stream = self.stream
        buf = stream.buf
        view = memoryview(buf)
        pos = stream.pos
        limit = len(buf) - BLOCK
        unpack = _HEADER.unpack_from
        adler32 = zlib.adler32
        append = batch.append
        plain = self.long_name is None and self.records is None and not self.global_records
        name = None
        end = 0
        try:
            while pos <= limit:
                name_field, size_field, chk_field, type_byte, magic, prefix = unpack(buf, pos)
                kind = type_byte[0]
                if not plain or kind in _SPECIAL or name_field[0] == 0:
                    stream.pos = pos
                    return self._member(batch)
                try:
                    stored = int(chk_field.rstrip(b"\0 "), 8)
                    size = int(size_field.rstrip(b"\0 "), 8)
                except ValueError:
                    stored, size = _number(chk_field), _number(size_field)
                # the unsigned sum of _checksum_ok, in line (the checksum field counts as spaces)
                if (stored != (adler32(view[pos:pos + 256]) & 0xFFFF) + (adler32(view[pos + 256:pos + BLOCK]) & 0xFFFF)
                        + 255 - (adler32(chk_field) & 0xFFFF)) and not _checksum_ok(view[pos:pos + BLOCK], stored,
                                                                                    chk_field):
                    raise TarDamaged("its checksum does not match")
                if size < 0:
                    raise TarDamaged(f"its size field is negative ({size})")
                raw = name_field.split(b"\0", 1)[0]
                if magic == _USTAR and prefix[0]:
                    raw = prefix.split(b"\0", 1)[0] + b"/" + raw
                name = raw.decode("utf-8", "surrogateescape")
                if kind == 0 and name.endswith("/"):
                    kind = 0x35  # an old (V7) directory: a regular file whose name ends with a slash
                pos += BLOCK
                data_bytes = 0 if kind in _HEADER_ONLY else size
                end = stream.base + pos + data_bytes
                append((name, size, kind, end - data_bytes))
                if data_bytes:
                    after = pos + data_bytes + (-data_bytes % BLOCK)
                    if after > len(buf):  # data beyond the buffer: skipped by the stream
                        stream.pos = pos
                        return self._skip_data(name, data_bytes, end)
                    pos = after
            stream.pos = pos
            return False
        finally:
            if name is not None:
                self.last, self.end = name, end

    def _skip_data(self, name: str, data_bytes: int, end: int) -> bool:
        """Skip a member's data and padding; True if the stream ends after its data (padding cut)."""
        self.last, self.end = name, end
        if self.stream.skip(data_bytes + (-data_bytes % BLOCK)):
            return False
        if self.stream.offset() < end:
            raise TarTruncated(f"inside '{name}'")
        return True

    def _member(self, batch: list[Member]) -> bool:
        """One member at the stream's position, whatever its kind; True at the end of the archive."""
        stream = self.stream
        if not stream.fill(BLOCK):
            raise TarTruncated("inside the extended header of a member")
        buf, pos = stream.buf, stream.pos
        view = memoryview(buf)[pos:pos + BLOCK]
        name_field, size_field, chk_field, type_byte, magic, prefix = _HEADER.unpack_from(buf, pos)
        if name_field[0] == 0 and view == _ZERO_BLOCK:
            if self.long_name is not None or self.records is not None:
                raise TarDamaged("an extended header is followed by the end of the archive")
            return True
        stored = _number(chk_field)
        if not _checksum_ok(view, stored, chk_field):
            raise TarDamaged("its checksum does not match")
        size = _number(size_field)
        if size < 0:
            raise TarDamaged(f"its size field is negative ({size})")
        kind = type_byte[0]
        stream.pos = pos + BLOCK
        if kind in _EXTENDED:
            if size > EXTENDED_LIMIT:
                raise TarDamaged(f"an extended header of {size} bytes (more than {EXTENDED_LIMIT})")
            data = stream.take(size)
            if data is None or not stream.skip(-size % BLOCK):
                raise TarTruncated("inside an extended header")
            if kind == 0x4C:  # L: a GNU long name
                self.long_name = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            elif kind == 0x67:  # g: PAX records for every member after it
                self.global_records.update(_pax_records(data))
            elif kind != 0x4B:  # x, X: PAX records for the next member (K, a long link name, is not needed)
                self.records = {**(self.records or {}), **_pax_records(data)}
            return False
        real_size = size
        if kind == 0x53:  # old GNU sparse: the real size in the header, maybe extension blocks after it
            real_size = _number(buf[pos + 483:pos + 495])
            extended = buf[pos + 482]
            while extended:
                extension = stream.take(BLOCK)
                if extension is None:
                    raise TarTruncated("inside a sparse file's extension header")
                extended = extension[504]
        if self.long_name is not None:
            name, self.long_name = self.long_name, None
        else:
            raw = name_field.split(b"\0", 1)[0]
            if magic == _USTAR and prefix[0] and kind not in _GNU_TYPES:
                raw = prefix.split(b"\0", 1)[0] + b"/" + raw
            name = raw.decode("utf-8", "surrogateescape")
        if kind == 0 and name.endswith("/"):
            kind = 0x35
        if self.records is not None or self.global_records:
            name, size, real_size = self._apply(self.records or {}, name, size, real_size)
            if real_size != size and kind in (0x30, 0):
                kind = 0x53  # a PAX sparse file: its data is a map and the data blocks, not the file
            self.records = None
        data_bytes = 0 if kind in _HEADER_ONLY else size
        end = stream.offset() + data_bytes
        batch.append((name, real_size, kind, end - data_bytes))
        return self._skip_data(name, data_bytes, end) if data_bytes else self._listed(name, end)

    def _listed(self, name: str, end: int) -> bool:
        self.last, self.end = name, end
        return False

    def _apply(self, records: dict[str, str], name: str, size: int, real_size: int) -> tuple[str, int, int]:
        """Name and sizes after PAX records (global ones first, the member's own over them)."""
        merged = {**self.global_records, **records}
        name = merged.get("GNU.sparse.name", merged.get("path", name))
        if "\0" in name:
            raise TarDamaged(f"a PAX path holds a NUL byte ({name[:60]!r})")
        stored = _pax_int(merged, "size")
        if stored is not None:
            size = real_size = stored
        sparse = _pax_int(merged, "GNU.sparse.realsize")
        if sparse is None:
            sparse = _pax_int(merged, "GNU.sparse.size")
        if sparse is not None:
            real_size = sparse
        if size < 0 or real_size < 0:
            raise TarDamaged("a PAX size is negative")
        return name, size, real_size

    def _finish(self) -> None:
        """At the end of the listing: the stream read to its end, a cut inside a header refused."""
        total = self.tar_bytes = self.stream.drain()
        padded = self.end + (-self.end % BLOCK)
        if total > padded and (total - padded) % BLOCK:
            after = f"after '{self.last}'" if self.last is not None else "at its start"
            raise TarTruncated(f"inside a header {after}")
