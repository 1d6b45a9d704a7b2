"""lightprof's tar header reader against Python's tarfile and GNU tar, on tars built in each test:
every format layer tars come in, members cut at every kind of place, damaged headers."""

from __future__ import annotations

import gzip
import io
import random
import shutil
import subprocess
import tarfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from lightprof.errors import MeasureError
from lightprof.measure.images.layertar import LayerListing, scan_layer
from lightprof.measure.images.tarheaders import EXTENDED_LIMIT, TarDamaged, TarReader, TarTruncated

_TYPES = [tarfile.REGTYPE, tarfile.REGTYPE, tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE,
          tarfile.FIFOTYPE, tarfile.CHRTYPE]


def _random_tar(rng: random.Random, fmt: int) -> bytes:
    """Members of every type, names short and long (past 100 bytes: a ustar prefix, or past 255: GNU
    long names and PAX paths), non-ASCII in PAX."""
    buffer = io.BytesIO()
    longest = 45 if fmt == tarfile.USTAR_FORMAT else 90
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for i in range(rng.randint(0, 40)):
            parts = [rng.choice(["usr", "lib", "a" * rng.randint(1, longest), "share", ".wh.x", ".wh..wh..opq"])
                     for _ in range(rng.randint(1, 5))]
            if fmt == tarfile.PAX_FORMAT and rng.random() < 0.3:
                parts.append("naïve-日本")
            info = tarfile.TarInfo("/".join(parts) + f"-{i}")
            info.type = rng.choice(_TYPES)
            if info.type in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = "l" * rng.choice([5, 90 if fmt == tarfile.USTAR_FORMAT else 150])  # GNU K, PAX linkpath
            data = b""
            if info.type == tarfile.REGTYPE:
                data = rng.randbytes(rng.choice([0, 0, 1, 511, 512, 513, rng.randint(0, 5000)]))
                info.size = len(data)
            if fmt == tarfile.PAX_FORMAT:
                info.mtime = rng.choice([0, 1.5, 2**33])  # large and fractional times: PAX records we skip
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _tarfile_listing(blob: bytes) -> list[tuple[str, int, int, int]]:
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        return [(m.name, m.size, m.type[0], m.offset_data) for m in tar.getmembers()]


def _dribble(blob: bytes, rng: random.Random) -> Callable[[int], bytes]:
    """A read() that returns a random few bytes at a time, as a decompressor may."""
    stream = io.BytesIO(blob)
    return lambda size: stream.read(min(size, rng.choice([1, 7, 512, 600, 4096, 1 << 20])))


def _listing(reader: TarReader) -> list[tuple[str, int, int, int]]:
    return [(name.rstrip("/"), size, kind, offset) for batch in reader.batches() for name, size, kind, offset in batch]


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT],
                         ids=["ustar", "gnu", "pax"])
def test_listing_equals_tarfile_in_every_format_seeked_or_streamed(fmt: int) -> None:
    rng = random.Random(fmt)
    long_names = 0
    for _ in range(60):
        try:
            blob = _random_tar(rng, fmt)
        except ValueError:  # a name too long for ustar
            continue
        expected = [(name.rstrip("/"), *rest) for name, *rest in _tarfile_listing(blob)]
        seeked = io.BytesIO(blob)
        reader = TarReader(seeked.read, seek=seeked.seek, length=len(blob))
        assert _listing(reader) == expected
        streamed = TarReader(_dribble(blob, rng))
        assert _listing(streamed) == expected
        assert streamed.tar_bytes == len(blob)
        long_names += sum(len(name) > 100 for name, *_ in expected)
    assert long_names > 5  # the ustar prefix, GNU long names and PAX paths were all exercised


def test_global_pax_records_apply_to_every_member_after_them() -> None:
    # git archive writes a global header (a comment); one with a path renames what follows, as
    # tarfile reads it
    for records, names in (({"comment": "0123abc"}, ["a", "b"]), ({"path": "everything"}, ["everything"] * 2)):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT, pax_headers=records) as tar:
            for name in ("a", "b"):
                tar.addfile(tarfile.TarInfo(name))
        blob = buffer.getvalue()
        assert [name for name, *_ in _listing(TarReader(io.BytesIO(blob).read))] == names
        assert [name for name, *_ in _tarfile_listing(blob)] == names


def test_a_plain_layer_is_seeked_over_not_read() -> None:
    rng = random.Random(1)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for i in range(20):
            info = tarfile.TarInfo(f"big{i}")
            info.size = 3 << 20
            tar.addfile(info, io.BytesIO(rng.randbytes(16) * (info.size // 16)))
    blob = buffer.getvalue()
    stream = io.BytesIO(blob)
    read = 0

    def counting_read(size: int) -> bytes:
        nonlocal read
        data = stream.read(size)
        read += len(data)
        return data

    reader = TarReader(counting_read, seek=stream.seek, length=len(blob))
    assert len(_listing(reader)) == 20
    assert read < len(blob) / 10, (read, len(blob))


def _header(name: str, size_field: bytes, *, checksum: str = "unsigned", type_flag: bytes = b"0",
            fill: bytes = b"") -> bytes:
    """A ustar header written by hand, with the checksum computed as asked."""
    block = bytearray(512)
    block[0:len(name)] = name.encode()
    block[100:108] = b"0000644\0"
    block[124:136] = size_field
    block[156:157] = type_flag
    block[257:265] = b"ustar\x0000"
    block[265:265 + len(fill)] = fill  # the owner's name: room for bytes with the high bit set
    block[148:156] = b" " * 8
    total = sum(b - 256 if b > 127 else b for b in block) if checksum == "signed" else sum(block)
    if checksum == "wrong":
        total += 1
    block[148:156] = b"%06o\0 " % total
    return bytes(block)


def test_base_256_sizes_and_signed_checksums_are_read() -> None:
    data = b"x" * 1000
    base256 = bytes([0x80]) + (1000).to_bytes(11, "big")
    blob = (_header("big", base256) + data + bytes(-len(data) % 512)
            + _header("signed", b"00000000000\0", checksum="signed", fill="ünïcødé owner".encode() * 2)
            + bytes(1024))
    assert [(m[0], m[1]) for m in _tarfile_listing(blob)] == [("big", 1000), ("signed", 0)]
    assert _listing(TarReader(io.BytesIO(blob).read)) == [("big", 1000, 0x30, 512), ("signed", 0, 0x30, 2048)]


@pytest.mark.skipif(shutil.which("tar") is None, reason="GNU tar is not installed")
@pytest.mark.parametrize("fmt", ["gnu", "pax --sparse-version=0.0", "pax --sparse-version=0.1",
                                 "pax --sparse-version=1.0"])
def test_gnu_tar_sparse_files_count_their_real_size(tmp_path: Path, fmt: str) -> None:
    sparse = tmp_path / "sparse.bin"
    with open(sparse, "wb") as out:
        out.truncate(3 << 20)
        out.seek(1_500_000)
        out.write(b"hello")
    (tmp_path / "after.txt").write_bytes(b"after" * 300)
    archive = tmp_path / "t.tar"
    subprocess.run(["tar", f"--format={fmt.split()[0]}", *fmt.split()[1:], "-S", "-cf", str(archive),
                    "sparse.bin", "after.txt"], cwd=tmp_path, check=True, capture_output=True)
    blob = archive.read_bytes()
    ours = [(name, size, kind) for name, size, kind, _offset in _listing(TarReader(io.BytesIO(blob).read))]
    assert [(n, s) for n, s, _k in ours] == [(n, s) for n, s, *_ in _tarfile_listing(blob)]
    assert ours == [("sparse.bin", 3 << 20, 0x53), ("after.txt", 1500, 0x30)]  # S: any sparse file


def _error(blob: bytes, seekable: bool) -> str:
    raw = io.BytesIO(blob)
    with pytest.raises(MeasureError) as caught:
        if seekable:
            scan_layer(raw, len(blob), "none", "layer 1")
        else:
            scan_layer(io.BytesIO(gzip.compress(blob, mtime=0)), 0, "gzip", "layer 1")
    message = caught.value.message
    assert "\n" not in message and message.startswith("layer 1 ")
    return message


def _two_files() -> tuple[bytes, int]:
    """A tar of two files and where the second one's data starts."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, size in (("first", 700), ("second", 3000)):
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BytesIO(bytes(size)))
    return buffer.getvalue(), 512 + 1024 + 512


@pytest.mark.parametrize("seekable", [True, False], ids=["plain", "gzip"])
def test_every_cut_and_damage_is_one_sentence(seekable: bool) -> None:
    blob, second_data = _two_files()
    assert "is truncated: its tar ends inside 'second'" in _error(blob[:second_data + 100], seekable)
    assert "is truncated: its tar ends inside a header after 'first'" in _error(blob[:second_data - 300], seekable)
    damaged = bytearray(blob)
    damaged[512 + 1024 + 10] ^= 0xFF  # a byte of the second header's name
    assert "has a damaged tar header after 'first' (its checksum does not match)" in _error(bytes(damaged), seekable)
    assert "is not a tar archive" in _error(b"not a tar at all" * 64, seekable)
    assert "is not a tar archive (a numeric field" in _error(_header("x", b"12x45678901\0")[:148] + b"x" * 364,
                                                                seekable)


def test_cut_padding_and_missing_end_blocks_are_complete() -> None:
    blob, second_data = _two_files()
    for cut in (second_data + 3000, second_data + 3072, len(blob) - 1024):
        scan = scan_layer(io.BytesIO(blob[:cut]), cut, "none", "layer 1")
        assert [(path, size) for path, size, _kind in scan.entries] == [("first", 700), ("second", 3000)]
        assert scan_layer(io.BytesIO(gzip.compress(blob[:cut])), 0, "gzip", "layer 1").entries == scan.entries


def _record(key: str, value: bytes) -> bytes:
    """One PAX record: "LEN key=value\\n", LEN counting itself."""
    body = b" " + key.encode() + b"=" + value + b"\n"
    length = len(body) + len(str(len(body)))
    length = len(body) + len(str(length))
    return str(length).encode() + body


def test_extended_headers_out_of_bounds_are_refused() -> None:
    def pax(records: bytes, then: bytes) -> bytes:
        return _header("pax", b"%011o\0" % len(records), type_flag=b"x") + records.ljust(512, b"\0") + then

    member = _header("plain", b"00000000000\0")
    nul = _record("path", b"has\0nul/inside")
    with pytest.raises(TarDamaged, match="NUL"):
        _listing(TarReader(io.BytesIO(pax(nul, member) + bytes(1024)).read))
    with pytest.raises(TarDamaged, match="followed by the end"):
        _listing(TarReader(io.BytesIO(pax(_record("path", b"short"), bytes(1024))).read))
    with pytest.raises(TarTruncated, match="extended header"):
        _listing(TarReader(io.BytesIO(pax(_record("path", b"short"), b"")).read))
    huge = _header("long", b"%011o\0" % (EXTENDED_LIMIT + 1), type_flag=b"L")
    with pytest.raises(TarDamaged, match="more than"):
        _listing(TarReader(io.BytesIO(huge + bytes(1024)).read))
    renamed = pax(_record("path", b"renamed/x/") + _record("size", b"5") + _record("mtime", b"1.5"),
                  _header("plain", b"00000000000\0") + b"hello".ljust(512, b"\0"))
    assert _listing(TarReader(io.BytesIO(renamed + bytes(1024)).read)) == [("renamed/x", 5, 0x30, 1536)]
    assert _tarfile_listing(renamed + bytes(1024)) == [("renamed/x", 5, 0x30, 1536)]


def _peak_of_listing(count: int) -> int:
    """tracemalloc's peak while a gzip layer of `count` empty files is listed batch by batch."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for i in range(count):
            tar.addfile(tarfile.TarInfo(f"usr/share/d{i // 1000:04d}/f{i:07d}.txt"))
    blob = gzip.compress(buffer.getvalue(), compresslevel=1)
    del buffer
    tracemalloc.start()
    try:
        listed = sum(len(batch) for batch in LayerListing(io.BytesIO(blob), len(blob), "gzip", "x").batches())
        assert listed == count
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_listing_memory_stays_flat_as_entries_grow() -> None:
    small, large = _peak_of_listing(10_000), _peak_of_listing(40_000)
    assert large < small * 1.3, (small, large)
