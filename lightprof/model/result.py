"""The data of one lightprof session: what was measured, judged and reported.

`Result` is to lightprof what a session is to pyinstrument: the engine fills it, the gate judges
it, each report renders it, the TUI shows it live and `--open report.json` loads it back. It is
plain data (dataclasses) serialised through `lightprof.model.codec`; numbers are in base units named by
suffix (`_s` seconds, `_bytes` bytes, fractions for ratios).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lightprof.model.codec import from_jsonable, to_jsonable
from lightprof.model.sizes import ArtifactResult, ImageResult
from lightprof.model.target import TargetResult
from lightprof.model.verdict import BudgetRow

if TYPE_CHECKING:
    from lightprof.model.kernels import KernelResult

SCHEMA_VERSION = 1
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Machine:
    cpu: str
    cores: int
    os: str
    python: str


def same_machine(a: Machine, b: Machine) -> bool:
    """Same CPU model, core count and OS family (kernel patch releases may differ)."""
    return a.cpu == b.cpu and a.cores == b.cores and a.os.split()[0] == b.os.split()[0]


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
        from lightprof.model import target
        from lightprof.model.attribution import Attribution
        from lightprof.model.kernels import KernelResult

        globals().setdefault("KernelResult", KernelResult)
        vars(target).setdefault("Attribution", Attribution)  # TargetResult's hint, likewise
        return from_jsonable(cls, data)
