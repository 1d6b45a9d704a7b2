"""Baselines: every budgeted figure with its sample, the calibration beside it, the machine and the date.

`NAME.baseline.toml` sits beside the profile and is written atomically by --update-baseline. For
each target it keeps the timed runs in the order they ran and, beside each, the run of the
calibration command interleaved with it, so a later session can tell a slower program from a
slower machine (lightprof.gate.compare). A baseline of one number per figure (written by lightprof
before samples were kept) still loads; its targets are judged as "weak": only a change whose
whole confidence interval is beyond the tolerance counts.

A baseline is input like a profile: a file that is not one lightprof wrote (a FIFO, NaN, a
negative time, an unknown version, nesting too deep) is one sentence naming the file and key, and
exit 2.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lightprof import __version__
from lightprof.atomicio import atomic_write_text
from lightprof.errors import ProfileError, shown
from lightprof.model.result import BaselineRef, Machine, Result, same_machine
from lightprof.model.target import TargetResult
from lightprof.profile.lines import LineIndex
from lightprof.profile.spec import Profile
from lightprof.safefile import UnsafeInput, read_regular_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BASELINE_VERSION = 1
# A baseline lightprof writes is a few kB per target; anything far larger was not written by it.
MAX_BYTES = 16 * 1024 * 1024
MAX_SAMPLE = 1_000_000


@dataclass(frozen=True)
class TargetSample:
    """A target's timed runs at baseline, in run order, and the calibration run beside each."""

    runs_s: tuple[float, ...]
    calibration_s: tuple[float, ...] | None = None
    calibration: tuple[str, ...] | None = None  # the command that took calibration_s


@dataclass(frozen=True)
class Baseline:
    path: Path
    taken_at: str
    lightprof: str
    machine: Machine | None
    figures: dict[str, dict[str, float]]
    samples: dict[str, TargetSample] = field(default_factory=dict)
    load_average: tuple[float, ...] | None = None

    def ref(self, here: Machine) -> BaselineRef:
        comparable = self.machine is not None and same_machine(self.machine, here)
        note = ""
        if not comparable:
            if self.machine:
                other = f"{self.machine.cpu}, {self.machine.cores} cores, {self.machine.os}"
            else:
                other = "an unknown machine"
            note = (
                f"baseline {self.path.name} was taken on another machine ({other}); "
                "regressions were not checked against it"
            )
        return BaselineRef(path=str(self.path), taken_at=self.taken_at, machine=self.machine,
                           lightprof=self.lightprof, comparable=comparable, note=note)

    def weak_targets(self, names: list[str]) -> list[str]:
        """Targets with figures but no sample: judged on one number."""
        return [name for name in names if name in self.figures and name not in self.samples]


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(shown(part) for part in path)


class _Reader:
    """Validates a parsed baseline, naming the file, line and key of the first problem."""

    def __init__(self, label: str, text: str) -> None:
        self.label = label
        self.index = LineIndex(text)

    def fail(self, path: tuple[str, ...], message: str) -> ProfileError:
        line = self.index.line_of(path)
        where = f"{self.label}:{line}" if line else self.label
        return ProfileError(f"{where}: {message}; fix it or write a new baseline with --update-baseline")

    def table(self, value: Any, path: tuple[str, ...]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"'{_dotted(path)}' must be a table")
        return value

    def number(self, value: Any, path: tuple[str, ...]) -> float:
        key = _dotted(path)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(path, f"'{key}' must be a number, got {type(value).__name__}")
        if not math.isfinite(value) or value < 0:
            raise self.fail(path, f"'{key}' must be a finite number of at least 0, got {value!r}")
        return float(value)

    def series(self, value: Any, path: tuple[str, ...]) -> tuple[float, ...]:
        key = _dotted(path)
        if not isinstance(value, list) or not value or len(value) > MAX_SAMPLE:
            raise self.fail(path, f"'{key}' must be a non-empty array of run times in seconds")
        numbers = tuple(self.number(item, path) for item in value)
        if min(numbers) <= 0:
            raise self.fail(path, f"'{key}' holds a run time of 0; every run takes some time")
        return numbers


def load_baseline(profile: Profile) -> Baseline | None:
    """The profile's baseline, or None when it has none yet. A bad file is a ProfileError (exit 2)."""
    path = profile.baseline_path()
    if not os.path.lexists(path):
        return None
    label = str(path)
    try:
        text = read_regular_text(path, label, MAX_BYTES)
    except UnsafeInput as exc:
        raise ProfileError(f"{exc.message}; expected a lightprof baseline") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(
            f"{label}: not a readable lightprof baseline ({exc}); delete it or run --update-baseline"
        ) from None
    except RecursionError:
        raise ProfileError(f"{label}: nests tables or arrays too deeply to be a lightprof baseline") from None
    try:
        return _read(path, _Reader(label, text), data)
    except RecursionError:
        raise ProfileError(f"{label}: nests tables or arrays too deeply to be a lightprof baseline") from None


def _read(path: Path, r: _Reader, data: dict[str, Any]) -> Baseline:
    version = data.get("version")
    if isinstance(version, bool) or version != BASELINE_VERSION:
        raise r.fail(("version",), f"baseline version {version!r} is not one lightprof {__version__} reads "
                                   f"(expected {BASELINE_VERSION})")
    figures: dict[str, dict[str, float]] = {}
    for subject, metrics in r.table(data.get("figures", {}), ("figures",)).items():
        table = r.table(metrics, ("figures", subject))
        figures[subject] = {metric: r.number(value, ("figures", subject, metric)) for metric, value in table.items()}
    samples: dict[str, TargetSample] = {}
    for subject, raw in r.table(data.get("samples", {}), ("samples",)).items():
        table = r.table(raw, ("samples", subject))
        if "runs_s" not in table:
            raise r.fail(("samples", subject), f"[samples.{subject}] has no 'runs_s'")
        runs = r.series(table["runs_s"], ("samples", subject, "runs_s"))
        calibration_s = None
        if "calibration_s" in table:
            calibration_s = r.series(table["calibration_s"], ("samples", subject, "calibration_s"))
            if len(calibration_s) != len(runs):
                raise r.fail(("samples", subject, "calibration_s"),
                             f"'samples.{subject}.calibration_s' must have one run beside each of runs_s "
                             f"({len(runs)}), got {len(calibration_s)}")
        command = table.get("calibration")
        if command is not None and (
            not isinstance(command, list) or not command or not all(isinstance(a, str) for a in command)
        ):
            raise r.fail(("samples", subject, "calibration"),
                         f"'samples.{subject}.calibration' must be a command: an array of strings")
        if calibration_s is not None and command is None:
            raise r.fail(("samples", subject), f"[samples.{subject}] has calibration_s but no 'calibration' command")
        samples[subject] = TargetSample(runs, calibration_s, tuple(command) if command else None)
    conditions = r.table(data.get("conditions", {}), ("conditions",))
    load = conditions.get("load_average")
    load_average = None
    if isinstance(load, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in load):
        load_average = tuple(float(v) for v in load)
    return Baseline(
        path=path, taken_at=str(data.get("taken_at", "")), lightprof=str(data.get("lightprof", "")),
        machine=_machine(data.get("machine")), figures=figures, samples=samples, load_average=load_average,
    )


def _machine(raw: Any) -> Machine | None:
    if not isinstance(raw, dict):
        return None
    try:
        return Machine(cpu=str(raw["cpu"]), cores=int(raw["cores"]), os=str(raw["os"]), python=str(raw["python"]))
    except (KeyError, ValueError, TypeError):
        return None


def timed_runs(target: TargetResult) -> list[float]:
    """A target's timed runs (not warm-ups, not the memory run), in the order they ran."""
    return [r.ready_s for r in target.runs if not r.warmup and not r.memory_run and r.ready_s is not None]


def write_baseline(profile: Profile, result: Result,
                   written_by: str = "`lightprof --headless --update-baseline`") -> Path:
    """Write every budgeted figure and each target's sample beside the profile, atomically.
    Figures keep twelve significant digits: a measurement has no more, float noise goes."""
    figures: dict[str, dict[str, float]] = {}
    for row in result.budgets:
        if row.measured is not None and row.verdict != "unmeasured" and row.unit != "ratio":
            measured = row.measured if isinstance(row.measured, int) else float(f"{row.measured:.12g}")
            figures.setdefault(row.subject, {})[row.metric] = measured
    samples: dict[str, dict[str, Any]] = {}
    for target in result.targets:
        if target.error is not None:
            continue
        runs = timed_runs(target)
        if len(runs) < 2:
            continue
        sample: dict[str, Any] = {"runs_s": [round(v, 9) for v in runs]}
        if target.calibration is not None and len(target.calibration.runs_s) == len(runs):
            sample["calibration"] = list(target.calibration.command)
            sample["calibration_s"] = [round(v, 9) for v in target.calibration.runs_s]
        samples[target.name] = sample
    machine = result.machine  # the machine the session measured on
    conditions: dict[str, Any] = {"load_average": [round(v, 2) for v in os.getloadavg()]}
    document = {
        "version": BASELINE_VERSION,
        "profile": profile.name,
        "taken_at": result.started_at,
        "lightprof": __version__,
        "machine": {"cpu": machine.cpu, "cores": machine.cores, "os": machine.os, "python": machine.python},
        "conditions": conditions,
        "figures": figures,
        "samples": samples,
    }
    path = profile.baseline_path()
    header = (
        f"# lightprof baseline: written by {written_by}; commit it with the profile.\n"
        "# samples: each target's timed runs in the order they ran, and the run of its calibration command\n"
        "# beside each, so that a slower machine is not taken for a slower program.\n"
    )
    import tomli_w  # only --update-baseline writes TOML

    try:
        atomic_write_text(path, header + tomli_w.dumps(document))
    except OSError as exc:
        raise ProfileError(f"cannot write baseline {path}: {exc.strerror}") from None
    return path
