"""Every regular file under a folder with its size, fast enough to stand beside `du -sb`.

A Python walk costs about 2.3 us of CPU per file (an fstatat plus the objects around it) against
du's 1.3-1.9 us. So once a walk has seen SPLIT_AFTER files and still has folders waiting, a helper
process on a spare core (`_walker.py` run as a script, ~10-20 ms to start) lists folders too. This
process keeps the one stack of folders to list and hands the helper small batches, at most two
at a time, so neither walker idles while the other still has work. A tree that turns out small
costs one spawn and one kill; a machine with one core never starts a helper. The helper is killed
when the walk ends or fails, and it stops by itself when this process dies: it never outlives
lightprof.

The walk yields an Inventory of (prefix, names, sizes) groups rather than a dict of paths: most
artifacts only need the total, the count and the largest few files, and 100,000 path strings
cost more than the helper saves.
"""

from __future__ import annotations

import heapq
import os
import signal
import sys
from collections.abc import Iterator
from itertools import chain

from lightprof.errors import MeasureError
from lightprof.measure._walker import Listing, WalkError, list_folder, read_frame, write_frame

# A helper starts once the walk has seen this many files with folders still waiting. Before it
# answers for the first time, its folders are taken back the moment this process runs out of
# its own, so a tree that turns out small costs one spawn and one kill (~1 ms), not a wait.
SPLIT_AFTER = 1000
# Batches in flight to the helper: one being listed, one waiting, so it never waits on us.
_IN_FLIGHT = 2
_MAX_BATCH = 32

Group = tuple[str, list[str], list[int]]  # prefix ("folder/" or ""), file names, sizes


class Inventory:
    """Regular files and their sizes, kept as groups that share a path prefix."""

    def __init__(self, groups: list[Group] | None = None) -> None:
        self.groups: list[Group] = groups if groups is not None else []

    @classmethod
    def from_sizes(cls, sizes: dict[str, int]) -> Inventory:
        return cls([("", list(sizes), list(sizes.values()))])

    def add_listing(self, folder: str, names: list[str], sizes: list[int]) -> None:
        self.groups.append((folder if folder.endswith("/") else folder + "/", names, sizes))

    def add_file(self, path: str, size: int) -> None:
        self.groups.append(("", [path], [size]))

    def __len__(self) -> int:
        return sum(len(names) for _, names, _ in self.groups)

    def total(self) -> int:
        return sum(sum(sizes) for _, _, sizes in self.groups)

    def items(self) -> Iterator[tuple[str, int]]:
        """(path, bytes) of every file."""
        for prefix, names, sizes in self.groups:
            for name, size in zip(names, sizes, strict=True):
                yield prefix + name, size

    def as_dict(self) -> dict[str, int]:
        """{path: bytes}; a path listed twice (overlapping glob matches) is kept once."""
        return dict(self.items())

    def largest(self, count: int) -> list[tuple[str, int]]:
        """The `count` largest files, largest first; ties by path, so the order does not depend
        on the order folders were listed in."""
        groups = [group for group in self.groups if group[2]]
        if count <= 0 or not groups:
            return []
        # A floor at or below the count-th largest size, then paths only for the files at or
        # above it. Each folder's largest file comes from max() in C, and the count-th largest of
        # those maxima has `count` files at or above it; with fewer folders than that, the sizes.
        peaks = [max(sizes) for _, _, sizes in groups]
        if len(peaks) >= count:
            floor = sorted(peaks, reverse=True)[count - 1]
        else:
            floor = heapq.nlargest(count, chain.from_iterable(sizes for _, _, sizes in groups))[-1]
        candidates = [
            (size, prefix + name)
            for (prefix, names, sizes), peak in zip(groups, peaks, strict=True)
            if peak >= floor
            for name, size in zip(names, sizes, strict=True)
            if size >= floor
        ]
        candidates.sort(reverse=True)
        return [(path, size) for size, path in candidates[:count]]

    def ending_with(self, suffix: str) -> list[tuple[str, int]]:
        """(path, bytes) of the files whose name ends with `suffix`, sorted by path."""
        found = []
        for prefix, names, sizes in self.groups:
            if suffix not in "\0".join(names):  # one C-speed search rules out most folders
                continue
            found.extend((prefix + name, size) for name, size in zip(names, sizes, strict=True)
                         if name.endswith(suffix))
        return sorted(found)


def _spare_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) - 1
    except (AttributeError, OSError):  # not Linux
        return (os.cpu_count() or 1) - 1


class _Helper:
    """A second walker in its own process that lists the folders it is sent.

    Started with os.posix_spawn and two pipes rather than subprocess, which would add a few ms of
    imports to every --headless run that sizes a large folder.
    """

    def __init__(self) -> None:
        import select

        self.in_flight: list[list[str]] = []
        self.answered = False  # a first reply came: it is up and listing
        self.pid: int | None = None
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_walker.py")
        if not sys.executable or not os.path.isfile(script):  # embedded or zipped: walk alone
            return
        to_read, self._to = os.pipe()  # os.pipe() descriptors are close-on-exec: only 0 and 1 pass
        self._from, from_write = os.pipe()
        try:
            self.pid = os.posix_spawn(
                sys.executable, [sys.executable, "-I", "-S", script, str(os.getpid())], os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, to_read, 0),
                    (os.POSIX_SPAWN_DUP2, from_write, 1),
                    (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                ],
            )
        except OSError:
            os.close(self._to)
            os.close(self._from)
            return
        finally:
            os.close(to_read)
            os.close(from_write)
        self._poll = select.poll()
        self._poll.register(self._from, select.POLLIN)

    @property
    def alive(self) -> bool:
        return self.pid is not None

    def send(self, folders: list[str]) -> bool:
        try:
            write_frame(self._to, folders)
        except OSError:
            return False
        self.in_flight.append(folders)
        return True

    def has_reply(self) -> bool:
        return bool(self._poll.poll(0))

    def receive(self) -> list[Listing]:
        """The listings of the oldest batch in flight (blocks until they come).

        EOFError if the helper died; WalkError if it could not read a folder.
        """
        try:
            reply = read_frame(self._from)
        except (OSError, ValueError, TypeError):
            raise EOFError from None
        self.in_flight.pop(0)
        self.answered = True
        if not isinstance(reply, tuple) or reply[0] not in ("ok", "error"):
            raise EOFError
        if reply[0] == "error":
            raise WalkError(reply[1], reply[2])
        return reply[1]

    def stop(self) -> list[str]:
        """End the helper; the folders it was sent and never answered for, to be listed here."""
        orphans = [folder for batch in self.in_flight for folder in batch]
        self.in_flight = []
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):  # already reaped by a sweep of children
                pass
            os.close(self._to)
            os.close(self._from)
            self.pid = None
        return orphans


def walk_folder(root: str, into: Inventory | None = None) -> Inventory:
    """Every regular file under the folder `root`, into `into` (a new Inventory by default).

    Paths are `root` joined with the names below it; symlinks and special files are skipped and
    symlinked folders not followed. Raises MeasureError naming the first folder that cannot be read.
    """
    inventory = into if into is not None else Inventory()
    stack = [root]
    seen = 0
    helper: _Helper | None = None
    may_split = _spare_cpus() > 0
    try:
        while stack or (helper is not None and helper.in_flight):
            if helper is not None:
                stack.extend(_exchange(helper, stack, inventory))
                if not helper.alive:  # ended (died, or taken back): walk on alone
                    helper = None
                if not stack:
                    continue
            folder, names, sizes, subfolders = list_folder(stack.pop())
            inventory.add_listing(folder, names, sizes)
            stack.extend(subfolders)
            seen += len(names)
            if may_split and seen >= SPLIT_AFTER and len(stack) >= 2:
                may_split = False  # one helper per walk; if it cannot start, walk alone
                helper = _Helper()
                if not helper.alive:
                    helper = None
    except WalkError as exc:
        raise MeasureError(f"cannot read folder '{exc.folder}': {exc.reason}") from None
    finally:
        if helper is not None:
            helper.stop()
    return inventory


def _exchange(helper: _Helper, stack: list[str], inventory: Inventory) -> list[str]:
    """Take the helper's finished listings and keep it fed; the subfolders it found.

    Blocks for the helper only when this process has nothing left to list itself, and then only
    once the helper has answered before: a helper still starting (~10-20 ms) would take longer
    than listing its few folders here, so it is ended and they come back to be listed here. So
    do the folders of a helper that died; either way it is sent nothing more.
    """
    found: list[str] = []
    try:
        while helper.in_flight and (not stack and not found or helper.has_reply()):
            if not helper.answered and not helper.has_reply():
                raise EOFError
            for folder, names, sizes, subfolders in helper.receive():
                inventory.add_listing(folder, names, sizes)
                found.extend(subfolders)
        pending = len(stack) + len(found)
        while helper.alive and len(helper.in_flight) < _IN_FLIGHT and pending >= 2:
            take = max(1, min(_MAX_BATCH, pending // 4))
            source = stack if len(stack) >= take else found
            batch = source[:take]
            del source[:take]
            pending -= len(batch)
            if not helper.send(batch):
                source[:0] = batch
                raise EOFError
    except EOFError:
        found.extend(helper.stop())
    return found
