"""Whole-tree RSS sampling in one background thread.

`ru_maxrss` from wait4 is the largest *single* process, not the tree; so the sampler sums the RSS
of every process in the target's tree at a fixed rate. On Linux it reads the tree from /proc
(`proctree`: each process's children list and stat line, so a sample costs reads in proportion
to the tree, not to every process on the machine); elsewhere it asks psutil. Either way it
tolerates processes that vanish between listing and reading (per process, never around the whole
sample), remembers every (pid, create_time) it saw so escaped children can be killed, and
measures its own CPU cost so the report can show it.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lightprof.measure.target import proctree
from lightprof.model.target import ProcessInfo

if TYPE_CHECKING:
    import psutil

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

    def __init__(self, hz: float = 20.0, on_sample: SampleSink | None = None, *, use_proc: bool | None = None) -> None:
        self.interval = 1.0 / hz
        self.on_sample = on_sample
        self._cond = threading.Condition()
        self._root: int | None = None
        self._t0_ns = 0
        self._generation = 0
        self._current = RunMemory()
        self._closed = False
        self._sample_lock = threading.Lock()
        use_proc = proctree.available() if use_proc is None else use_proc
        self._tree: _ProcTree | _PsutilTree = _ProcTree() if use_proc else _PsutilTree()
        self._thread = threading.Thread(target=self._loop, name="lightprof-rss-sampler", daemon=True)
        self._thread.start()

    def begin(self, pid: int, t0_ns: int) -> None:
        """Start sampling the tree rooted at `pid`; `t0_ns` is its spawn time (perf_counter_ns)."""
        with self._cond:
            self._root = pid
            self._t0_ns = t0_ns
            self._generation += 1
            self._current = RunMemory()
            self._tree.reset()
            self._cond.notify()

    def sample_now(self) -> None:
        """Take one sample at once (e.g. at ready, or before a short target is stopped)."""
        with self._cond:
            root, t0_ns, run = self._root, self._t0_ns, self._current
        if root is not None:
            self._sample(root, t0_ns, run)

    def current(self) -> RunMemory:
        """What the sampler has seen of the current tree so far (its samples grow as it runs)."""
        with self._cond:
            return self._current

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

    def _sample(self, root: int, t0_ns: int, run: RunMemory) -> None:
        with self._sample_lock:
            cpu_before = time.thread_time()
            t_s = (time.perf_counter_ns() - t0_ns) / 1e9
            infos = self._tree.sample(root, run.seen)
            total = sum(info.rss_bytes for info in infos)
            if infos:
                run.samples.append((t_s, total))
                run.processes = infos
            run.cpu_s += time.thread_time() - cpu_before
        if infos and self.on_sample is not None:
            self.on_sample(t_s, total, tuple(infos))


class _ProcTree:
    """The tree from /proc: children files and stat lines (Linux)."""

    def __init__(self) -> None:
        self._booted = proctree.boot_time()
        self._own = os.getpid()
        self._names: dict[tuple[int, int], str] = {}
        self._cpu: dict[tuple[int, int], tuple[int, float]] = {}  # last (cpu ticks, monotonic time)
        self._started = 0  # start ticks of the root: orphans adopted by lightprof after it are its

    def reset(self) -> None:
        self._cpu.clear()
        self._started = 0
        if len(self._names) > 4096:
            self._names.clear()

    def sample(self, root: int, seen: dict[int, float]) -> list[ProcessInfo]:
        stats: list[proctree.Stat] = []
        visited: set[int] = set()
        stack = [root]
        while stack:
            pid = stack.pop()
            if pid in visited:
                continue
            visited.add(pid)
            stat = proctree.read_stat(pid)
            if stat is None:
                continue
            if pid == root and not self._started:
                self._started = stat.start_ticks
            if stat.state != "Z":
                stats.append(stat)
                stack.extend(proctree.children(pid, stat.threads))
            if pid == root:
                # Orphans of the tree (their parent exited) are adopted by lightprof, the subreaper:
                # its children that started after the target are the target's.
                stack.extend(self._orphans(root, visited))
        # Children that left the tree while still alive (setsid, parent gone) still count.
        for pid, created in seen.items():
            if pid not in visited:
                visited.add(pid)
                stat = proctree.read_stat(pid)
                if stat is None or stat.state == "Z":
                    continue
                if abs(proctree.create_time(stat, self._booted) - created) < 1e-3:  # not a reused pid
                    stats.append(stat)
        now = time.monotonic()
        infos = []
        for stat in stats:
            key = (stat.pid, stat.start_ticks)
            seen[stat.pid] = proctree.create_time(stat, self._booted)
            infos.append(ProcessInfo(pid=stat.pid, ppid=stat.ppid, command=self._name(key),
                                     rss_bytes=stat.rss_bytes, cpu_percent=self._cpu_percent(key, stat, now)))
        return infos

    def _orphans(self, root: int, visited: set[int]) -> list[int]:
        if not self._started:
            return []
        found = []
        for pid in proctree.children(self._own, 1):  # orphans go to lightprof's main thread
            if pid == root or pid in visited:
                continue
            stat = proctree.read_stat(pid)
            if stat is not None and stat.start_ticks >= self._started:
                found.append(pid)
        return found

    def _name(self, key: tuple[int, int]) -> str:
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = proctree.command_line(key[0]) or "?"
        return name

    def _cpu_percent(self, key: tuple[int, int], stat: proctree.Stat, now: float) -> float:
        last = self._cpu.get(key)
        self._cpu[key] = (stat.cpu_ticks, now)
        if last is None or now <= last[1]:
            return 0.0
        return round(100.0 * (stat.cpu_ticks - last[0]) / proctree.CLOCK_TICKS / (now - last[1]), 1)


class _PsutilTree:
    """The tree through psutil, where /proc does not list children (macOS, old kernels)."""

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        self._procs: dict[tuple[int, float], psutil.Process] = {}
        self._names: dict[tuple[int, float], str] = {}

    def reset(self) -> None:
        self._procs.clear()

    def sample(self, root: int, seen: dict[int, float]) -> list[ProcessInfo]:
        psutil = self._psutil
        infos: list[ProcessInfo] = []
        for proc in self._members(root, seen):
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
            seen[proc.pid] = create_time
            infos.append(ProcessInfo(pid=proc.pid, ppid=ppid, command=name, rss_bytes=rss, cpu_percent=cpu))
        return infos

    def _members(self, root: int, seen: dict[int, float]) -> list[psutil.Process]:
        psutil = self._psutil
        try:
            top = psutil.Process(root)
            members = [top, *top.children(recursive=True)]
        except psutil.Error:
            members = []
        procs = []
        keys = set()
        for proc in members:
            try:
                key = (proc.pid, proc.create_time())
            except psutil.Error:
                continue
            keys.add(key)
            procs.append(self._procs.setdefault(key, proc))
        for key in seen.items():
            cached = self._procs.get(key)
            if key not in keys and cached is not None and cached.is_running():
                procs.append(cached)
        return procs
