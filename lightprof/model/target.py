"""The data of one target: its runs, their distributions, its tree memory and comparisons.

Numbers are in base units named by suffix (`_s` seconds, `_bytes` bytes, fractions for ratios).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lightprof.model.attribution import Attribution

from lightprof.model.paths import Counter, EventStats, PathResult, Telemetry


@dataclass
class Run:
    """One launch of a target: spawn → ready, then until it ended."""

    warmup: bool
    ready_s: float | None
    wall_s: float
    user_s: float
    sys_s: float
    peak_rss_bytes: int
    exit_code: int | None
    error: str | None = None
    stderr_tail: str | None = None
    hold: bool = False
    index: int = 0
    # The run whose tree RSS was sampled (the last one; not counted in cold-start statistics).
    memory_run: bool = False
    # peak_rss_bytes: the memory run's exact peak (its own wait4, forked by /bin/sh) or the
    # sampled tree peak, whichever is larger; 0 for a run that was neither sampled nor forked.
    # rss_floor_bytes no longer has a meaning (it was lightprof's own RSS, under which a
    # vfork'd child's ru_maxrss said nothing) and stays 0; kept for the schema.
    rss_floor_bytes: int = 0


@dataclass
class Summary:
    """Distribution of one figure over runs, with confidence intervals for its percentiles."""

    n: int
    failed: int
    min: float
    p50: float
    p95: float
    p99: float
    max: float
    mean: float
    stdev: float
    outliers: int
    p50_ci: tuple[float, float]
    p95_ci: tuple[float, float]
    p99_ci: tuple[float, float]
    mean_ci: tuple[float, float] = (0.0, 0.0)


@dataclass
class ProcessInfo:
    """One process of a target's tree as last seen by the memory sampler."""

    pid: int
    ppid: int
    command: str
    rss_bytes: int
    cpu_percent: float


@dataclass
class Memory:
    """Whole-tree resident memory of a target."""

    steady_rss_bytes: int | None
    peak_rss_bytes: int | None
    timeline: list[tuple[float, int]] = field(default_factory=list)
    sample_hz: float = 20.0
    samples: int = 0
    sampler_cpu_s: float = 0.0
    processes_seen: int = 0
    processes: list[ProcessInfo] = field(default_factory=list)
    # No longer set (the memory run's peak is exact); kept for the schema and old reports.
    peak_rss_at_most_bytes: int | None = None


@dataclass
class Calibration:
    """A fixed command run beside a target, pair by pair, to see the machine's own speed."""

    command: list[str]
    runs_s: list[float]  # beside the target's timed runs, in the same order


@dataclass
class Comparison:
    """A target judged against a reference measured in the same session, runs interleaved.

    `mode` says what the reference is: "base" (the same target at git revision `base`),
    "against" (another target of the profile, `against`) or "baseline" (the stored baseline's
    sample, both sessions interleaved with the same `calibration` command). Ratios are
    target / reference: `ratio_p50` is the median of per-pair ratios (baseline mode: of the
    target/calibration ratios, divided by the baseline's), `ratio_p50_ci` its 95% bootstrap
    interval. `drift` is how much the machine moved: baseline mode, the calibration's median now
    against at baseline; otherwise the reference's median in the second half of the pairs
    against the first. `head_runs_s` and `base_runs_s` are both sides' timed runs in pair order
    (the TUI draws both distributions on one axis); `ratios` the per-pair ratios.
    """

    mode: str
    n: int
    ratio_p50: float
    ratio_p50_ci: tuple[float, float]
    ratio_p95: float | None = None
    drift: float | None = None
    against: str | None = None
    base: str | None = None
    calibration: list[str] | None = None
    verdict: str = "pass"  # the ratio check: pass, regression or inconclusive
    tolerance: float = 0.10
    extra_pairs: int = 0
    stopped_by: str | None = None  # "max_runs" or "max_time" when more pairs were wanted
    head_runs_s: list[float] = field(default_factory=list)
    base_runs_s: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    base_cold_start_s: Summary | None = None
    base_memory: Memory | None = None
    note: str = ""


@dataclass
class TargetResult:
    name: str
    command: list[str] | str
    ready: str
    runs: list[Run] = field(default_factory=list)
    cold_start_s: Summary | None = None
    memory: Memory | None = None
    error: str | None = None
    stderr_tail: str | None = None
    extra_runs: int = 0
    comparison: Comparison | None = None
    calibration: Calibration | None = None
    # --attribute or an import budget: where the cold start goes (lightprof.measure.attribution).
    attribution: Attribution | None = None
    cache: str = "warm"  # "cold": every run started with fresh bytecode and compile caches
    # Critical paths and the target's own telemetry (lightprof.model.paths), from its memory run.
    paths: list[PathResult] = field(default_factory=list)
    events: list[EventStats] = field(default_factory=list)
    counters: dict[str, Counter] = field(default_factory=dict)
    telemetry: Telemetry | None = None
