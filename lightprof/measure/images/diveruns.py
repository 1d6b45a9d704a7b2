"""An image's layer entries as sorted runs, spooled compressed, merged back in path order.

dive's figures compare each path across layers and need, for a deleted folder, everything below
it. Holding every path of every layer in dicts made memory grow by hundreds of bytes per entry
(docs/sizes.md has the figures). Here each layer's entries are sorted in chunks, packed (marshal +
zlib: sorted paths share long prefixes, so they pack small) and kept in memory up to
SPOOL_IN_MEMORY, then in an unlinked temporary file; the analysis reads them back as one stream
ordered by path. What stays in memory: the chunk being sorted and, while merging, one block per
run (a run is CHUNK_ENTRIES entries, so a block per 65,536 entries listed).

Paths are held as keys (layertar.key_of: "/" replaced by "\\0"), so that a path's subtree follows
it directly in sorted order ("a", "a\\0b", "a\\0c", "a-b").
"""

from __future__ import annotations

import marshal
import os
import tempfile
import zlib
from bisect import bisect_left
from collections.abc import Iterator
from itertools import repeat
from operator import itemgetter
from typing import IO

CHUNK_ENTRIES = 1 << 16  # entries sorted at once (their tuples and keys are the transient memory)
BLOCK_ENTRIES = 1024  # entries packed together: what the merge holds of each run
SPOOL_IN_MEMORY = 16 << 20  # packed bytes kept in memory before they go to a temporary file

Entry = tuple[str, int, str]  # (key, size, kind)
Record = tuple[str, int, int, str]  # (key, run, size, kind): run orders equal keys as they were listed


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
        """Entries (key, size, kind) of the current layer, in the order listed."""
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

    def _blocks(self, run: int) -> Iterator[list[Record]]:
        for index in self.run_blocks[run]:
            keys, sizes, kinds = self._block(index)
            yield list(zip(keys, repeat(run), sizes, kinds))

    def merged(self) -> Iterator[list[Record]]:
        """Every entry of every layer in batches, by key, then in the order listed (layer by layer);
        all the records of one key are in one batch.

        A k-way merge a block at a time: whatever sorts before the smallest last key of the runs'
        current blocks can go out now; it is gathered in run order and sorted by key alone, and
        the sort (stable, in C, fast on a few sorted stretches) keeps equal keys in run order.
        """
        self._flush()
        if self.file is not None:
            self.file.flush()
        sources = [self._blocks(run) for run in range(len(self.run_blocks))]
        pending = [next(source, []) for source in sources]
        first = itemgetter(0)
        live = [run for run, records in enumerate(pending) if records]
        while live:
            # the runs whose block ends first bound what can go out: an equal key may follow in their
            # next block, so only what sorts strictly before that key goes now
            limit = min(pending[run][-1][0] for run in live)
            batch: list[Record] = []
            for run, records in enumerate(pending):
                if records:
                    cut = bisect_left(records, limit, key=first)
                    batch += records[:cut]
                    pending[run] = records[cut:]
            for run in list(live):
                if pending[run][-1][0] == limit:
                    more = next(sources[run], None)
                    if more is None:
                        live.remove(run)
                    else:
                        pending[run] += more
            if not live:  # every run is read: what is left goes too
                for records in pending:
                    batch += records
            batch.sort(key=first)
            if batch:
                yield batch

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
