"""Atomic file writes: a temporary file in the same folder, fsync'd, then renamed over the target.

The temporary is named `.NAME.lightprof-PID-RANDOM.tmp`, so a writer killed by SIGKILL (which no
`finally` survives) leaves a file that is recognisably lightprof's and names the process that wrote
it; `remove_stale_temporaries` deletes such files once their writer is gone. A target that exists
and is not a regular file is never replaced: a character device or a FIFO (`/dev/null`,
`/dev/stdout` in a pipe) is written to as a stream, anything else is refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import time
from pathlib import Path

TEMP_TAG = "lightprof"
# A temporary of a dead writer is left alone this long, in case its writer lives in another pid
# namespace (a container sharing the folder), where a pid says nothing; an atomic write takes ms.
STALE_AFTER_S = 60.0
# Past this age a temporary is stale even if its pid is alive again (pids are reused).
ABANDONED_AFTER_S = 24 * 3600.0
# The part of the target's name kept in a temporary's name: NAME_MAX is 255 bytes.
_NAME_KEPT = 120


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` to `path` so that readers see either the old file or the whole new one."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically; a crash leaves the old file (or none), never a torn one.

    A symlink is followed (the link stays, its target is replaced). Raises OSError (with errno and
    strerror set) for what cannot be written: a folder, a block device, a FIFO without a reader.
    """
    target = Path(os.path.realpath(path))
    mode = _existing_mode(target)
    if mode is not None and not stat.S_ISREG(mode):
        _write_stream(target, mode, data)
        return
    remove_stale_temporaries(target)
    fd, tmp_name = _create_temporary(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, (mode & 0o7777) if mode is not None else 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise OSError now if `atomic_write_bytes(path, ...)` could not write there later.

    For a new or regular file, a temporary is created in the folder and removed: the same
    operation the write needs, so permissions, read-only file systems and name lengths all show.
    """
    target = Path(os.path.realpath(path))
    mode = _existing_mode(target)
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, expected a file path", str(path))
        if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
            raise OSError(errno.EINVAL, "is not a regular file, a character device or a FIFO", str(path))
        return
    fd, tmp_name = _create_temporary(target)
    os.close(fd)
    os.unlink(tmp_name)


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Delete temporaries that an earlier, killed write of `path` left in its folder.

    Only files named as `atomic_write_bytes` names them for this very target are considered, and
    of those only the ones whose writer is no longer running (and that are older than
    STALE_AFTER_S), or that are older than ABANDONED_AFTER_S. Returns what was removed.
    """
    target = Path(path)
    pattern = re.compile(
        re.escape(f".{_kept_name(target.name)}.{TEMP_TAG}-") + r"(\d+)-[A-Za-z0-9_]+\.tmp\Z"
    )
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        age = now - info.st_mtime
        writer_gone = not _alive(int(match.group(1)))
        if (writer_gone and age >= STALE_AFTER_S) or age >= ABANDONED_AFTER_S:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _kept_name(name: str) -> str:
    return name[:_NAME_KEPT]


def _create_temporary(target: Path) -> tuple[int, str]:
    import tempfile  # with shutil, bz2, lzma and random behind it: only when something is written

    prefix = f".{_kept_name(target.name)}.{TEMP_TAG}-{os.getpid()}-"
    return tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=target.parent)


def _existing_mode(target: Path) -> int | None:
    try:
        return os.stat(target).st_mode
    except FileNotFoundError:
        return None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _write_stream(target: Path, mode: int, data: bytes) -> None:
    """Write to a character device or FIFO as `>` would; refuse other special files."""
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder, expected a file path", str(target))
    if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        raise OSError(errno.EINVAL, "is not a regular file, a character device or a FIFO", str(target))
    try:
        # Non-blocking open: a FIFO nobody reads fails at once (ENXIO) instead of hanging.
        fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OSError(errno.ENXIO, "is a FIFO that nobody reads", str(target)) from None
        raise
    try:
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
