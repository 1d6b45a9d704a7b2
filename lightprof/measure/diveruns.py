"""An image's layer entries as sorted runs, spooled compressed, merged back in path order.

dive's figures compare each path across layers and need, for a deleted folder, everything below
it. Holding every path of every layer in dicts cost ~600 bytes per entry (1.2 GB for two layers of
a million files). Here each layer's entries are sorted in chunks, packed (marshal + zlib: sorted
paths share long prefixes and shrink ~15 times) and kept in memory up to SPOOL_IN_MEMORY, then
in an unlinked temporary file; the analysis reads them back as one stream ordered by path. So
memory is bounded by the chunk size and the number of runs, not by the number of entries.

Paths are held as keys: "/" replaced by "\\0", the smallest character, so that a path's subtree
follows it directly in sorted order ("a", "a\\0b", "a\\0c", "a-b"). Tar names cannot hold NUL; the
header reader refuses a PAX path that does.
"""

from __future__ import annotations

import heapq
import marshal
import os
import tempfile
import zlib
from collections.abc import Iterator
from itertools import repeat
from operator import itemgetter
from typing import IO

CHUNK_ENTRIES = 1 << 17  # entries sorted at once (their tuples and keys are the transient memory)
BLOCK_ENTRIES = 4096  # entries packed together: what the merge holds per run
SPOOL_IN_MEMORY = 16 << 20  # packed bytes kept in memory before they go to a temporary file

Entry = tuple[str, int, str]  # (key, size, kind)
Record = tuple[str, int, int, str]  # (key, run, size, kind): run orders equal keys as they were listed


def key_of(path: str) -> str:
    return path.replace("/", "\0")


def path_of(key: str) -> str:
    return key.replace("\0", "/")


class RunSpool:
    """Chunks of entries, each sorted by key, spooled; `merged()` streams them in key order."""

    def __init__(self) -> None:
        self.chunk: list[Entry] = []
        self.layer = 0
        self.run_layers: list[int] = []  # the layer of each run
        self.run_blocks: list[list[int]] = []  # the blocks of each run, as indexes into `blocks`
        self.blocks: list[bytes | tuple[int, int]] = []  # packed bytes, or (offset, length) in `file`
        self.held = 0
        self.file: IO[bytes] | None = None
        self.file_bytes = 0

    def add(self, entries: list[Entry]) -> None:
        """Entries of the current layer, keys already made with key_of, in the order listed."""
        self.chunk += entries
        if len(self.chunk) >= CHUNK_ENTRIES:
            self._flush()

    def end_layer(self) -> None:
        self._flush()
        self.layer += 1

    def _flush(self) -> None:
        chunk, self.chunk = self.chunk, []
        if not chunk:
            return
        chunk.sort(key=itemgetter(0))  # stable: equal keys stay in the order they were listed
        blocks = []
        for start in range(0, len(chunk), BLOCK_ENTRIES):
            part = chunk[start:start + BLOCK_ENTRIES]
            packed = marshal.dumps(([e[0] for e in part], [e[1] for e in part], "".join([e[2] for e in part])))
            blocks.append(self._put(zlib.compress(packed, 1)))
        self.run_layers.append(self.layer)
        self.run_blocks.append(blocks)

    def _put(self, data: bytes) -> int:
        if self.file is None and self.held + len(data) > SPOOL_IN_MEMORY:
            self.file = tempfile.TemporaryFile(prefix="lightprof-dive-")  # noqa: SIM115 - closed in close()
            self.blocks = [self._write(block) if isinstance(block, bytes) else block for block in self.blocks]
            self.held = 0
        if self.file is None:
            self.held += len(data)
            self.blocks.append(data)
        else:
            self.blocks.append(self._write(data))
        return len(self.blocks) - 1

    def _write(self, data: bytes) -> tuple[int, int]:
        assert self.file is not None
        self.file.write(data)
        self.file_bytes += len(data)
        return (self.file_bytes - len(data), len(data))

    def _block(self, index: int) -> tuple[list[str], list[int], str]:
        block = self.blocks[index]
        if not isinstance(block, bytes):
            assert self.file is not None
            block = os.pread(self.file.fileno(), block[1], block[0])
        keys, sizes, kinds = marshal.loads(zlib.decompress(block))
        return keys, sizes, kinds

    def _records(self, run: int) -> Iterator[Record]:
        for index in self.run_blocks[run]:
            keys, sizes, kinds = self._block(index)
            yield from zip(keys, repeat(run), sizes, kinds)

    def merged(self) -> Iterator[Record]:
        """Every entry of every layer, by key, then in the order listed (layer by layer)."""
        self._flush()
        if self.file is not None:
            self.file.flush()
        runs = [self._records(run) for run in range(len(self.run_blocks))]
        if len(runs) <= 1:
            return runs[0] if runs else iter(())
        return heapq.merge(*runs)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
