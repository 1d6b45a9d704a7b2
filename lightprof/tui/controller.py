"""The TUI's state and its measuring, without Textual: what the panes are given to draw.

Who does what (memray's TUI and harlequin keep the same split):
- the controller owns the session state: the target specs changed for this session, the budgets
  being edited (every kind of subject), the live state of each target, the session's `Result`;
- a measurement is one call of `lightprof.session.measure_profile` on the part of the profile that
  was asked for (some targets, the sizes, one kernel), run by the app in a worker thread; its
  events go into a queue that the app drains on the UI thread (`drain`), never drawn per sample;
- every verdict comes from `lightprof.session.judge` over the whole session profile (`rejudge`):
  the TUI judges nothing itself, so a kernel, an artifact or an image measured here gets exactly
  the rows `--headless` gives it. A budget whose subject is not measured yet has no verdict: it is
  a `PlannedBudget`, not a fifth verdict.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lightprof.errors import LightprofError
from lightprof.measure.events import Event, PathFinished, Progress, SubjectFinished, TargetFinished
from lightprof.model.paths import PathResult
from lightprof.model.result import Result
from lightprof.model.verdict import BudgetRow
from lightprof.profile.spec import Profile, TargetSpec, budget_unit
from lightprof.tui.budget_rows import EDITABLE, UNITS, PlannedBudget, Row, editable
from lightprof.tui.live import LiveTarget, command_text
from lightprof.tui.verdicts import worst_verdict


@dataclass(frozen=True)
class PartMeasured:
    """The worker's last word: what the session measured for one part of the profile."""

    result: Result
    cancelled: bool


@dataclass(frozen=True)
class Refused:
    """The session refused to measure (a LightprofError: one sentence for the user)."""

    subjects: tuple[str, ...]
    message: str


@dataclass
class Drained:
    """What one drain of the queue brought, for the app to tell the user."""

    errors: list[tuple[str, str]] = field(default_factory=list)  # (title, sentence)
    finished: bool = False
    events: int = 0


class Controller:
    """The state of one TUI session over a profile (measuring) or a saved report (read-only)."""

    def __init__(self, profile: Profile | None = None, report: Result | None = None) -> None:
        if profile is None and report is None:
            raise ValueError("the TUI needs a profile or a report")
        self.profile = profile
        self.report = report
        self.read_only = report is not None
        self.specs: dict[str, TargetSpec] = {s.name: s for s in (profile.targets if profile else ())}
        self.budgets: dict[str, dict[str, float]] = {}
        self.kinds: dict[str, str] = {}
        for name, kind in self.subjects():
            self.kinds[name] = kind
        if profile is not None:
            for spec in profile.targets:
                self.budgets[spec.name] = dict(spec.budget)
            for kind, specs in (("artifact", profile.artifacts), ("image", profile.images),
                                ("kernel", profile.kernels)):
                for sub in specs:
                    limits = {metric: getattr(sub, attr) for metric, attr in EDITABLE[kind].items()
                              if getattr(sub, attr) is not None}
                    self.budgets[sub.name] = limits
        self.changed: dict[str, dict[str, float]] = {}  # budgets edited this session, to save
        self.settings_changed: dict[str, dict[str, Any]] = {}  # target keys set here (against), to save
        self.live: dict[str, LiveTarget] = {}
        self.rows: list[Row] = []
        self.headroom = 0.20
        self.status = ""
        self.baseline: Any = None
        self.result: Result | None = report
        self.save_path: Path | None = profile.path if profile else None
        self.events: deque[Event | PartMeasured | Refused] = deque()
        self.running: set[str] = set()  # subjects in the part being measured
        self.progress: Progress | None = None  # the latest progress of a kernel being measured
        self.paths_seen: dict[str, list[PathResult]] = {}  # paths finished in the run in flight
        self.attributions: dict[tuple[str, str], Any] = {}  # (target, cache) → Attribution run here
        self.attributing: str | None = None  # the cache of the attribution in flight
        self.cancel = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        if report is not None:
            for target in report.targets:
                self.live[target.name] = LiveTarget.from_result(target)
            self.rows = list(report.budgets)
        else:
            from lightprof.tui.shims import shim_note

            for spec in self.specs.values():
                self.live[spec.name] = LiveTarget(
                    name=spec.name, command=command_text(spec.command), ready=spec.ready.describe(),
                    note=shim_note(spec.command, spec.cwd),
                )

    # ------------------------------------------------------------------ subjects

    def subjects(self) -> list[tuple[str, str]]:
        """(name, kind) of everything the profile or report names, targets first."""
        source: Any = self.report if self.report is not None else self.profile
        groups = (("target", source.targets), ("artifact", source.artifacts),
                  ("image", source.images), ("kernel", source.kernels))
        return [(item.name, kind) for kind, items in groups for item in items]

    def measured(self, name: str) -> Any:
        """The subject's measured result in this session (or report), if any."""
        if self.result is None:
            return None
        for items in (self.result.targets, self.result.artifacts, self.result.images, self.result.kernels):
            for item in items:
                if item.name == name:
                    return item
        return None

    def state(self, name: str) -> str:
        """What the subject list shows: "running", its worst verdict, "unmeasured" for a subject
        whose measure failed, "measured" (no budget) or "idle" (not measured yet)."""
        if name in self.running:
            return "running"
        verdicts = [r.verdict for r in self.rows if r.subject == name and r.verdict is not None]
        if verdicts:
            return worst_verdict(verdicts)
        subject = self.measured(name)
        if subject is None:
            return "idle"
        return "unmeasured" if getattr(subject, "error", None) else "measured"

    # ------------------------------------------------------------------ measuring

    @property
    def busy(self) -> bool:
        return not self.idle.is_set()

    def part(self, targets: Sequence[str] = (), sizes: bool = False, kernel: Any = None) -> Profile:
        """The session profile cut down to what is to be measured now. A target measured against
        another brings that one along: the session runs them interleaved."""
        profile = self.session_profile()
        names = set(targets)
        for name in targets:
            against = self.specs[name].against
            if against is not None:
                names.add(against)
        return dataclasses.replace(
            profile,
            targets=tuple(s for s in profile.targets if s.name in names),
            artifacts=profile.artifacts if sizes else (),
            images=tuple(i for i in profile.images if i.path is not None) if sizes else (),
            kernels=(kernel,) if kernel is not None else (),
        )

    def begin(self, part: Profile) -> threading.Event:
        """UI thread, before the worker starts: mark the part's subjects running."""
        self.cancel = threading.Event()
        self.idle.clear()
        self.running = {s.name for group in (part.targets, part.artifacts, part.images, part.kernels)
                        for s in group}
        for spec in part.targets:
            live = self.live[spec.name]
            live.reset()
            live.running = True
            live.planned = spec.warmup + spec.runs + 1  # the engine adds one memory run
            live.clock_start = None
            self.paths_seen[spec.name] = []
        return self.cancel

    def measure(self, part: Profile, cancel: threading.Event, compressions: tuple[str, ...] = ()) -> None:
        """Worker thread: measure `part` through the session; only appends to the queue."""
        from lightprof.session import measure_profile

        try:
            result = measure_profile(part, baseline=self.baseline, on_event=self.events.append,
                                     cancel=cancel, compressions=compressions)
            self.events.append(PartMeasured(result, cancel.is_set()))
        except LightprofError as exc:
            names = tuple(s.name for g in (part.targets, part.artifacts, part.images, part.kernels) for s in g)
            self.events.append(Refused(names, exc.message))
        finally:
            self.idle.set()

    def drain(self) -> Drained:
        """UI thread: fold the queued events into the state (the app calls this at 4 Hz)."""
        out = Drained()
        while self.events:
            event = self.events.popleft()
            out.events += 1
            if isinstance(event, Refused):
                out.errors.append((", ".join(event.subjects), event.message))
                self.running -= set(event.subjects)
                for name in event.subjects:
                    if name in self.live:
                        self.live[name].running = False
                        self.live[name].refused = event.message
                out.finished = True
            elif isinstance(event, PartMeasured):
                self.merge(event.result)
                self.running.clear()
                self.progress = None
                for target in self.live.values():
                    target.running = False
                out.finished = True
            elif isinstance(event, SubjectFinished):
                self.running.discard(event.name)
            elif isinstance(event, Progress):
                self.progress = event
            elif isinstance(event, PathFinished):
                self.paths_seen.setdefault(event.target, []).append(event.path)
            else:
                live = self.live.get(getattr(event, "target", ""))
                if live is None:
                    continue
                live.apply(event)
                if isinstance(event, TargetFinished):
                    self.running.discard(event.target)
                    if event.result.error and not live.cancelled:
                        out.errors.append((f"{event.target} not measured", event.result.error))
        if out.finished:
            self.rejudge()
        return out

    def stop(self) -> None:
        self.cancel.set()
        for live in self.live.values():
            if live.running:
                live.cancelled = True

    def merge(self, part: Result) -> None:
        """Take what was measured into the session's result, replacing each subject by name."""
        if self.profile is None or self.read_only:
            return
        if self.result is None:
            from lightprof.session import new_result

            self.result = new_result(self.session_profile())
        previous = {k.name: k for k in self.result.kernels}
        for kernel in part.kernels:
            before = previous.get(kernel.name)
            if before is not None and not kernel.error and not before.error:
                # Keep the sizes measured before; a new run replaces its own sizes.
                sizes = {row.size_bytes: row for row in before.sizes}
                sizes.update({row.size_bytes: row for row in kernel.sizes})
                kernel.sizes = [sizes[s] for s in sorted(sizes)]
        for attr in ("targets", "artifacts", "images", "kernels"):
            new = list(getattr(part, attr))
            names = {item.name for item in new}
            kept = [item for item in getattr(self.result, attr) if item.name not in names]
            setattr(self.result, attr, kept + new)
        for note in part.notes:
            if note not in self.result.notes and not note.startswith("interrupted"):
                self.result.notes.append(note)

    # ------------------------------------------------------------------ judging

    def session_profile(self) -> Profile:
        """The profile with this session's specs and budgets, as the gate should judge it."""
        assert self.profile is not None
        specs = tuple(
            dataclasses.replace(spec, budget=dict(self.budgets.get(spec.name, {})))
            for spec in self.specs.values()
        )

        def with_limits(kind: str, items: Iterable[Any]) -> tuple[Any, ...]:
            out = []
            for item in items:
                limits = self.budgets.get(item.name, {})
                out.append(dataclasses.replace(item, **{
                    attr: limits.get(metric) for metric, attr in EDITABLE[kind].items()
                }))
            return tuple(out)

        return dataclasses.replace(
            self.profile, targets=specs, path=self.save_path,
            artifacts=with_limits("artifact", self.profile.artifacts),
            images=with_limits("image", self.profile.images),
            kernels=with_limits("kernel", self.profile.kernels),
        )

    def rejudge(self) -> None:
        """Judge everything measured against the session budgets (the session's own judge)."""
        if self.read_only or self.profile is None:
            return
        judged: list[BudgetRow] = []
        if self.result is not None and (self.result.targets or self.result.artifacts
                                        or self.result.images or self.result.kernels):
            from lightprof.session import judge

            judged = judge(self.session_profile(), self.result, self.baseline).budgets
        figures = self.baseline.figures if self.baseline is not None else {}
        judged_subjects = {row.subject for row in judged}
        rows: list[Row] = []
        for name, kind in self.subjects():
            own = [r for r in judged if r.subject == name]
            if own or name in judged_subjects or self.measured(name) is not None:
                rows.extend(own)
                continue
            for metric, limit in self.budgets.get(name, {}).items():
                unit = budget_unit(metric) if kind == "target" else UNITS.get(metric, "bytes")
                rows.append(PlannedBudget(name, metric, limit, unit, kind,
                                          baseline=figures.get(name, {}).get(metric)))
        rows.extend(r for r in judged if r.subject not in self.kinds)  # rules with their own subject
        self.rows = rows

    # ------------------------------------------------------------------ budgets

    def editable(self, subject: str, metric: str) -> str | None:
        """None when the budget can be edited here, else the reason it cannot."""
        return editable(self.kinds.get(subject), metric)

    def set_budget(self, subject: str, metric: str, value: float) -> None:
        base = metric.split("@", 1)[0]
        self.budgets.setdefault(subject, {})[base] = value
        self.changed.setdefault(subject, {})[base] = value
        self.rejudge()

    def current_limit(self, subject: str, metric: str) -> float | None:
        return self.budgets.get(subject, {}).get(metric.split("@", 1)[0])

    def set_spec(self, name: str, **changes: Any) -> None:
        spec = self.specs[name]
        ready = changes.get("ready", spec.ready)
        runs = changes.get("runs", spec.runs)
        if "hold" not in changes and ready.kind == "exit":
            changes["hold"] = 0.0
        self.specs[name] = dataclasses.replace(spec, **changes, max_runs=max(spec.max_runs, runs))
        self.live[name].ready = ready.describe()

    def suggest(self) -> int:
        from lightprof.tui.suggest import suggest_budgets

        measured = [t for t in (self.result.targets if self.result else []) if t.name in self.specs]
        suggested = 0
        for target in measured:
            for metric, value in suggest_budgets(target, self.headroom).items():
                self.budgets.setdefault(target.name, {})[metric] = value
                self.changed.setdefault(target.name, {})[metric] = value
                suggested += 1
        if suggested:
            self.rejudge()
        return suggested

    def load_baseline(self) -> str | None:
        """Load the profile's baseline; the sentence to tell the user when it cannot be read."""
        from lightprof.profile.baseline import load_baseline

        assert self.profile is not None
        try:
            self.baseline = load_baseline(self.profile)
        except LightprofError as exc:
            return exc.message
        return None

    def write_baseline(self) -> Path:
        from lightprof.profile.baseline import write_baseline

        assert self.result is not None
        path = write_baseline(self.session_profile(), self.result, written_by="the lightprof TUI (key b)")
        self.load_baseline()
        self.result.baseline = None  # judged afresh against the baseline just written
        self.rejudge()
        return path

    def save(self) -> Path:
        from lightprof.profile.write import save_profile

        assert self.profile is not None
        targets = {k: v for k, v in self.changed.items() if self.kinds.get(k, "target") == "target"}
        others = {(self.kinds[k], k): {EDITABLE[self.kinds[k]][m]: v for m, v in limits.items()}
                  for k, limits in self.changed.items() if self.kinds.get(k, "target") != "target"}
        path = save_profile(self.profile, targets, targets=tuple(self.specs.values()),
                            path=self.save_path, others=others, settings=self.settings_changed)
        self.save_path = path
        self.changed = {}
        self.settings_changed = {}
        return path
