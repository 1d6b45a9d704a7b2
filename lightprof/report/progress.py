"""A one-line progress display on stderr for long headless runs (only on a TTY)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from lightprof.measure.events import Event, Progress, RunFinished, RunStarted, SubjectFinished, TargetFinished
from lightprof.units import format_duration


class ProgressLine:
    """Rewrites one stderr line at most 10 times a second; clears it when done."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._last = 0.0
        self._shown = False

    def __call__(self, event: Event) -> None:
        text = None
        if isinstance(event, RunStarted):
            kind = "warm-up" if event.warmup else ("hold" if event.hold else "run")
            text = f"{event.target}: {kind} {event.index + 1}/{event.planned}"
        elif isinstance(event, RunFinished) and event.run.ready_s is not None:
            text = (
                f"{event.target}: run {event.run.index + 1}/{event.planned} "
                f"ready in {format_duration(event.run.ready_s)}"
            )
        elif isinstance(event, Progress):
            count = f" {event.done}/{event.total}" if event.total else ""
            text = f"{event.subject}: {event.message}{count}"
        elif isinstance(event, (TargetFinished, SubjectFinished)):
            self.clear()
            return
        if text is None:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        self.stream.write("\r\x1b[2K" + text[:200])
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False
