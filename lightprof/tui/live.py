"""What the TUI knows about one target: built from engine events as they stream, or from a report.

Plain data and pure functions (no Textual), so the panes only render and the tests can feed it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from lightprof.measure.events import (
    Event,
    MemorySample,
    RunFinished,
    RunStarted,
    TargetFinished,
)
from lightprof.model.target import ProcessInfo, Run, Summary, TargetResult
from lightprof.stats import summarize


@dataclass
class LiveTarget:
    """One target's runs, memory samples and final result, as far as they are known."""

    name: str
    command: str = ""
    ready: str = "exit"
    runs: list[Run] = field(default_factory=list)
    planned: int = 0
    started: int = 0
    running: bool = False
    current_warmup: bool = False
    clock_start: float | None = None
    timeline: list[tuple[float, int]] = field(default_factory=list)
    timeline_run: int | None = None
    processes: tuple[ProcessInfo, ...] = ()
    current_rss: int | None = None
    peak_rss: int | None = None
    steady_rss: int | None = None
    peak_rss_at_most: int | None = None
    result: TargetResult | None = None
    run_started: float | None = None  # monotonic time the run in flight started (live elapsed time)
    cancelled: bool = False  # stopped by the user (x): its last run is not a failure
    refused: str | None = None  # the session's sentence when it would not measure the target
    note: str | None = None  # something to know before running it (a pyenv shim)
    _summary: Summary | None = None
    _summary_n: int = -1

    @classmethod
    def from_result(cls, target: TargetResult) -> LiveTarget:
        """A finished target from a report: everything known, nothing running."""
        live = cls(name=target.name, command=command_text(target.command), ready=target.ready)
        live.runs = list(target.runs)
        live.planned = live.started = len(target.runs)
        live.result = target
        if target.memory is not None:
            live.timeline = list(target.memory.timeline)
            live.processes = tuple(target.memory.processes)
            live.peak_rss = target.memory.peak_rss_bytes
            live.steady_rss = target.memory.steady_rss_bytes
            live.peak_rss_at_most = target.memory.peak_rss_at_most_bytes
            live.current_rss = target.memory.timeline[-1][1] if target.memory.timeline else None
        return live

    def reset(self) -> None:
        """Forget the last session's runs before measuring again."""
        self.runs.clear()
        self.planned = self.started = 0
        self.timeline = []
        self.timeline_run = None
        self.processes = ()
        self.current_rss = self.peak_rss = self.steady_rss = self.peak_rss_at_most = None
        self.result = None
        self.run_started = None
        self.cancelled = False
        self.refused = None
        self._summary, self._summary_n = None, -1

    def apply(self, event: Event) -> None:
        """Fold one engine event into the state."""
        if isinstance(event, RunStarted):
            self.running = True
            self.started = event.index + 1
            self.planned = event.planned
            self.current_warmup = event.warmup
            self.run_started = time.monotonic()
            if self.clock_start is None:
                self.clock_start = self.run_started
        elif isinstance(event, RunFinished):
            self.runs.append(event.run)
            self.run_started = None
            self.planned = event.planned
        elif isinstance(event, MemorySample):
            # The chart follows the latest run that produced samples, so a 20 ms run does not
            # blank it between runs.
            if event.run_index != self.timeline_run:
                self.timeline = []
                self.timeline_run = event.run_index
            self.timeline.append((event.t_s, event.rss_bytes))
            self.processes = event.processes
            self.current_rss = event.rss_bytes
            self.peak_rss = max(self.peak_rss or 0, event.rss_bytes)
        elif isinstance(event, TargetFinished):
            self.result = event.result
            self.running = False
            self.run_started = None
            memory = event.result.memory
            if memory is not None:
                self.steady_rss = memory.steady_rss_bytes
                self.peak_rss_at_most = memory.peak_rss_at_most_bytes
                if memory.peak_rss_bytes is not None:
                    self.peak_rss = memory.peak_rss_bytes

    @property
    def measured_runs(self) -> list[Run]:
        # The memory run is sampled, which perturbs its timing: it is not a cold-start sample.
        return [r for r in self.runs if not r.warmup and not r.hold and not r.memory_run]

    @property
    def failed_runs(self) -> list[Run]:
        """Runs that failed; a run stopped by the user (x) did not fail."""
        return [r for r in self.runs if (r.error is not None or r.ready_s is None) and r.error != "cancelled"]

    @property
    def done_runs(self) -> list[Run]:
        """Runs that ran to their end (not stopped by the user)."""
        return [r for r in self.runs if r.error != "cancelled"]

    def elapsed_s(self) -> float | None:
        """Seconds the run in flight has taken so far (None between runs)."""
        return None if self.run_started is None or not self.running else time.monotonic() - self.run_started

    @property
    def ready_times(self) -> list[float]:
        return [r.ready_s for r in self.measured_runs if r.error is None and r.ready_s is not None]

    def summary(self) -> Summary | None:
        """The final summary when the target finished, else one over the runs so far."""
        if self.result is not None and self.result.cold_start_s is not None and not self.running:
            return self.result.cold_start_s
        if len(self.runs) != self._summary_n:
            times = self.ready_times
            failed = len([r for r in self.measured_runs if r.error is not None and r.error != "cancelled"])
            self._summary = summarize(times, failed=failed) if times else None
            self._summary_n = len(self.runs)
        return self._summary

    def eta_s(self) -> float | None:
        """Seconds left at the pace of the runs so far; None before a run has finished."""
        if not self.running or self.clock_start is None or not self.runs:
            return None
        per_run = (time.monotonic() - self.clock_start) / len(self.runs)
        return max(0.0, (self.planned - len(self.runs)) * per_run)


def command_text(command: list[str] | tuple[str, ...] | str) -> str:
    """A command as one line, the way a user would type it in a shell (quoted where needed)."""
    if isinstance(command, str):
        return command
    import shlex

    return shlex.join(command)
