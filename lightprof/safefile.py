"""Reading what a user names without hanging or wandering: regular files only, bounded, parsed safely.

Every input lightprof reads because a user named it (a profile, a report, a baseline, a kernel.toml,
an image archive, a cache entry, a RECORD line) goes through here, so that a FIFO, a device such as
/dev/zero or a symlink loop gets one sentence instead of a hang or a traceback. Callers turn
`UnsafeInput` into the error their context calls for: exit 2 for a profile or a report, a failed
measurement (exit 3) for a measured subject.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import IO

# A profile, report or baseline larger than this is not one lightprof wrote (reports of big runs are
# a few MB); refusing it early bounds memory.
DEFAULT_LIMIT = 512 * 1024 * 1024

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class UnsafeInput(Exception):
    """A named input that is not a readable regular file, or is too large, or nests too deep."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def kind_of(mode: int) -> str:
    """'a FIFO (named pipe)', 'a folder', ... for a st_mode that is not a regular file."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def open_regular(path: str | os.PathLike[str], label: str, *, dir_fd: int | None = None,
                 follow: bool = True) -> IO[bytes]:
    """Open `path` for reading if it is a regular file; never blocks on a FIFO or device.

    O_NONBLOCK makes opening a FIFO with no writer return at once; the descriptor is then checked
    with fstat (not stat first, which would race with a swap of the file). `dir_fd`: `path` is
    relative to that open folder; `follow=False`: a symlink is refused rather than followed.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        raise UnsafeInput(f"{label}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            what = "a symlink loop" if follow else "a symlink"
            raise UnsafeInput(f"{label}: is {what}, expected a file") from None
        if exc.errno == errno.ENAMETOOLONG:
            raise UnsafeInput(f"{label}: the file name is too long") from None
        raise UnsafeInput(f"{label}: cannot be read ({exc.strerror})") from None
    except ValueError:  # a NUL byte in the path: no file can have that name
        raise UnsafeInput(f"{label}: the file name contains a NUL byte") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UnsafeInput(f"{label}: is {kind_of(mode)}, expected a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], label: str, limit: int = DEFAULT_LIMIT) -> bytes:
    """The bytes of a regular file of at most `limit` bytes."""
    with open_regular(path, label) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise UnsafeInput(f"{label}: is larger than {limit} bytes, too large for this kind of file")
    return data


def read_regular_text(path: str | os.PathLike[str], label: str, limit: int = DEFAULT_LIMIT) -> str:
    """The UTF-8 text of a regular file (see `read_regular`)."""
    try:
        return read_regular(path, label, limit).decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafeInput(f"{label}: is not UTF-8 text") from None
