"""Baselines: the measured value of every budgeted figure, the machine and the date.

`NAME.baseline.toml` sits beside the profile and is written atomically by --update-baseline.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from lightprof import __version__
from lightprof.atomicio import atomic_write_text
from lightprof.errors import ProfileError
from lightprof.machine import current_machine, same_machine
from lightprof.profile import Profile
from lightprof.result import BaselineRef, Machine, Result

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BASELINE_VERSION = 1


@dataclass(frozen=True)
class Baseline:
    path: Path
    taken_at: str
    lightprof: str
    machine: Machine | None
    figures: dict[str, dict[str, float]]

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


def load_baseline(profile: Profile) -> Baseline | None:
    """The profile's baseline, or None when it has none yet. A corrupt file is a ProfileError."""
    path = profile.baseline_path()
    if not path.exists():
        return None
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(
            f"{path}: not a readable lightprof baseline ({exc}); delete it or run --update-baseline"
        ) from None
    figures_raw = data.get("figures", {})
    figures: dict[str, dict[str, float]] = {}
    if not isinstance(figures_raw, dict):
        raise ProfileError(f"{path}: 'figures' must be a table of subjects")
    for subject, metrics in figures_raw.items():
        if not isinstance(metrics, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics.values()
        ):
            raise ProfileError(f"{path}: [figures.{subject}] must map metric names to numbers")
        figures[subject] = {k: float(v) for k, v in metrics.items()}
    machine_raw = data.get("machine")
    machine = None
    if isinstance(machine_raw, dict):
        try:
            machine = Machine(cpu=str(machine_raw["cpu"]), cores=int(machine_raw["cores"]),
                              os=str(machine_raw["os"]), python=str(machine_raw["python"]))
        except (KeyError, ValueError, TypeError):
            machine = None
    return Baseline(path=path, taken_at=str(data.get("taken_at", "")), lightprof=str(data.get("lightprof", "")),
                    machine=machine, figures=figures)


def write_baseline(profile: Profile, result: Result) -> Path:
    """Write the measured value of every budgeted figure beside the profile, atomically."""
    figures: dict[str, dict[str, float]] = {}
    for row in result.budgets:
        if row.measured is not None and row.verdict != "unmeasured":
            figures.setdefault(row.subject, {})[row.metric] = row.measured
    machine = current_machine()
    document = {
        "version": BASELINE_VERSION,
        "profile": profile.name,
        "taken_at": result.started_at,
        "lightprof": __version__,
        "machine": {"cpu": machine.cpu, "cores": machine.cores, "os": machine.os, "python": machine.python},
        "figures": figures,
    }
    path = profile.baseline_path()
    header = "# lightprof baseline: written by `lightprof --headless --update-baseline`; commit it with the profile.\n"
    import tomli_w  # only --update-baseline writes TOML

    atomic_write_text(path, header + tomli_w.dumps(document))
    return path
