"""Where an image's files lie: an OCI layout or unpacked docker save folder, or a tar of one.

A tarball is indexed once (the tar header reader seeks over member data, so a 1 GB archive costs
a pass over its headers only) and blobs are then opened in place as seekable streams. Every way the
input can be broken is one MeasureError.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from lightprof.errors import MeasureError
from lightprof.measure.images.tarheaders import TarDamaged, TarReader, TarTruncated
from lightprof.safefile import UnsafeInput, kind_of, open_regular

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
JSON_LIMIT = 64 * 1024 * 1024
# The most files an archive may hold: a docker save writes three per layer, an OCI archive one per
# blob; a tar with many more is no image, and indexing it would cost memory per file.
ARCHIVE_FILES = 100_000
_REGULAR = frozenset(b"07S\0")  # tar types of regular files (S: sparse)
_SPARSE = ord("S")


def normal_name(name: str) -> str:
    """Member names as "blobs/sha256/…": tar tools write "./x", "x" or "/x" for the same file."""
    while name.startswith("./"):
        name = name[2:]
    return name.lstrip("/")


class BlobSource:
    """Named files inside an image container (a folder or a tar)."""

    label: str

    def has(self, name: str) -> bool:
        raise NotImplementedError

    def size(self, name: str) -> int:
        raise NotImplementedError

    def open(self, name: str) -> BinaryIO:
        raise NotImplementedError

    def close(self) -> None:
        """Release the open archive, if any."""

    def read_json(self, name: str, what: str, digest: str | None = None) -> Any:
        """The JSON document `name`; checked against `digest` when it is a blob (cheap: small)."""
        if not self.has(name):
            raise MeasureError(f"{self.label}: {what} '{name}' is missing")
        with self.open(name) as stream:
            data = stream.read(JSON_LIMIT + 1)
        if len(data) > JSON_LIMIT:
            raise MeasureError(f"{self.label}: {what} '{name}' is larger than {JSON_LIMIT} bytes, too large for JSON")
        if digest is not None:
            algorithm, _, expected = digest.partition(":")
            if hashlib.new(algorithm, data).hexdigest() != expected:
                raise MeasureError(f"{self.label}: {what} '{name}' does not match its digest {digest} "
                                   "(corrupt or altered)")
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise MeasureError(f"{self.label}: {what} '{name}' is not valid JSON") from None
        except RecursionError:
            raise MeasureError(f"{self.label}: {what} '{name}' nests too deeply to be an image document") from None


class DirSource(BlobSource):
    """An OCI image layout (or an unpacked docker save) as a folder."""

    def __init__(self, root: Path, label: str) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.label = label

    def _path(self, name: str) -> str:
        """The file `name` inside the layout; refused if it (or a symlink on the way) leads outside."""
        path = os.path.realpath(os.path.join(self.real_root, name))
        if os.path.isabs(name) or not path.startswith(self.real_root + os.sep):
            raise MeasureError(f"{self.label}: '{name}' lies outside the image layout; refused")
        return path

    def has(self, name: str) -> bool:
        path = self._path(name)
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return False
        if not stat.S_ISREG(mode):
            raise MeasureError(f"{self.label}: '{name}' is {kind_of(mode)}, expected a regular file")
        return True

    def size(self, name: str) -> int:
        return os.stat(self._path(name)).st_size

    def open(self, name: str) -> BinaryIO:
        try:
            return open_regular(self._path(name), f"{self.label}: '{name}'")  # type: ignore[return-value]
        except UnsafeInput as exc:
            raise MeasureError(exc.message) from None


class _InArchive:
    """One member's bytes inside the archive, read in place (pread: no shared file position)."""

    def __init__(self, fd: int, offset: int, size: int) -> None:
        self.fd, self.offset, self.size, self.pos = fd, offset, size, 0

    def read(self, size: int = -1) -> bytes:
        left = self.size - self.pos
        count = left if size is None or size < 0 else min(size, left)
        if count <= 0:
            return b""
        data = os.pread(self.fd, count, self.offset + self.pos)
        self.pos += len(data)
        return data

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self.pos, os.SEEK_END: self.size}[whence]
        self.pos = min(max(base + pos, 0), self.size)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def close(self) -> None:
        """Nothing to release: the archive stays open until the source closes."""

    def __enter__(self) -> _InArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TarSource(BlobSource):
    """A docker save tarball or an OCI archive, read in place.

    Its headers are listed once (seeking over member data) by the same reader as layers; only
    regular files are kept, at most ARCHIVE_FILES of them, as (offset, size)."""

    def __init__(self, path: Path, label: str) -> None:
        self.label = label
        try:
            self.file = open_regular(path, f"{label}: '{path}'")
            magic = self.file.read(4)
            self.file.seek(0)
            length = os.fstat(self.file.fileno()).st_size
        except UnsafeInput as exc:
            raise MeasureError(exc.message) from None
        except OSError as exc:
            raise MeasureError(f"{label}: cannot read '{path}': {exc.strerror or exc}") from None
        if magic.startswith(GZIP_MAGIC) or magic == ZSTD_MAGIC:
            self.file.close()
            kind = "gzip" if magic.startswith(GZIP_MAGIC) else "zstd"
            raise MeasureError(
                f"{label}: '{path}' is a {kind}-compressed file; decompress it first "
                "(a docker save tarball or OCI archive is read as a plain tar)"
            )
        try:
            self.members, self.sparse = self._index(path, length)
        except BaseException:
            self.file.close()
            raise

    def _index(self, path: Path, length: int) -> tuple[dict[str, tuple[int, int]], set[str]]:
        label = self.label
        reader = TarReader(self.file.read, seek=self.file.seek, length=length)
        members: dict[str, tuple[int, int]] = {}
        sparse: set[str] = set()
        try:
            for batch in reader.batches():
                for name, size, kind, offset in batch:
                    if kind not in _REGULAR:
                        continue
                    if kind == _SPARSE:
                        sparse.add(normal_name(name))
                    else:
                        members[normal_name(name)] = (offset, size)
                    if len(members) + len(sparse) > ARCHIVE_FILES:
                        raise MeasureError(f"{label}: '{path}' holds more than {ARCHIVE_FILES:,} files; an image "
                                           "archive holds a few per layer, so this is not one")
        except TarTruncated:
            raise MeasureError(f"{label}: '{path}' is truncated: the tar ends inside a member") from None
        except TarDamaged as exc:
            if reader.last is None:
                raise MeasureError(
                    f"{label}: '{path}' is not a tar archive ({exc}); "
                    "expected a docker save tarball, an OCI archive or an OCI layout folder"
                ) from None
            raise MeasureError(f"{label}: '{path}' has a damaged tar header after '{reader.last}' ({exc})") from None
        except OSError as exc:
            raise MeasureError(f"{label}: cannot read '{path}': {exc.strerror or exc}") from None
        return members, sparse

    def has(self, name: str) -> bool:
        if name in self.sparse and name not in self.members:
            raise MeasureError(f"{self.label}: '{name}' is stored as a sparse file inside the archive, which "
                               "lightprof does not read; write the archive without sparse files")
        return name in self.members

    def size(self, name: str) -> int:
        return self.members[name][1]

    def open(self, name: str) -> BinaryIO:
        offset, size = self.members[name]
        return _InArchive(self.file.fileno(), offset, size)  # type: ignore[return-value]

    def close(self) -> None:
        self.file.close()


def open_source(path: Path, label: str) -> BlobSource:
    """A folder or tar at `path`, ready to be read; a missing path is a clear error."""
    if path.is_dir():
        return DirSource(path, label)
    if not path.exists():
        raise MeasureError(
            f"{label}: '{path}' does not exist; expected a docker save tarball, OCI archive or OCI layout"
        )
    return TarSource(path, label)
