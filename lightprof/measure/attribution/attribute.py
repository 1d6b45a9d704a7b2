"""Attribute one target's cold start: imports over a few starts, then one sampled start.

1. `runs` starts with PYTHONPROFILEIMPORTTIME=1 (which, unlike `-X importtime`, reaches a console
   script or a shebang too): stderr up to ready holds the import tree; the medians are kept.
   A start that wrote no import lines is not Python: a `node` command is then profiled instead.
2. With `sample`: one start under py-spy (Python) or `node --cpu-prof` (Node), until ready. Its
   samples give the hot functions and, with the imports, the lazy-load candidates; the profile
   file is kept in `out_dir` for speedscope.
With cache = "cold" every start gets fresh cache folders, as the timed runs do.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING

from lightprof.measure.attribution import importtime, lazy, nodeprof, pyspy, runner
from lightprof.model.attribution import Attribution
from lightprof.profile.spec import TargetSpec

if TYPE_CHECKING:
    from lightprof.model.target import TargetResult

IMPORT_RUNS = 5
FOLDER = "lightprof-attribution"


def needs_imports(spec: TargetSpec) -> bool:
    """Whether the target's budgets need its imports measured (without --attribute too)."""
    return "import_time" in spec.budget or bool(spec.forbid_imports)


@contextlib.contextmanager
def _caches(spec: TargetSpec, env: MutableMapping[str, str]) -> Iterator[None]:
    if spec.cache != "cold":
        yield
        return
    from lightprof.measure.attribution.cache import cold_caches

    with cold_caches(env):
        yield


def attribute_target(
    spec: TargetSpec,
    *,
    sample: bool,
    out_dir: Path | None = None,
    report_dir: Path | None = None,
    runs: int = IMPORT_RUNS,
    cancel: threading.Event | None = None,
) -> Attribution:
    """Where `spec`'s start goes. Files (speedscope, cpuprofile) go to `out_dir`, named in the
    result relative to `report_dir` (the report's folder)."""
    cancel = cancel or threading.Event()
    result = Attribution(kind="unknown", cache=spec.cache)
    argv = spec.argv
    with tempfile.TemporaryDirectory(prefix="lightprof-attr-") as temp:
        work = Path(temp)
        starts: list[list[importtime.Row]] = []
        for index in range(runs):
            if cancel.is_set():
                break
            env = {**os.environ, **spec.env, "PYTHONPROFILEIMPORTTIME": "1"}
            with _caches(spec, env):
                started = runner.start_to_ready(
                    argv, cwd=spec.cwd, env=env, ready=spec.ready, timeout=spec.timeout, grace=spec.grace,
                    stderr_path=work / "imports.stderr",
                )
            if started.error is not None:
                result.error = f"attribution start {index + 1} {started.error}"
                break
            rows = importtime.parse(started.stderr)
            if not rows:
                break  # not Python (or a Python that hides its stderr): nothing more to learn this way
            starts.append(rows)
        if starts:
            result.kind = "python"
            result.runs = len(starts)
            result.imports = importtime.merge(starts)
            result.import_time_s = importtime.own_import_time(starts)
            result.import_time_range_s = importtime.own_import_range(starts)
            result.startup_s = importtime.startup_time(starts)
        elif nodeprof.is_node(argv):
            result.kind = "node"
        if result.error is not None or cancel.is_set() or not sample:
            return result
        if result.kind == "python":
            _sample_python(spec, result, work, out_dir, report_dir)
        elif result.kind == "node":
            _sample_node(spec, result, work, out_dir, report_dir)
        else:
            result.notes.append("neither Python (no -X importtime lines on stderr) nor a node command: "
                                "nothing to attribute")
    return result


def _sample_python(spec: TargetSpec, result: Attribution, work: Path, out_dir: Path | None,
                   report_dir: Path | None) -> None:
    output = work / "samples.speedscope.json"
    env = {**os.environ, **spec.env}
    with _caches(spec, env):
        recording = pyspy.record(spec, env, output=output, work=work)
    result.sampler = f"py-spy {recording.version}" if recording.version else "py-spy"
    result.sampler_error = recording.error
    if recording.samples is None:
        result.notes.append("lazy-load candidates need py-spy's samples")
        return
    from lightprof.measure.attribution.speedscope import functions

    result.samples = len(recording.samples.stacks)
    result.functions = functions(recording.samples)
    result.lazy = lazy.candidates(result.imports, recording.samples)
    result.lazy_candidates = [candidate.module for candidate in result.lazy]
    result.speedscope = _keep(output, spec.name, ".speedscope.json", out_dir, report_dir)


def _sample_node(spec: TargetSpec, result: Attribution, work: Path, out_dir: Path | None,
                 report_dir: Path | None) -> None:
    import signal

    env = {**os.environ, **spec.env}
    with _caches(spec, env):
        started = runner.start_to_ready(
            nodeprof.profiled_argv(spec.argv, work), cwd=spec.cwd, env=env, ready=spec.ready,
            timeout=spec.timeout, grace=spec.grace, stderr_path=work / "node.stderr", stop_signal=signal.SIGINT,
        )
    result.sampler = "node --cpu-prof"
    result.runs = 1
    profiles = nodeprof.profiles_in(work)
    if not profiles:
        why = started.error or "did it end by a signal it does not handle?"
        result.sampler_error = f"node wrote no CPU profile ({why})"
        return
    try:
        result.functions, result.modules, result.samples = nodeprof.parse(profiles[0])
    except (ValueError, KeyError, TypeError, OSError) as exc:
        result.sampler_error = f"node's CPU profile could not be read: {exc}"
        return
    result.cpuprofile = _keep(profiles[0], spec.name, ".cpuprofile", out_dir, report_dir)


def file_stem(name: str) -> str:
    """A target name as a file name: letters, digits, dot, dash and underscore kept."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "target"


def _keep(source: Path, name: str, suffix: str, out_dir: Path | None, report_dir: Path | None) -> str | None:
    """Copy a profile into `out_dir` atomically (temporary file + rename); its path relative to the report."""
    if out_dir is None:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{file_stem(name)}{suffix}"
    fd, temporary = tempfile.mkstemp(dir=out_dir, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return os.path.relpath(target, report_dir) if report_dir is not None else str(target)


def attribute_results(
    specs: tuple[TargetSpec, ...],
    results: list[TargetResult],
    *,
    sample: bool,
    out_dir: Path | None,
    report_dir: Path | None,
    base_target: Callable[[TargetSpec], TargetSpec] | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Give each measured target its attribution: every one with `sample` (--attribute), else those
    whose budgets need their imports. With --base (`base_target` gives a target's spec in the base
    tree), the base revision's imports are measured too and the changes named."""
    from lightprof.measure.attribution.diff import import_changes

    by_name = {spec.name: spec for spec in specs}
    for result in results:
        spec = by_name.get(result.name)
        if spec is None or result.error is not None or not (sample or needs_imports(spec)):
            continue
        if cancel is not None and cancel.is_set():
            return
        result.attribution = attribute_target(spec, sample=sample, out_dir=out_dir, report_dir=report_dir,
                                              cancel=cancel)
        if base_target is not None and result.attribution.kind == "python":
            before = attribute_target(base_target(spec), sample=False, cancel=cancel)
            if before.kind == "python":
                result.attribution.base_import_time_s = before.import_time_s
                result.attribution.import_changes = import_changes(result.attribution.imports, before.imports)
