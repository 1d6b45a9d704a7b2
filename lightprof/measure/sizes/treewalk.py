"""Every regular file under a folder or a glob, counted as `du -sb` counts it, in bounded memory.

One process, one stack of folders, `os.scandir` on each folder's descriptor (each file is stat-ed
with `fstatat` relative to it, so the kernel resolves one name, not a whole path). What is kept
grows with what is reported, not with the number of files: totals, the `top` largest files (a
heap), the `.wasm` files, and the (device, inode) of files that have more than one name.

- Hard links: a file with several names counts once, as du counts it (by device and inode).
- Symlinks found below the named path are not followed and not counted (du does not follow them
  either); a symlinked folder can therefore never make a loop. The path the user names is followed.
- FIFOs, sockets and devices are not shipped bytes: not counted, never opened.
- What was not counted is tallied, so the report can say so (`Tally.not_counted`).
- A folder that cannot be read is a MeasureError naming it: nothing is skipped silently.

A helper process that listed folders on a second core used to sit beside this walk; side by side it
was no faster (`bench/bench_sizes.py --walk-helper` measures both in one run), so it went.
"""

from __future__ import annotations

import heapq
import os
import re
import stat
from collections.abc import Callable
from fnmatch import translate

from lightprof.errors import MeasureError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_SUB_FLAGS = _DIR_FLAGS | os.O_NOFOLLOW  # a folder swapped for a symlink mid-walk is not followed
WASM_LISTED = 1000  # .wasm files listed by path; more are counted in wasm_count and wasm_bytes only

# Called for every counted file: (descriptor of its folder, its name in it, its path, its size);
# the descriptor is None, and the name the whole path, for a file counted by `add_sized`.
FileHook = Callable[[int | None, str, str, int], None]


class Tally:
    """What a walk reports, in memory bounded by `top` and by the files with several names."""

    def __init__(self, top: int = 10, on_file: FileHook | None = None) -> None:
        self.top = max(0, top)
        self.on_file = on_file
        self.files = 0
        self.total_bytes = 0
        self._largest: list[tuple[int, str]] = []  # a min-heap of (size, path): its root is the smallest kept
        self.wasm: list[tuple[str, int]] = []
        self.wasm_count = 0
        self.wasm_bytes = 0
        self._linked: set[tuple[int, int]] = set()
        self.extra_links = 0  # names of a file already counted under another name
        self.symlinks = 0
        self.special = 0  # FIFOs, sockets, devices
        self.matched = 0  # paths a glob matched (files, folders, anything)

    def add(self, dir_fd: int | None, prefix: str, name: str, info: os.stat_result) -> None:
        """Count one regular file `prefix + name` (stat-ed as `info`) unless its inode was counted."""
        if info.st_nlink > 1 and not self.first_name(info):
            return
        self._count(dir_fd, prefix, name, info.st_size)

    def first_name(self, info: os.stat_result) -> bool:
        """Whether this is the first name seen of a file with several (each is remembered)."""
        key = (info.st_dev, info.st_ino)
        if key in self._linked:
            self.extra_links += 1
            return False
        self._linked.add(key)
        return True

    def add_sized(self, path: str, size: int) -> None:
        """Count a file whose size is already known (and that is known to be counted once)."""
        self._count(None, "", path, size)

    def _count(self, dir_fd: int | None, prefix: str, name: str, size: int) -> None:
        self.files += 1
        self.total_bytes += size
        heap = self._largest
        if len(heap) < self.top:
            heapq.heappush(heap, (size, prefix + name))
        elif heap and size >= heap[0][0]:
            path = prefix + name
            if (size, path) > heap[0]:  # ties by path, so the listing order does not matter
                heapq.heapreplace(heap, (size, path))
        if name.endswith(".wasm"):
            self.wasm_count += 1
            self.wasm_bytes += size
            if len(self.wasm) < WASM_LISTED:
                self.wasm.append((prefix + name, size))
        if self.on_file is not None:
            self.on_file(dir_fd, name, prefix + name, size)

    def largest(self) -> list[tuple[str, int]]:
        """The `top` largest files, largest first (ties: the later path first)."""
        return [(path, size) for size, path in sorted(self._largest, reverse=True)]

    def not_counted(self) -> str:
        """One sentence on what the walk saw and did not count, or "" when it counted everything."""
        parts = []
        if self.extra_links:
            parts.append(f"{self.extra_links} extra hard-link name(s) of files counted once (as du does)")
        if self.symlinks:
            parts.append(f"{self.symlinks} symlink(s) (not followed)")
        if self.special:
            parts.append(f"{self.special} FIFO(s), socket(s) or device(s)")
        return "not counted: " + ", ".join(parts) if parts else ""


def _open_folder(path: str, flags: int) -> int:
    try:
        return os.open(path, flags)
    except OSError as exc:
        raise MeasureError(f"cannot read folder '{path}': {exc.strerror or exc}") from None


def walk_folder(root: str, tally: Tally, *, follow_root: bool = True) -> None:
    """Count every regular file below the folder `root` into `tally`.

    `root` itself is followed if it is a symlink (the user named it) unless `follow_root` is
    False; nothing below it is. The loop is `Tally.add` written out with its counters in locals:
    it runs once per file, and a method call and attribute updates per file cost ~20% more.
    """
    stack = [root]
    heap, top, linked = tally._largest, tally.top, tally._linked
    on_file, wasm = tally.on_file, tally.wasm
    files = total = extra_links = symlinks = special = wasm_count = wasm_bytes = 0
    floor = heap[0][0] if top and len(heap) >= top else (-1 if top else 1 << 62)
    flags = _DIR_FLAGS if follow_root else _SUB_FLAGS
    try:
        while stack:
            folder = stack.pop()
            fd = _open_folder(folder, flags)
            flags = _SUB_FLAGS
            prefix = folder if folder.endswith("/") else folder + "/"
            try:
                with os.scandir(fd) as entries:
                    for entry in entries:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(prefix + entry.name)
                            continue
                        if not entry.is_file(follow_symlinks=False):
                            if entry.is_symlink():
                                symlinks += 1
                            else:
                                special += 1
                            continue
                        info = entry.stat(follow_symlinks=False)
                        if info.st_nlink > 1:
                            key = (info.st_dev, info.st_ino)
                            if key in linked:
                                extra_links += 1
                                continue
                            linked.add(key)
                        size = info.st_size
                        files += 1
                        total += size
                        name = entry.name
                        if size >= floor:
                            item = (size, prefix + name)
                            if len(heap) < top:
                                heapq.heappush(heap, item)
                            elif item > heap[0]:  # ties by path: the listing order does not matter
                                heapq.heapreplace(heap, item)
                            if len(heap) >= top:
                                floor = heap[0][0]
                        if name.endswith(".wasm"):
                            wasm_count += 1
                            wasm_bytes += size
                            if len(wasm) < WASM_LISTED:
                                wasm.append((prefix + name, size))
                        if on_file is not None:
                            on_file(fd, name, prefix + name, size)
            except OSError as exc:
                raise MeasureError(f"cannot read folder '{folder}': {exc.strerror or exc}") from None
            finally:
                os.close(fd)
    finally:
        tally.files += files
        tally.total_bytes += total
        tally.extra_links += extra_links
        tally.symlinks += symlinks
        tally.special += special
        tally.wasm_count += wasm_count
        tally.wasm_bytes += wasm_bytes


def add_named(path: str, tally: Tally, label: str) -> str:
    """Count what the user named: a file, or a folder and everything below it. Its kind."""
    try:
        info = os.stat(path)  # a named symlink is followed: the user pointed at it
    except FileNotFoundError:
        why = "is a dangling symlink" if os.path.islink(path) else "does not exist"
        raise MeasureError(f"artifact '{label}': '{path}' {why}; expected a file, folder or glob") from None
    except OSError as exc:
        raise MeasureError(f"artifact '{label}': cannot read '{path}': {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        walk_folder(path, tally)
        return "folder"
    if stat.S_ISREG(info.st_mode):
        tally.add(None, "", path, info)  # by its whole path: a named symlink is followed when opened too
        return "file"
    raise MeasureError(
        f"artifact '{label}': '{path}' is not a regular file or folder (a FIFO, socket or device); "
        "expected a file, folder or glob"
    )


# ---------------------------------------------------------------------------------------- globs

GLOB_CHARS = frozenset("*?[")
Matcher = Callable[[str], object]


def _matcher(part: str) -> Matcher | None:
    """A test for one path segment; None for `**`. Like glob, wildcards skip names starting with '.'."""
    if part == "**":
        return None
    if not GLOB_CHARS & set(part):
        return part.__eq__
    match = re.compile(translate(part)).match
    if part.startswith("."):
        return match
    return lambda name: not name.startswith(".") and match(name)


def _closure(positions: set[int], parts: list[Matcher | None]) -> frozenset[int]:
    """Positions reachable without consuming a segment (a `**` may match none)."""
    todo, seen = list(positions), set(positions)
    while todo:
        i = todo.pop()
        if i < len(parts) and parts[i] is None and i + 1 not in seen:
            seen.add(i + 1)
            todo.append(i + 1)
    return frozenset(seen)


def split_glob(pattern: str) -> tuple[str, list[str]]:
    """("dist/js", ["**", "*.js"]) for "dist/js/**/*.js": the literal folder, then the rest."""
    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    literal: list[str] = []
    for part in parts:
        if GLOB_CHARS & set(part):
            break
        literal.append(part)
    prefix = "/".join(literal)
    if pattern.startswith("/"):
        prefix = "/" + prefix
    return prefix, parts[len(literal):]


def walk_glob(root: str, parts: list[str], tally: Tally) -> None:
    """Count what the glob `parts` (segments below the folder `root`) matches, without following a
    symlink below `root`. A matched folder counts with everything below it; each file counts once,
    however many ways the pattern matches it (`dist/**` matches a folder and the files inside it).
    """
    matchers = [_matcher(p) for p in parts]
    end = len(matchers)
    stack = [(root, _closure({0}, matchers))]
    flags = _DIR_FLAGS
    while stack:
        folder, positions = stack.pop()
        fd = _open_folder(folder, flags)
        flags = _SUB_FLAGS
        prefix = folder if folder.endswith("/") else folder + "/"
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    name = entry.name
                    after: set[int] = set()
                    for i in positions:
                        if i == end:
                            continue
                        test = matchers[i]
                        if test is None:
                            if not name.startswith("."):
                                after.add(i)  # `**` consumes this segment and may go on
                        elif test(name):
                            after.add(i + 1)
                    if not after:
                        continue
                    reached = _closure(after, matchers)
                    is_dir = entry.is_dir(follow_symlinks=False)
                    if end in reached:
                        tally.matched += 1
                        if is_dir:
                            walk_folder(prefix + name, tally, follow_root=False)
                        elif entry.is_file(follow_symlinks=False):
                            tally.add(fd, prefix, name, entry.stat(follow_symlinks=False))
                        elif entry.is_symlink():
                            tally.symlinks += 1
                        else:
                            tally.special += 1
                    elif is_dir:
                        stack.append((prefix + name, reached))
        except OSError as exc:
            raise MeasureError(f"cannot read folder '{folder}': {exc.strerror or exc}") from None
        finally:
            os.close(fd)
