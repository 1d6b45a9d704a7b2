"""The data of one lightprof session: what was measured, judged and reported.

`Result` is to lightprof what a session is to pyinstrument: the engine fills it, the gate judges
it, each report renders it, the TUI shows it live and `--open report.json` loads it back. It is
plain data (dataclasses) serialised through `lightprof.serial`; numbers are in base units named by
suffix (`_s` seconds, `_bytes` bytes, fractions for ratios).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightprof.errors import ProfileError
from lightprof.measure.sizes_model import ArtifactResult, ImageResult
from lightprof.paths_model import Counter, EventStats, PathResult, Telemetry
from lightprof.serial import from_jsonable, to_jsonable

if TYPE_CHECKING:
    from lightprof.measure.kernels_model import KernelResult

SCHEMA_VERSION = 1
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
VERDICTS = ("pass", "fail", "regression", "inconclusive", "unmeasured")


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
    # Critical paths and the target's own telemetry (lightprof.paths_model), from its memory run.
    paths: list[PathResult] = field(default_factory=list)
    events: list[EventStats] = field(default_factory=list)
    counters: dict[str, Counter] = field(default_factory=dict)
    telemetry: Telemetry | None = None


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
    # With a comparison (--base, against, a baseline with its sample): the ratio that was judged
    # (drift-corrected against a stored baseline) and its interval; `delta` stays measured/baseline - 1.
    ratio: float | None = None
    ratio_ci: tuple[float, float] | None = None
    # Whether this row's verdict fails the build (an inconclusive check fails only with
    # inconclusive = "fail").
    fails_build: bool = False


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
    # --base REV: the revision compared with (as given, and its commit), and the base tree's
    # artifacts and images, sized like the head's (their figures are the rows' baselines).
    base: str | None = None
    base_artifacts: list[ArtifactResult] = field(default_factory=list)
    base_images: list[ImageResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)

    def to_json(self) -> str:
        import json

        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        # A path that is not UTF-8 (os.fsdecode gives surrogates) is kept as a JSON escape, so the
        # report stays UTF-8 and --open reads back the same string.
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

    @classmethod
    def from_dict(cls, data: Any) -> Result:
        # The hints name KernelResult, which a --headless run without kernels never imports (its
        # dataclasses cost ms to create); resolving them needs it in this module's namespace.
        from lightprof.measure.kernels_model import KernelResult

        globals().setdefault("KernelResult", KernelResult)
        return from_jsonable(cls, data)


# A report of 100,000 runs is ~40 MB; a file far beyond what lightprof writes is refused before it
# is parsed (json holds ~10 bytes of objects per byte of text).
MAX_REPORT_BYTES = 128 * 1024 * 1024
REPORT_EXIT_CODES = (0, 1, 2, 3, 130)


def load_report(path: str | Path) -> Result:
    """Load a report written by `--json`; a bad file is one clear ProfileError (exit 2).

    The file is read like a profile (a regular file, bounded) and checked like one: every field
    against its type (finite numbers, integers that fit 64 bits, arrays of objects), subject names
    unique and printable, verdicts and the exit code among those lightprof writes.
    """
    import json

    from lightprof.safefile import UnsafeInput, read_regular

    label = _label(path)
    try:
        raw = read_regular(path, label, MAX_REPORT_BYTES)
    except UnsafeInput as exc:
        raise ProfileError(exc.message) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProfileError(f"{label}: is not UTF-8 text, expected a lightprof JSON report") from None
    except RecursionError:
        raise ProfileError(f"{label}: arrays or objects nest too deeply to be a lightprof report") from None
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{label}:{exc.lineno}: not a lightprof JSON report ({exc.msg})") from None
    if not isinstance(data, dict) or "schema" not in data or "targets" not in data:
        raise ProfileError(f"{label}: not a lightprof JSON report (no 'schema' and 'targets' fields)")
    if data["schema"] != SCHEMA_VERSION or isinstance(data["schema"], bool):
        raise ProfileError(
            f"{label}: report schema {_shown(repr(data['schema']))} is not supported; expected {SCHEMA_VERSION}"
        )
    from lightprof.serial import DecodeError

    try:
        result = Result.from_dict(data)
        _check_report(result)
    except DecodeError as exc:
        where = f"'{_shown(exc.path)}' " if exc.path else ""
        raise ProfileError(f"{label}: not a valid lightprof report: {where}{exc.message}") from None
    return result


def _check_report(result: Result) -> None:
    """What the types alone do not say: names, verdicts, exit code (raises DecodeError)."""
    from lightprof.serial import DecodeError

    seen: dict[str, str] = {}
    for kind in ("targets", "artifacts", "images", "kernels"):
        for i, subject in enumerate(getattr(result, kind)):
            where = f"{kind}[{i}].name"
            name = subject.name
            if not name or len(name) > 1000 or not name.isprintable():
                raise DecodeError(where, f"must be a printable subject name, got {_shown(repr(name))}")
            if name in seen:
                raise DecodeError(where, f"'{name}' is also the name of {seen[name]}; each subject has its own")
            seen[name] = kind[:-1] + f" {i}"
    for i, image in enumerate(result.images):
        indexes: set[int] = set()
        for j, layer in enumerate(image.layers):
            if layer.index in indexes:
                raise DecodeError(f"images[{i}].layers[{j}].index", f"{layer.index} is also another layer's index")
            indexes.add(layer.index)
    judged: set[tuple[str, str]] = set()
    for i, row in enumerate(result.budgets):
        if (row.subject, row.metric) in judged:
            raise DecodeError(f"budgets[{i}]", f"judges {_shown(repr(row.subject))} {_shown(repr(row.metric))} "
                                               "a second time; a report judges each budget once")
        judged.add((row.subject, row.metric))
        if row.verdict not in VERDICTS:
            got = _shown(repr(row.verdict))
            raise DecodeError(f"budgets[{i}].verdict", f"must be one of {', '.join(VERDICTS)}, got {got}")
    if result.exit_code not in REPORT_EXIT_CODES:
        codes = ", ".join(map(str, REPORT_EXIT_CODES))
        raise DecodeError("exit_code", f"must be one of {codes}, got {result.exit_code}")


def _label(path: str | Path) -> str:
    text = str(path)
    return text if text.isprintable() else repr(text)[1:-1]


def _shown(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
