"""One folder's regular files and their sizes: the step both lightprof and its walk helper repeat.

This module imports nothing but the standard library, so `treewalk` can run it as a script
(`python -I -S _walker.py PARENT_PID`) in a helper process that starts in about 10 ms.

Protocol as a script, in frames of a 4-byte little-endian length and a marshal payload:
lightprof sends a list of folders (an empty list ends the helper); the helper lists each one and
answers ("ok", [(folder, names, sizes, subfolders), ...]) or ("error", folder, reason). The
helper never walks further than the folders it is given: the subfolders go back, so lightprof
keeps the one stack and can hand work to whichever walker is idle until the very end.
"""

from __future__ import annotations

import marshal
import os
import sys

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC

Listing = tuple[str, list[str], list[int], list[str]]  # folder, file names, sizes, subfolder paths


class WalkError(Exception):
    """A folder (or a file in it) could not be read; `folder` says which, `reason` why."""

    def __init__(self, folder: str, reason: str) -> None:
        super().__init__(folder, reason)
        self.folder = folder
        self.reason = reason


def list_folder(folder: str) -> Listing:
    """The regular files directly in `folder` with their sizes, and the paths of its subfolders.

    Symlinks and special files are not shipped bytes and are skipped; symlinked folders are not
    followed. Each file is stat-ed relative to the folder's descriptor (fstatat): the kernel
    resolves one name instead of a whole path, and Python builds no path string per file.
    """
    names: list[str] = []
    sizes: list[int] = []
    subfolders: list[str] = []
    prefix = folder if folder.endswith("/") else folder + "/"
    try:
        fd = os.open(folder, _DIR_FLAGS)
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        subfolders.append(prefix + entry.name)
                    elif entry.is_file(follow_symlinks=False):
                        names.append(entry.name)
                        sizes.append(entry.stat(follow_symlinks=False).st_size)
        finally:
            os.close(fd)
    except OSError as exc:
        raise WalkError(folder, exc.strerror or str(exc)) from None
    return folder, names, sizes, subfolders


def read_frame(fd: int) -> object:
    """One framed message from `fd`; EOFError if the other side is gone."""
    header = _read_exactly(fd, 4)
    return marshal.loads(_read_exactly(fd, int.from_bytes(header, "little")))


def write_frame(fd: int, message: object) -> None:
    data = marshal.dumps(message)
    view = memoryview(len(data).to_bytes(4, "little") + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _serve(parent_pid: int) -> None:
    """The helper's loop: folders in on stdin, their listings out on stdout, until told to stop."""
    while True:
        try:
            folders = read_frame(0)
        except EOFError:
            return
        if not folders or os.getppid() != parent_pid:  # done, or lightprof died: never outlive it
            return
        try:
            reply: tuple = ("ok", [list_folder(folder) for folder in folders])  # type: ignore[union-attr]
        except WalkError as exc:
            reply = ("error", exc.folder, exc.reason)
        write_frame(1, reply)


if __name__ == "__main__":
    try:
        _serve(int(sys.argv[1]))
    except (BrokenPipeError, KeyboardInterrupt):  # lightprof went away or was interrupted
        sys.exit(1)
