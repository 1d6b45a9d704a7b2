"""The data of one lightprof session: what was measured, judged and reported.

`Result` is to lightprof what a session is to pyinstrument: the engine fills it, the gate judges
it, each report renders it, the TUI shows it live and `--open report.json` loads it back. It is
plain data (dataclasses) serialised through `lightprof.serial`; numbers are in base units named by
suffix (`_s` seconds, `_bytes` bytes, fractions for ratios).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightprof.errors import ProfileError
from lightprof.measure.sizes_model import ArtifactResult, ImageResult
from lightprof.serial import from_jsonable, to_jsonable

if TYPE_CHECKING:
    from lightprof.measure.kernels_model import KernelResult

SCHEMA_VERSION = 1
VERDICTS = ("pass", "fail", "regression", "unmeasured")


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


@dataclass
class BudgetRow:
    """One budget judged: the limit, what was measured, the baseline and the verdict."""

    subject: str
    metric: str
    limit: float | None
    measured: float | None
    baseline: float | None
    delta: float | None
    verdict: str
    unit: str = "s"
    kind: str = "target"
    higher_is_better: bool = False
    measured_ci: tuple[float, float] | None = None
    note: str = ""
    line: int | None = None


@dataclass
class Machine:
    cpu: str
    cores: int
    os: str
    python: str


@dataclass
class ProfileRef:
    name: str
    path: str | None
    origin: str = "file"


@dataclass
class BaselineRef:
    path: str
    taken_at: str
    machine: Machine | None
    lightprof: str
    comparable: bool
    note: str = ""


@dataclass
class Result:
    schema: int
    lightprof: str
    profile: ProfileRef
    machine: Machine
    started_at: str
    exit_code: int = 0
    finished_at: str | None = None
    targets: list[TargetResult] = field(default_factory=list)
    artifacts: list[ArtifactResult] = field(default_factory=list)
    images: list[ImageResult] = field(default_factory=list)
    kernels: list[KernelResult] = field(default_factory=list)
    budgets: list[BudgetRow] = field(default_factory=list)
    baseline: BaselineRef | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> Result:
        # The hints name KernelResult, which a --headless run without kernels never imports (its
        # dataclasses cost ms to create); resolving them needs it in this module's namespace.
        from lightprof.measure.kernels_model import KernelResult

        globals().setdefault("KernelResult", KernelResult)
        return from_jsonable(cls, data)


def load_report(path: str | Path) -> Result:
    """Load a report written by `--json`; a bad file is one clear ProfileError (exit 2)."""
    import json

    file = Path(path)
    try:
        data = json.loads(file.read_text("utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"{file}: no such report file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{file}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{file}:{exc.lineno}: not a lightprof JSON report ({exc.msg})") from None
    if not isinstance(data, dict) or "schema" not in data or "targets" not in data:
        raise ProfileError(f"{file}: not a lightprof JSON report (no 'schema' and 'targets' fields)")
    if data["schema"] != SCHEMA_VERSION:
        raise ProfileError(f"{file}: report schema {data['schema']!r} is not supported; expected {SCHEMA_VERSION}")
    try:
        return Result.from_dict(data)
    except (TypeError, ValueError, KeyError) as exc:
        raise ProfileError(f"{file}: malformed lightprof report ({exc})") from None
