"""The memory run's load: the target's paths, with its counters scraped before and after.

Called by `run_once` once a server target is ready and its idle hold is over, while the memory
sampler still watches its tree. Per path: the tree's CPU is read just before the measured
requests and just after them (nanoseconds, `treecpu`), one RSS sample is taken at once before
and after, and the sampler's samples in between give the peak. A target that dies during a path
ends the load with a sentence naming the path (the run fails: exit 3).
"""

from __future__ import annotations

import math
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lightprof.errors import ProfileError
from lightprof.measure.events import EventSink, PathFinished, Progress
from lightprof.measure.target.launched import Launched
from lightprof.measure.target.memory import RunMemory, TreeSampler
from lightprof.measure.target.paths import treecpu
from lightprof.measure.target.paths.client import FAILURES_KEPT, PathRun, fetch_text, run_requests
from lightprof.measure.target.paths.prometheus import ExpositionError, parse_counters
from lightprof.model.paths import Counter, Latency, PathResult, Telemetry
from lightprof.profile.paths import origin_of, resolve_url
from lightprof.profile.spec import BodySpec, PathSpec
from lightprof.stats import percentile, quantile_ci

if TYPE_CHECKING:
    from lightprof.measure.target.paths.eventlines import EventLines
    from lightprof.model.target import Run, TargetResult
    from lightprof.profile.spec import TargetSpec

HISTOGRAM_BINS = 24


@dataclass
class LoadOutcome:
    paths: list[PathResult] = field(default_factory=list)
    counters: dict[str, Counter] = field(default_factory=dict)
    metrics_url: str | None = None
    metrics_error: str | None = None
    started_s: float = 0.0  # seconds after the target's spawn
    ended_s: float = 0.0
    error: str | None = None  # the target ended during the load


def body_bytes(body: BodySpec | None) -> bytes | None:
    if body is None:
        return None
    if body.kind == "size":
        return os.urandom(body.size)
    if body.kind == "text":
        return body.text.encode("utf-8")
    assert body.file is not None
    try:
        return body.file.read_bytes()
    except OSError as exc:
        raise ProfileError(f"body file {body.file} cannot be read: {exc.strerror}") from None


def _headers(path: PathSpec) -> dict[str, str]:
    headers = {"User-Agent": "lightprof"}
    if path.body is not None:
        default = "text/plain; charset=utf-8" if path.body.kind == "text" else "application/octet-stream"
        headers["Content-Type"] = path.content_type or default
    elif path.content_type:
        headers["Content-Type"] = path.content_type
    return headers


def run_load(spec: TargetSpec, launched: Launched, sampler: TreeSampler, t0_ns: int,
             cancel: threading.Event, on_event: EventSink | None = None) -> LoadOutcome:
    """Scrape, run every path in profile order, scrape again; never raises for the target's faults.

    `on_event` hears a Progress as each path starts and a PathFinished as it ends (nothing while
    its requests run: the loop's thread does nothing else)."""
    origin = origin_of(spec.ready)
    assert origin is not None
    bodies = [body_bytes(path.body) for path in spec.paths]  # before any request: a bad file is exit 2
    outcome = LoadOutcome(started_s=_since(t0_ns))
    telemetry = spec.telemetry
    before: dict[str, float] = {}
    if telemetry is not None and telemetry.metrics:
        outcome.metrics_url = resolve_url(telemetry.metrics, origin)
        before = _scrape(outcome, spec.timeout)
    for index, (path, body) in enumerate(zip(spec.paths, bodies, strict=True)):
        if cancel.is_set():
            break
        if on_event is not None:
            on_event(Progress(spec.name, f"path {path.name}: {path.requests} requests", index, len(spec.paths)))
        result = _run_path(path, resolve_url(path.url, origin), body, launched, sampler, t0_ns, cancel)
        outcome.paths.append(result)
        if on_event is not None:
            on_event(PathFinished(spec.name, result))
        # A server that closed every connection may be dying: its sockets close before its exit
        # is visible, so give it a moment before the next path would be blamed on it.
        if launched.wait_exit(1.0 if result.stopped_by == "connection" else 0.0):
            exit_info = launched.reap()
            outcome.error = f"{exit_info.describe()} while path '{path.name}' ran"
            break
    outcome.ended_s = _since(t0_ns)
    sampler.sample_now()  # the first sample of the loaded steady window
    if outcome.metrics_url and outcome.error is None and outcome.metrics_error is None and not cancel.is_set():
        after = _scrape(outcome, spec.timeout)
        if outcome.metrics_error is None:
            for key in sorted(set(before) | set(after)):
                old, new = before.get(key), after.get(key)
                # A labelled series appears with its first event: before the paths it was 0.
                delta = new - (old or 0.0) if new is not None else None
                outcome.counters[key] = Counter(before=old, after=new, delta=delta)
    return outcome


def _since(t0_ns: int) -> float:
    return (time.perf_counter_ns() - t0_ns) / 1e9


def _scrape(outcome: LoadOutcome, timeout: float) -> dict[str, float]:
    assert outcome.metrics_url is not None
    try:
        return parse_counters(fetch_text(outcome.metrics_url, timeout))
    except ExpositionError as exc:
        outcome.metrics_error = f"{outcome.metrics_url} is not Prometheus text: {exc}"
    except ValueError as exc:
        outcome.metrics_error = str(exc)
    return {}


def _latest_rss(sampler: TreeSampler) -> int | None:
    sampler.sample_now()
    samples = sampler.current().samples
    return samples[-1][1] if samples else None


def _run_path(path: PathSpec, url: str, body: bytes | None, launched: Launched, sampler: TreeSampler,
              t0_ns: int, cancel: threading.Event) -> PathResult:
    result = PathResult(name=path.name, method=path.method, url=path.url, concurrency=path.concurrency)
    result.rss_before_bytes = _latest_rss(sampler)
    start_s = _since(t0_ns)
    cpu: dict[str, dict[int, float]] = {}
    measure_cpu = treecpu.available()

    def tree_cpu() -> dict[int, float]:
        # The tree as the memory sampler sees it (one sample now), escaped children included.
        sampler.sample_now()
        return treecpu.cpu_s([info.pid for info in sampler.current().processes] or [launched.pid])

    def on_start() -> None:
        if measure_cpu:
            cpu["before"] = tree_cpu()

    run = run_requests(url, path.method, body, _headers(path), requests=path.requests, warmup=path.warmup,
                       concurrency=path.concurrency, timeout=path.timeout, max_time=path.max_time,
                       cancel=cancel, on_start=on_start)
    if measure_cpu and "before" in cpu:
        cpu_s = treecpu.delta_s(cpu["before"], tree_cpu())
        result.cpu_s = cpu_s
        ok = sum(1 for answer in run.measured if _ok(answer.status))
        result.ops_per_cpu_s = ok / cpu_s if cpu_s > 0 and ok else None
    result.rss_after_bytes = _latest_rss(sampler)
    end_s = _since(t0_ns)
    window = [rss for t, rss in sampler.current().samples if start_s <= t <= end_s]
    result.rss_peak_bytes = max(window) if window else result.rss_after_bytes
    _fill(result, run)
    return result


def _fill(result: PathResult, run: PathRun) -> None:
    result.sent = run.sent
    result.requests = len(run.measured)
    result.wall_s = run.wall_s
    result.client_cpu_s = run.client_cpu_s
    result.stopped_by = run.stopped_by
    answers = ([run.first] if run.first is not None else []) + run.warm + run.measured
    for answer in answers:
        if not _ok(answer.status):
            result.errors += 1
            label = str(answer.status) if answer.status is not None else "no answer"
            result.statuses[label] = result.statuses.get(label, 0) + 1
            if answer.failure and answer.failure not in result.failures and len(result.failures) < FAILURES_KEPT:
                result.failures.append(answer.failure)
    if run.first is not None and run.first.status is not None:
        result.first_latency_s = run.first.latency_s
    latencies = sorted(a.latency_s for a in run.measured if a.status is not None)
    if latencies:
        result.latency_s = Latency(n=len(latencies), min=latencies[0], p50=percentile(latencies, 0.5),
                                   p95=percentile(latencies, 0.95), p99=percentile(latencies, 0.99),
                                   max=latencies[-1], mean=sum(latencies) / len(latencies),
                                   p50_ci=quantile_ci(latencies, 0.5), p95_ci=quantile_ci(latencies, 0.95),
                                   p99_ci=quantile_ci(latencies, 0.99))
        result.histogram = _histogram(latencies)
    if result.requests == 0 and run.stopped_by is not None:
        result.error = f"no measured request was sent (stopped by {run.stopped_by})"


def _ok(status: int | None) -> bool:
    """A 2xx answer; anything else (3xx included: no redirect is followed) is an error."""
    return status is not None and 200 <= status < 300


def _histogram(ordered: list[float]) -> list[tuple[float, int]]:
    """Counts in log-spaced bins between the fastest and the slowest request (upper bounds)."""
    low, high = ordered[0], ordered[-1]
    if high <= low or low <= 0:
        return [(high, len(ordered))]
    step = (math.log(high) - math.log(low)) / HISTOGRAM_BINS
    bounds = [math.exp(math.log(low) + step * (i + 1)) for i in range(HISTOGRAM_BINS)]
    bounds[-1] = high
    counts = [0] * HISTOGRAM_BINS
    for value in ordered:
        index = min(int((math.log(value) - math.log(low)) / step), HISTOGRAM_BINS - 1) if value > low else 0
        counts[index] += 1
    return list(zip(bounds, counts, strict=True))


def apply_load(result: TargetResult, run: Run, memory: RunMemory, load: LoadOutcome | None,
               events: EventLines | None) -> None:
    """Put the memory run's (`run`, sampled as `memory`) paths, events and counters into
    `result`; with paths, its steady RSS is the loaded one (from the end of the paths on) and the
    idle figure is kept beside it."""
    if load is None and events is None:
        return
    telemetry = Telemetry()
    if events is not None:
        telemetry.summary = events.summary
        result.events = events.stats()
    if load is not None:
        result.paths = load.paths
        result.counters = load.counters
        telemetry.metrics_url, telemetry.metrics_error = load.metrics_url, load.metrics_error
        ready_s = run.ready_s or 0.0
        idle = [rss for t, rss in memory.samples if ready_s <= t <= load.started_s]
        telemetry.idle_rss_bytes = int(statistics.median(idle)) if idle else None
        if load.paths and result.memory is not None:
            result.memory.steady_rss_bytes = memory.steady_after(load.ended_s)
    result.telemetry = telemetry
