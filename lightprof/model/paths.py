"""The data of critical paths and a target's own telemetry, as the report carries them.

Plain dataclasses, numbers in base units named by suffix (`_s`, `_bytes`); the engine fills them
(`lightprof.measure.target.paths`), the gate judges them and every report renders them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Latency:
    """Client-side latency of a path's measured requests (seconds), with distribution-free 95%
    intervals of the percentiles (order statistics)."""

    n: int
    min: float
    p50: float
    p95: float
    p99: float
    max: float
    mean: float
    p50_ci: tuple[float, float] | None = None
    p95_ci: tuple[float, float] | None = None
    p99_ci: tuple[float, float] | None = None


@dataclass
class PathResult:
    """One `[[target.path]]` after its requests ran against the ready target.

    `requests` counts the measured requests (after the first one and the warm-ups); `sent` every
    request, the first and the warm-ups included. `errors` are requests that got no 2xx/3xx
    answer (`statuses` says which codes) or no answer at all (`failures` says why, first few).
    `cpu_s` is the CPU time the target's whole process tree spent while the measured requests
    ran; `ops_per_cpu_s` = requests / cpu_s. `client_cpu_s` is what lightprof's own client spent
    on them (its cost, shown so a reader can see it did not starve the target).
    """

    name: str
    method: str
    url: str
    requests: int = 0
    sent: int = 0
    concurrency: int = 1
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    first_latency_s: float | None = None
    latency_s: Latency | None = None
    histogram: list[tuple[float, int]] = field(default_factory=list)  # (upper bound s, count), for the TUI
    wall_s: float = 0.0
    cpu_s: float | None = None
    ops_per_cpu_s: float | None = None
    client_cpu_s: float = 0.0
    rss_before_bytes: int | None = None
    rss_after_bytes: int | None = None
    rss_peak_bytes: int | None = None
    stopped_by: str | None = None  # "max_time" or "connection" when the path ended early
    error: str | None = None  # why the path could not be measured at all


@dataclass
class FieldStats:
    """One numeric field of one kind of event: p50/p95 over the values kept."""

    n: int
    min: float
    p50: float
    p95: float
    max: float
    mean: float
    sampled: bool = False  # more values came than were kept: percentiles are of a uniform sample


@dataclass
class EventStats:
    """The events with one (event, op, impl): `ms` (the field lightprof judges), then any other
    numeric fields they carry."""

    event: str
    op: str | None
    impl: str | None
    n: int
    ms: FieldStats | None = None
    fields: dict[str, FieldStats] = field(default_factory=dict)
    modules: list[str] = field(default_factory=list)  # the values of a "module" text field (a few)


@dataclass
class EventsSummary:
    """What reading the target's output saw: lines, events, what was skipped and why."""

    lines: int = 0
    events: int = 0
    skipped: int = 0  # lines that were not JSON objects with an "event" key
    too_long: int = 0  # lines over the line limit (skipped, counted)
    kinds_dropped: int = 0  # events of kinds beyond the kinds limit (counted, not aggregated)
    bytes: int = 0


@dataclass
class Counter:
    """One Prometheus counter (name and labels, as exposed) before and after the paths."""

    before: float | None
    after: float | None
    delta: float | None = None  # after - before, when both were read


@dataclass
class Telemetry:
    """A target's own telemetry, gathered in its memory run around the paths."""

    summary: EventsSummary | None = None
    metrics_url: str | None = None
    metrics_error: str | None = None
    idle_rss_bytes: int | None = None  # steady RSS before the paths (the hold window after ready)
