"""`{"event": ...}` JSON lines from a target's output, aggregated in bounded memory.

The run supervisor (`lightprof.measure.supervisor`) already drains the target's stderr pipe,
and with events on the target's stdout goes into the same pipe; `EventLines.feed` is handed
each chunk it reads. Nothing here blocks, and whatever the target prints the memory stays
bounded: a line longer than `MAX_LINE` is skipped (counted), at most `MAX_KINDS` kinds of
(event, op, impl) and `MAX_FIELDS` numeric fields per kind are aggregated, and each field keeps
a uniform sample of at most `MAX_VALUES` values (Algorithm R) beside its exact count, min, max
and mean. Chunks with no `"event"` in them are counted and dropped without being split.
"""

from __future__ import annotations

import json
import math
import random
import time
from array import array
from collections.abc import Callable

from lightprof.model.paths import EventsSummary, EventStats, FieldStats
from lightprof.stats import percentile

MAX_LINE = 64 * 1024
MAX_KINDS = 64
MAX_FIELDS = 8
MAX_VALUES = 2048
MAX_MODULES = 8  # distinct "module" names kept per kind (the .wasm rule matches on them)
_MARK = b'"event"'


class Values:
    """Exact count, min, max and sum of a numeric field, and a bounded uniform sample of it."""

    def __init__(self, rng: random.Random) -> None:
        self.n = 0
        self.total = 0.0
        self.low = math.inf
        self.high = -math.inf
        self.kept = array("d")
        self._rng = rng

    def add(self, value: float) -> None:
        self.n += 1
        self.total += value
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        if len(self.kept) < MAX_VALUES:
            self.kept.append(value)
        else:
            slot = self._rng.randrange(self.n)
            if slot < MAX_VALUES:
                self.kept[slot] = value

    def stats(self) -> FieldStats:
        ordered = sorted(self.kept)
        return FieldStats(n=self.n, min=self.low, p50=percentile(ordered, 0.5), p95=percentile(ordered, 0.95),
                          max=self.high, mean=self.total / self.n, sampled=self.n > len(self.kept))


class EventLines:
    """Splits a byte stream into lines and aggregates the event lines among them."""

    def __init__(self) -> None:
        self.summary = EventsSummary()
        self._kinds: dict[tuple[str, str | None, str | None], tuple[list[int], dict[str, Values], list[str]]] = {}
        self._partial = bytearray()
        self._discarding = False  # inside a line already longer than MAX_LINE
        self._rng = random.Random(0)

    def feed(self, chunk: bytes) -> None:
        self.summary.bytes += len(chunk)
        first = chunk.find(b"\n")
        if first < 0:
            self._extend(chunk)
            return
        self._extend(chunk[:first])
        self._finish_partial()
        last = chunk.rfind(b"\n")
        if last > first:
            middle = chunk[first + 1:last]
            if _MARK in middle:
                for line in middle.split(b"\n"):
                    self._line(line)
            else:
                count = middle.count(b"\n") + 1
                self.summary.lines += count
                self.summary.skipped += count
        self._extend(chunk[last + 1:])

    def settle(self, drain: Callable[[], object], quiet_s: float = 0.05, limit_s: float = 1.0) -> None:
        """Drain until nothing new has come for `quiet_s` (at most `limit_s`): a server may log a
        request's event just after answering it."""
        deadline = time.monotonic() + limit_s
        seen = -1
        while self.summary.bytes != seen and time.monotonic() < deadline:
            seen = self.summary.bytes
            time.sleep(quiet_s)
            drain()

    def close(self) -> None:
        """The stream ended: a last line without a newline still counts."""
        if self._partial or self._discarding:
            self._finish_partial()

    def _extend(self, piece: bytes) -> None:
        if self._discarding or not piece:
            return
        if len(self._partial) + len(piece) > MAX_LINE:
            self._partial.clear()
            self._discarding = True
            return
        self._partial += piece

    def _finish_partial(self) -> None:
        if self._discarding:
            self._discarding = False
            self.summary.lines += 1
            self.summary.too_long += 1
            return
        line = bytes(self._partial)
        self._partial.clear()
        self._line(line)

    def _line(self, line: bytes) -> None:
        self.summary.lines += 1
        line = line.strip()
        if not line.startswith(b"{") or _MARK not in line:
            self.summary.skipped += 1
            return
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            self.summary.skipped += 1
            return
        if not isinstance(obj, dict) or not isinstance(obj.get("event"), str):
            self.summary.skipped += 1
            return
        self.summary.events += 1
        key = (obj["event"][:200], _label(obj.get("op")), _label(obj.get("impl")))
        entry = self._kinds.get(key)
        if entry is None:
            if len(self._kinds) >= MAX_KINDS:
                self.summary.kinds_dropped += 1
                return
            entry = self._kinds[key] = ([0], {}, [])
        entry[0][0] += 1
        fields, modules = entry[1], entry[2]
        module = obj.get("module")
        if isinstance(module, str) and module not in modules and len(modules) < MAX_MODULES:
            modules.append(module[:200])
        for name, value in obj.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            try:
                number = float(value)
            except OverflowError:  # an integer beyond a double
                continue
            if not math.isfinite(number):
                continue
            values = fields.get(name)
            if values is None:
                if len(fields) >= MAX_FIELDS:
                    continue
                values = fields[name] = Values(self._rng)
            values.add(number)

    def stats(self) -> list[EventStats]:
        """One row per (event, op, impl), in the order first seen."""
        rows = []
        for (event, op, impl), (count, fields, modules) in self._kinds.items():
            stats = {name: values.stats() for name, values in fields.items()}
            rows.append(EventStats(event=event, op=op, impl=impl, n=count[0], ms=stats.pop("ms", None),
                                   fields=stats, modules=list(modules)))
        return rows


def _label(value: object) -> str | None:
    if value is None:
        return None
    return (value if isinstance(value, str) else json.dumps(value))[:200]
