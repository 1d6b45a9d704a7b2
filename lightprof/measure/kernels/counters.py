"""Process-wide counters of the kernels lab, reported in every KernelResult."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Counters:
    compiles_total: int = 0
    cache_hits_total: int = 0  # modules deserialized from the on-disk cache
    instantiates_total: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)


COUNTERS = Counters()
