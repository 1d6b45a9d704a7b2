"""Event lines: split at any chunk boundary, aggregated per (event, op, impl), bounded in memory."""

from __future__ import annotations

import json
import random

from lightprof.measure.target.paths import eventlines
from lightprof.measure.target.paths.eventlines import EventLines


def _feed(data: bytes, sizes: list[int]) -> EventLines:
    lines = EventLines()
    pos = 0
    for size in sizes:
        lines.feed(data[pos:pos + size])
        pos += size
    lines.feed(data[pos:])
    lines.close()
    return lines


def _stream() -> bytes:
    out = []
    for i in range(300):
        out.append(json.dumps({"event": "op_latency", "op": "sum", "impl": "wasm" if i % 3 else "js", "ms": i,
                               "bytes": 4096, "module": "sum.wasm"}))
        out.append("GET /sum 200 - plain log line")
        out.append('{"level": "info", "msg": "no event key"}')
        out.append('{"event": "broken json",')
    return ("\n".join(out) + "\n").encode()


def test_counts_and_percentiles_do_not_depend_on_where_chunks_break() -> None:
    data = _stream()
    whole = _feed(data, [])
    rng = random.Random(7)
    broken = _feed(data, [rng.randrange(1, 200) for _ in range(400)])
    assert whole.summary == broken.summary
    assert [(r.event, r.op, r.impl, r.n) for r in whole.stats()] == [
        ("op_latency", "sum", "js", 100), ("op_latency", "sum", "wasm", 200)]
    assert whole.stats()[0].ms == broken.stats()[0].ms
    assert whole.summary.events == 300 and whole.summary.skipped == 900 and whole.summary.lines == 1200


def test_ms_is_apart_other_numeric_fields_and_module_names_are_kept() -> None:
    row = _feed(_stream(), []).stats()[0]
    assert row.ms is not None and row.ms.p50 == 148.5 and row.ms.min == 0 and row.ms.max == 297
    assert set(row.fields) == {"bytes"} and row.fields["bytes"].p95 == 4096
    assert row.modules == ["sum.wasm"]


def test_a_line_longer_than_the_limit_is_skipped_and_counted() -> None:
    huge = b"x" * (eventlines.MAX_LINE * 3) + b'{"event": "hidden"}'
    data = huge + b'\n{"event": "seen", "ms": 1}\n'
    lines = _feed(data, [1000] * 300)
    assert lines.summary.too_long == 1 and lines.summary.events == 1
    assert [r.event for r in lines.stats()] == ["seen"]


def test_memory_stays_bounded_however_many_events_and_kinds_come() -> None:
    lines = EventLines()
    for i in range(50_000):
        lines.feed(json.dumps({"event": f"kind{i % 200}", "ms": i, **{f"f{k}": k for k in range(20)}}).encode()
                   + b"\n")
    assert len(lines.stats()) == eventlines.MAX_KINDS
    assert lines.summary.kinds_dropped == 50_000 - sum(r.n for r in lines.stats())
    row = lines.stats()[0]
    assert len(row.fields) + 1 == eventlines.MAX_FIELDS  # "ms" plus the first other fields
    assert row.n == 250 and row.ms is not None and not row.ms.sampled

    many = EventLines()
    for i in range(20_000):
        many.feed(b'{"event": "op", "ms": %d}\n' % i)
    stats = many.stats()[0].ms
    assert stats is not None and stats.sampled and stats.n == 20_000 and stats.max == 19_999
    assert 8_000 < stats.p50 < 12_000  # a uniform sample's median


def test_values_that_are_not_finite_numbers_are_ignored() -> None:
    lines = _feed(b'{"event": "e", "ms": true, "big": 1e999, "huge": ' + b"9" * 400 + b', "ok": 2}\n', [])
    row = lines.stats()[0]
    assert row.ms is None and set(row.fields) == {"ok"}
