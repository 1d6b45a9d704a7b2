"""Whole-tree RSS sampling through psutil, in one background thread.

`ru_maxrss` from wait4 is the largest *single* process, not the tree; so the sampler sums the RSS
of every process in the target's tree at a fixed rate. It tolerates processes that vanish between
listing and reading (per process, never around the whole sample), reuses `psutil.Process` objects
across samples, remembers every (pid, create_time) it saw so escaped children can be killed, and
measures its own CPU cost so the report can show it.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

from lightprof.result import ProcessInfo

SampleSink = Callable[[float, int, tuple[ProcessInfo, ...]], None]


@dataclass
class RunMemory:
    """What the sampler saw during one run."""

    samples: list[tuple[float, int]] = field(default_factory=list)
    seen: dict[int, float] = field(default_factory=dict)  # pid -> create_time
    processes: list[ProcessInfo] = field(default_factory=list)
    cpu_s: float = 0.0

    @property
    def peak(self) -> int:
        return max((rss for _, rss in self.samples), default=0)

    def steady_after(self, t_s: float) -> int | None:
        """Median tree RSS over the samples taken at or after `t_s` seconds."""
        window = [rss for t, rss in self.samples if t >= t_s]
        return int(statistics.median(window)) if window else None


class TreeSampler:
    """Samples the RSS of one process tree at a time, at `hz` samples per second."""

    def __init__(self, hz: float = 20.0, on_sample: SampleSink | None = None) -> None:
        self.interval = 1.0 / hz
        self.on_sample = on_sample
        self._cond = threading.Condition()
        self._root: int | None = None
        self._t0_ns = 0
        self._generation = 0
        self._current = RunMemory()
        self._procs: dict[tuple[int, float], psutil.Process] = {}
        self._names: dict[tuple[int, float], str] = {}
        self._closed = False
        self._sample_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="lightprof-rss-sampler", daemon=True)
        self._thread.start()

    def begin(self, pid: int, t0_ns: int) -> None:
        """Start sampling the tree rooted at `pid`; `t0_ns` is its spawn time (perf_counter_ns)."""
        with self._cond:
            self._root = pid
            self._t0_ns = t0_ns
            self._generation += 1
            self._current = RunMemory()
            self._procs.clear()
            self._cond.notify()

    def sample_now(self) -> None:
        """Take one sample at once (e.g. at ready, or before a short target is stopped)."""
        with self._cond:
            root, t0_ns, run = self._root, self._t0_ns, self._current
        if root is not None:
            self._sample(root, t0_ns, run)

    def end(self) -> RunMemory:
        """Stop sampling the current tree and return what was seen."""
        with self._cond:
            self._root = None
            self._generation += 1
            self._cond.notify()
            run = self._current
        with self._sample_lock:  # let a sample in flight finish before the caller reads `run`
            return run

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._root = None
            self._cond.notify()
        self._thread.join(timeout=2)

    def _loop(self) -> None:
        generation = -1
        next_ns = 0
        while True:
            with self._cond:
                if self._closed:
                    return
                if self._root is None:
                    self._cond.wait()
                    continue
                if generation != self._generation:
                    generation = self._generation
                    # The first sample comes one interval after spawn: short runs are undisturbed.
                    next_ns = self._t0_ns + int(self.interval * 1e9)
                delay = (next_ns - time.perf_counter_ns()) / 1e9
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                root, t0_ns, run = self._root, self._t0_ns, self._current
            # Sample outside the condition so begin()/end() never wait for a tree walk.
            self._sample(root, t0_ns, run)
            next_ns += int(self.interval * 1e9)
            now = time.perf_counter_ns()
            if next_ns < now:  # fell behind (machine busy): skip ahead, do not burst
                next_ns = now + int(self.interval * 1e9)

    def _tree(self, root: int, run: RunMemory) -> list[psutil.Process]:
        procs: list[psutil.Process] = []
        try:
            top = psutil.Process(root)
            members = [top, *top.children(recursive=True)]
        except psutil.Error:
            members = []
        keys = set()
        for proc in members:
            try:
                key = (proc.pid, proc.create_time())
            except psutil.Error:
                continue
            keys.add(key)
            cached = self._procs.setdefault(key, proc)
            procs.append(cached)
        # Children that left the tree (setsid, parent gone) still count while they live.
        for pid, create_time in list(run.seen.items()):
            key = (pid, create_time)
            if key in keys:
                continue
            cached = self._procs.get(key)
            if cached is not None and cached.is_running():
                procs.append(cached)
        return procs

    def _sample(self, root: int, t0_ns: int, run: RunMemory) -> None:
        with self._sample_lock:
            self._sample_locked(root, t0_ns, run)

    def _sample_locked(self, root: int, t0_ns: int, run: RunMemory) -> None:
        cpu_before = time.thread_time()
        t_s = (time.perf_counter_ns() - t0_ns) / 1e9
        total = 0
        infos: list[ProcessInfo] = []
        for proc in self._tree(root, run):
            try:
                with proc.oneshot():
                    rss = proc.memory_info().rss
                    cpu = proc.cpu_percent(interval=None)
                    ppid = proc.ppid()
                    create_time = proc.create_time()
                key = (proc.pid, create_time)
                name = self._names.get(key)
                if name is None:
                    try:
                        name = " ".join(proc.cmdline()) or proc.name()
                    except psutil.Error:
                        name = "?"
                    self._names[key] = name
            except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                continue
            run.seen[proc.pid] = create_time
            total += rss
            infos.append(ProcessInfo(pid=proc.pid, ppid=ppid, command=name, rss_bytes=rss, cpu_percent=cpu))
        if infos:
            run.samples.append((t_s, total))
            run.processes = infos
        run.cpu_s += time.thread_time() - cpu_before
        if infos and self.on_sample is not None:
            self.on_sample(t_s, total, tuple(infos))
