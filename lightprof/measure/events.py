"""Events the engine emits while it measures, so a UI can show samples as they arrive.

The engine calls `on_event(event)` from the thread that measures; a UI must hand events to its
own thread (Textual: `App.call_from_thread` or `post_message`). Headless progress uses the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lightprof.model.paths import PathResult
from lightprof.model.target import ProcessInfo, Run, TargetResult


@dataclass(frozen=True)
class RunStarted:
    target: str
    index: int  # 0-based over all runs of this target, warm-ups first
    warmup: bool
    hold: bool
    planned: int  # warm-ups + measured runs (+ the hold run) planned so far


@dataclass(frozen=True)
class RunFinished:
    target: str
    run: Run
    planned: int


@dataclass(frozen=True)
class MemorySample:
    """Whole-tree RSS of a live target; `t_s` is seconds since its spawn."""

    target: str
    run_index: int
    t_s: float
    rss_bytes: int
    processes: tuple[ProcessInfo, ...]


@dataclass(frozen=True)
class TargetFinished:
    target: str
    result: TargetResult


@dataclass(frozen=True)
class SubjectFinished:
    """An artifact, image or kernel finished measuring; `result` is its result dataclass."""

    kind: str  # "artifact", "image" or "kernel"
    name: str
    result: Any


@dataclass(frozen=True)
class Progress:
    """Free-form progress for long work without runs (sizing, kernels)."""

    subject: str
    message: str
    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class PathFinished:
    """One critical path of a target's memory run has run (measure/target/paths): its row as reported."""

    target: str
    path: PathResult


Event = RunStarted | RunFinished | MemorySample | TargetFinished | SubjectFinished | Progress | PathFinished
EventSink = Callable[[Event], None]


def ignore(_event: Event) -> None:
    """The sink used when nobody listens."""
