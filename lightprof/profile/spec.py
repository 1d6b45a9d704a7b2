"""Budget profiles (version 1): the frozen specs a profile is loaded into.

Specs carry numbers in base units (seconds, bytes, fractions). Loading and validation live beside
this module (`load`, `validate`): every error a user can make in a profile becomes one
`ProfileError` sentence naming the file, the line, the key and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROFILE_VERSION = 1
PROFILE_FILE = "lightprof.toml"
PYTHON_TOKEN = "{python}"

TIME_BUDGETS = ("cold_start_p50", "cold_start_p95", "cold_start_p99", "cold_start_mean")
SIZE_BUDGETS = ("rss_steady", "rss_peak")
# Judged on the target/reference p50 ratio (with against, --base or a baseline with its sample).
RATIO_BUDGETS = ("max_slowdown",)
# A slowdown budget compares two commands that may differ a lot (a whole headless run against a
# bare interpreter start): it may reach 100000% (1001x), a tolerance only 1000%.
MAX_SLOWDOWN = 1000.0
# The most runs (and warm-ups) of one target, in a profile and in the TUI's session settings alike.
MAX_RUNS = 100_000
# Python targets, from -X importtime (lightprof.measure.attribution): the target's own imports'
# median time, and modules that must not be imported on the way to ready (a list, kept apart from
# the numeric budgets in TargetSpec.forbid_imports).
IMPORT_BUDGETS = ("import_time", "forbid_imports")
TARGET_BUDGETS = TIME_BUDGETS + SIZE_BUDGETS + RATIO_BUDGETS + IMPORT_BUDGETS
CACHE_STATES = ("warm", "cold")
INCONCLUSIVE_POLICIES = ("warn", "fail")
# [[target.path]] budgets; a path's rows are "METRIC@PATH" (profile.paths parses them).
PATH_BUDGETS = ("latency_p50", "latency_p95", "latency_p99", "first_latency", "ops_per_cpu_s")


def budget_unit(metric: str) -> str:
    """The unit of a target budget's figure: "s", "bytes" or "ratio"."""
    if metric in TIME_BUDGETS or metric == "import_time":
        return "s"
    if metric == "forbid_imports":
        return "count"
    return "ratio" if metric in RATIO_BUDGETS else "bytes"
READY_KINDS = ("exit", "port", "http", "stdout")
COMPRESSIONS = ("none", "gzip", "brotli")
# Names end up in file names (NAME.baseline.toml), tables, JUnit XML and terminal titles.
MAX_NAME_LENGTH = 100
# A profile is a few kB; anything this large is not one, and reading it is bounded.
MAX_PROFILE_BYTES = 16 * 1024 * 1024
# The ready probe connects to the target on this machine only (see README: ready).
LOOPBACK_HOSTS = ("localhost", "::1", "[::1]")


def argv_of(command: tuple[str, ...] | list[str] | str) -> list[str]:
    """The argv to exec: a list command as is, a string command through `sh -c`."""
    if isinstance(command, str):
        return ["/bin/sh", "-c", command]
    return list(command)


@dataclass(frozen=True)
class ReadySpec:
    """When a launched target counts as started."""

    kind: str = "exit"
    port: int | None = None
    host: str = "127.0.0.1"
    url: str | None = None
    pattern: str | None = None

    def describe(self) -> str:
        if self.kind == "port":
            return f"port {self.host}:{self.port}"
        if self.kind == "http":
            return f"http {self.url}"
        if self.kind == "stdout":
            return f"stdout /{self.pattern}/"
        return "exit"


@dataclass(frozen=True)
class BodySpec:
    """What a request carries: `size` random bytes, the bytes of `file`, or `text` (UTF-8)."""

    kind: str  # "size", "file" or "text"
    size: int = 0
    file: Path | None = None
    text: str = ""


@dataclass(frozen=True)
class PathSpec:
    """One critical path: `requests` requests of `method url` after ready, `concurrency` at a time."""

    name: str
    url: str  # as written: "/sum" (on the ready origin) or a full loopback http:// URL
    method: str = "GET"
    body: BodySpec | None = None
    content_type: str | None = None
    requests: int = 100
    warmup: int = 0
    concurrency: int = 1
    timeout: float = 10.0  # per request
    max_time: float = 60.0  # for the whole path: a slow server cannot hold the run for ever
    budget: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TelemetrySpec:
    events: bool = False
    metrics: str | None = None  # "/metrics" on the ready origin, or a full loopback URL
    justification: str = ""  # keeps Wasm op events slower than another impl's


@dataclass(frozen=True)
class TargetSpec:
    """A command to cold-start again and again, with its memory watched."""

    name: str
    command: tuple[str, ...] | str
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)
    ready: ReadySpec = field(default_factory=ReadySpec)
    runs: int = 30
    warmup: int = 3
    max_runs: int = 60
    timeout: float = 10.0
    hold: float = 0.0
    grace: float = 2.0
    sample_hz: float = 20.0
    tolerance: float = 0.10
    budget: Mapping[str, float] = field(default_factory=dict)
    # Near a threshold, more runs are taken until max_runs or until measuring the target has
    # taken max_time; a regression check still undecided then is "inconclusive", which warns
    # (exit 0) or, with inconclusive = "fail", fails the build.
    max_time: float = 60.0
    inconclusive: str = "warn"
    against: str | None = None  # another target of the profile, run interleaved with this one
    cache: str = "warm"  # "cold": fresh .pyc and Node compile-cache folders for every run
    forbid_imports: tuple[str, ...] = ()  # budget: modules that must not be imported on the way to ready
    # Critical paths requested after ready, and the target's own telemetry (lightprof.profile.paths).
    paths: tuple[PathSpec, ...] = ()
    telemetry: TelemetrySpec | None = None

    @property
    def argv(self) -> list[str]:
        return argv_of(self.command)


@dataclass(frozen=True)
class ArtifactSpec:
    """Files, a folder, a glob or a Python environment whose shipped size is budgeted."""

    name: str
    base_dir: Path
    path: str | None = None
    python_env: str | None = None
    compression: str = "none"
    budget: int | None = None
    top: int = 10
    tolerance: float = 0.10


@dataclass(frozen=True)
class ImageSpec:
    """A container image read from an archive or layout on disk (or an engine, by name)."""

    name: str
    base_dir: Path
    path: str | None = None
    image: str | None = None
    budget: int | None = None
    budget_compressed: int | None = None
    wasted_max: int | None = None
    efficiency_min: float | None = None
    top: int = 10
    tolerance: float = 0.10


@dataclass(frozen=True)
class KernelSpec:
    """A Wasm kernel compared with its fallback at each payload size."""

    name: str
    base_dir: Path
    path: str | None = None
    sizes: tuple[int, ...] = (4096, 1024 * 1024)
    justification: str = ""
    ops_per_cpu_s: float | None = None
    runs: int = 30
    tolerance: float = 0.10


@dataclass(frozen=True)
class BuildSpec:
    """`[build]`: what --base runs in the base worktree and in the working tree before measuring."""

    command: tuple[str, ...] | str
    timeout: float = 600.0

    @property
    def argv(self) -> list[str]:
        return argv_of(self.command)


@dataclass(frozen=True)
class Profile:
    """One loaded profile: where it came from and everything it measures."""

    name: str
    path: Path | None
    origin: str  # "file", "pyproject", "embedded" or "adhoc"
    targets: tuple[TargetSpec, ...] = ()
    artifacts: tuple[ArtifactSpec, ...] = ()
    images: tuple[ImageSpec, ...] = ()
    kernels: tuple[KernelSpec, ...] = ()
    version: int = PROFILE_VERSION
    budget_lines: Mapping[tuple[str, str], int] = field(default_factory=dict)
    build: BuildSpec | None = None

    @property
    def display_path(self) -> str:
        if self.path is None:
            return f"<{self.origin}>"
        try:
            return str(self.path.relative_to(Path.cwd()))
        except ValueError:
            return str(self.path)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()

    def baseline_path(self) -> Path:
        """Where `--update-baseline` writes: NAME.baseline.toml beside the profile."""
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.name).strip("-")[:MAX_NAME_LENGTH] or "lightprof"
        return self.base_dir / f"{safe}.baseline.toml"

    def subjects(self) -> list[str]:
        return [s.name for group in (self.targets, self.artifacts, self.images, self.kernels) for s in group]
