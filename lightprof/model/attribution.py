"""The data of one target's attribution, as the JSON report holds it (see DESIGN.md, "attribution").

Plain dataclasses with no lightprof imports, so that the report model can name them and the
engine can fill them. Times in seconds (`_s`), shares as fractions of all samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ImportRow:
    """One module of the import tree: its own import time and that of everything it imported.

    `parent` is the module whose import imported this one (None at the top); `startup` marks the
    interpreter's own start-up imports (site, encodings, ...), shown apart from the target's.
    Times are medians over the runs the module appeared in (`runs`).
    """

    module: str
    self_s: float
    cumulative_s: float
    parent: str | None = None
    depth: int = 0
    startup: bool = False
    runs: int = 1


@dataclass
class FunctionRow:
    """A function by its share of the samples: where it was the running frame (self) or on the stack (total)."""

    name: str
    file: str
    line: int | None
    self_share: float
    total_share: float


@dataclass
class ModuleShare:
    """A source file (Node: a module's URL) by the share of samples spent in its own code."""

    module: str
    self_share: float


@dataclass
class LazyCandidate:
    """A module imported on the way to ready whose code did not run before ready, apart from its import."""

    module: str
    saves_s: float  # its median cumulative import time: what importing it later would save


@dataclass
class ImportChange:
    """With --base: a module whose import got slower, or that the head imports and the base did not."""

    module: str
    change: str  # "slower" or "new"
    head_s: float
    base_s: float | None = None


@dataclass
class Attribution:
    """Where one target's cold start goes.

    `kind` is "python" or "node" (or "unknown": neither wrote import times nor a CPU profile).
    `import_time_s` is the target's own imports (not the interpreter's start-up ones, `startup_s`),
    median over `runs` starts. `functions` come from py-spy (Python) or --cpu-prof (Node), over
    `samples` samples; the sampler's full profile is kept in `speedscope` (Python) or `cpuprofile`
    (Node), relative to the report's folder. `sampler_error` is one sentence when sampling failed;
    the imports do not need it.
    """

    kind: str
    runs: int = 0
    cache: str = "warm"
    import_time_s: float | None = None
    import_time_range_s: tuple[float, float] | None = None  # the fastest and slowest of the starts
    startup_s: float | None = None
    imports: list[ImportRow] = field(default_factory=list)
    lazy_candidates: list[str] = field(default_factory=list)
    lazy: list[LazyCandidate] = field(default_factory=list)
    functions: list[FunctionRow] = field(default_factory=list)
    modules: list[ModuleShare] = field(default_factory=list)
    samples: int = 0
    speedscope: str | None = None
    cpuprofile: str | None = None
    sampler: str | None = None
    sampler_error: str | None = None
    base_import_time_s: float | None = None
    import_changes: list[ImportChange] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)
