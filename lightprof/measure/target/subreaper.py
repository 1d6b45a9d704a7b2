"""lightprof as a child subreaper while it measures, so that escaped grandchildren can be reaped."""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Iterator

_PR_SET_CHILD_SUBREAPER = 36
_subreaper_lock = threading.Lock()
_subreaper_holders = 0  # Spawners alive: lightprof is a subreaper only while it measures


def _set_subreaper(on: bool) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux only) so that escaped grandchildren can be reaped.

    Held until `release_subreaper`: a process that stays a subreaper after measuring would adopt,
    and never reap, the orphans of whatever else it runs (another lightprof's watchdog, say).
    """
    global _subreaper_holders
    with _subreaper_lock:
        if _set_subreaper(True):
            _subreaper_holders += 1
            return True
        return False


def release_subreaper() -> None:
    global _subreaper_holders
    with _subreaper_lock:
        _subreaper_holders = max(0, _subreaper_holders - 1)
        if _subreaper_holders == 0:
            _set_subreaper(False)


@contextlib.contextmanager
def paused_subreaper() -> Iterator[None]:
    """Orphans made inside go to init, not to lightprof (for a helper that must outlive it)."""
    with _subreaper_lock:
        paused = _subreaper_holders > 0 and _set_subreaper(False)
        try:
            yield
        finally:
            if paused:
                _set_subreaper(True)
