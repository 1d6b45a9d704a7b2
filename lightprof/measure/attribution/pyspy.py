"""Hot functions of a Python start: py-spy `record` from spawn to ready, its speedscope file kept.

py-spy is a dependency of lightprof; its wheel puts a static binary among the environment's
scripts, found through the installed distribution's file list (then PATH). It launches the target
itself (so the first milliseconds are sampled too), follows its subprocesses, and writes its file
when the target exits or, for a server, when it gets SIGINT at ready.

py-spy reads the target's memory (process_vm_readv): that needs ptrace rights. Where they are
missing (a container without CAP_SYS_PTRACE, a target that made itself non-dumpable, macOS
without root) py-spy fails, or sees only the first instants before the target locked it out; both
give one sentence with the fix, and the imports (which need no attach) are still measured.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lightprof.measure.attribution import runner, speedscope
from lightprof.profile.spec import TargetSpec

SAMPLE_HZ = 1000
# Fewer samples than this share of rate × time to ready means py-spy lost the target early.
MIN_SAMPLE_SHARE = 0.1
MIN_EXPECTED = 50
DENIED = (
    "py-spy could not read the target's memory (ptrace was denied{detail}), so there are no hot functions: "
    "run lightprof as root or with CAP_SYS_PTRACE (docker run --cap-add SYS_PTRACE), or set "
    "kernel.yama.ptrace_scope to 0 or 1; on macOS run it with sudo. The imports need no attach and are measured"
)
_DENIAL_WORDS = ("Permission denied", "os error 13", "os error 1)", "Operation not permitted",
                 "No python processes found", "Failed to get process executable name")


@dataclass
class Recording:
    """py-spy's samples of one start (None when it failed: `error` says why and what to do)."""

    samples: speedscope.Samples | None
    error: str | None
    version: str | None


def binary() -> tuple[str | None, str | None]:
    """(path to the py-spy executable, its version), from the installed distribution, else PATH."""
    from importlib import metadata

    try:
        dist = metadata.distribution("py-spy")
    except metadata.PackageNotFoundError:
        found = shutil.which("py-spy")
        return found, None
    for file in dist.files or ():
        if Path(str(file)).name in ("py-spy", "py-spy.exe"):
            path = Path(str(dist.locate_file(file))).resolve()
            if os.access(path, os.X_OK):
                return str(path), dist.version
    return shutil.which("py-spy"), dist.version


def record(spec: TargetSpec, env: Mapping[str, str], *, output: Path, work: Path) -> Recording:
    """Sample one start of `spec` (with `env`) until ready into the speedscope file `output`."""
    program, version = binary()
    if program is None:
        return Recording(None, "py-spy is not installed (pip install py-spy): no hot functions; "
                               "the imports are measured", None)
    command = [program, "record", "--rate", str(SAMPLE_HZ), "--subprocesses", "--format", "speedscope",
               "--output", str(output), "--", *spec.argv]
    started = runner.start_to_ready(
        command, cwd=spec.cwd, env=env, ready=spec.ready, timeout=spec.timeout, grace=spec.grace,
        stderr_path=work / "py-spy.stderr", stop_signal=signal.SIGINT,
    )
    said = (work / "py-spy.stderr").read_text("utf-8", "replace")
    own = said[said.find("Error:"):] if "Error:" in said else ""  # py-spy's words, not the target's
    denied = next((word for word in _DENIAL_WORDS if word in own), None)
    if started.left_running:  # py-spy gave up while its target still ran: it was locked out
        output.unlink(missing_ok=True)
        return Recording(None, DENIED.format(detail=f": {_error_line(said) or 'py-spy lost the target'}"), version)
    if not output.exists() or output.stat().st_size == 0:
        if denied:
            return Recording(None, DENIED.format(detail=f": {_error_line(said) or denied}"), version)
        reason = _error_line(said) or started.error or "it wrote no file"
        return Recording(None, f"py-spy failed ({reason}): no hot functions; the imports are measured", version)
    try:
        samples = speedscope.read(output, conform=True)
    except speedscope.NotSpeedscope as exc:
        return Recording(None, f"py-spy wrote a file lightprof cannot read ({exc}); the imports are measured", version)
    expected = SAMPLE_HZ * (started.ready_s or 0.0)
    count = len(samples.stacks)
    if denied or (expected >= MIN_EXPECTED and count < MIN_SAMPLE_SHARE * expected):
        # What it did sample is the first instants before the target locked it out: not its hot functions.
        output.unlink(missing_ok=True)
        detail = f": {count} samples of the ~{expected:.0f} expected"
        return Recording(None, DENIED.format(detail=detail), version)
    return Recording(samples, None, version)


def _error_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("Error:"):
            return line.removeprefix("Error:").strip().rstrip(".")
    return None
