"""`--base REV`: REV of the profile's git repository in a temporary worktree, built, then removed.

The worktree lives in a fresh temporary folder and is removed when the session ends, whatever
ends it (an error, Ctrl-C, SIGTERM: they unwind through the same `finally`). Targets, artifacts
and images of the base are the head's with every path inside the repository moved into the
worktree, so a profile measures the same files at both revisions. The profile's `[build]`
command runs in both trees first, in the profile's folder (or its place in the worktree).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lightprof.errors import MeasureError, ProfileError
from lightprof.profile.spec import BuildSpec, Profile, TargetSpec

OUTPUT_TAIL = 2000


@dataclass(frozen=True)
class BaseTree:
    """The base revision checked out beside the working tree."""

    rev: str  # as the user wrote it
    commit: str
    repo: Path  # the working tree's top level
    root: Path  # the base worktree's top level

    @property
    def label(self) -> str:
        short = self.commit[:10]
        return self.rev if self.rev == short else f"{self.rev} ({short})"

    def path(self, path: Path) -> Path:
        """`path` moved into the base worktree when it lies inside the repository."""
        try:
            return self.root / Path(path).resolve().relative_to(self.repo)
        except ValueError:
            return Path(path)

    def _arg(self, arg: str) -> str:
        if os.path.isabs(arg):
            return str(self.path(Path(arg)))
        return arg

    def target(self, spec: TargetSpec) -> TargetSpec:
        command = spec.command if isinstance(spec.command, str) else tuple(self._arg(a) for a in spec.command)
        return dataclasses.replace(spec, cwd=self.path(spec.cwd), command=command)

    def profile(self, profile: Profile) -> Profile:
        """The profile's artifacts and images at the base revision."""
        return dataclasses.replace(
            profile,
            path=self.path(profile.path) if profile.path is not None else None,
            artifacts=tuple(dataclasses.replace(a, base_dir=self.path(a.base_dir)) for a in profile.artifacts),
            images=tuple(dataclasses.replace(i, base_dir=self.path(i.base_dir)) for i in profile.images),
        )


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise ProfileError("--base needs git, which is not on PATH") from None
    except subprocess.TimeoutExpired:
        raise MeasureError(f"git {' '.join(args[:2])} did not finish within 120 s") from None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "no output")


@contextlib.contextmanager
def base_worktree(profile: Profile, rev: str) -> Iterator[BaseTree]:
    """Check out `rev` of the repository holding the profile; remove it on the way out."""
    if not rev.strip() or rev.startswith("-"):
        raise ProfileError(f"--base {rev!r}: expected a git revision such as main, origin/main or HEAD~1")
    where = profile.base_dir
    top = _git(["rev-parse", "--show-toplevel"], where)
    if top.returncode != 0:
        raise ProfileError(f"--base {rev}: {where} is not in a git repository ({_first_line(top.stderr)})")
    repo = Path(top.stdout.strip()).resolve()
    commit = _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], repo)
    if commit.returncode != 0 or not commit.stdout.strip():
        raise ProfileError(f"--base {rev}: no such revision in the git repository {repo}")
    sha = commit.stdout.strip()
    folder = Path(tempfile.mkdtemp(prefix="lightprof-base-"))
    root = folder / repo.name
    try:
        added = _git(["worktree", "add", "--detach", "--quiet", str(root), sha], repo)
        if added.returncode != 0:
            raise MeasureError(f"--base {rev}: git could not check it out ({_first_line(added.stderr)})")
        yield BaseTree(rev=rev, commit=sha, repo=repo, root=root)
    finally:
        _remove(repo, root, folder)


def _remove(repo: Path, root: Path, folder: Path) -> None:
    """Remove the worktree and its registration; never raise (this runs while unwinding)."""
    with contextlib.suppress(Exception):
        if root.exists():
            _git(["worktree", "remove", "--force", str(root)], repo)
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(Exception):
        _git(["worktree", "prune"], repo)


def run_build(build: BuildSpec, cwd: Path, label: str) -> None:
    """Run the profile's [build] command in `cwd`; a failure is a MeasureError (exit 3) with its output."""
    with tempfile.TemporaryFile() as output:
        try:
            proc = subprocess.Popen(build.argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=output,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            raise MeasureError(
                f"[build] in the {label} tree could not start: {exc.strerror}: {build.argv[0]}"
            ) from None
        try:
            code = proc.wait(timeout=build.timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            # Whatever the build left running (a watcher, a daemon), and all of it on Ctrl-C.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if code == 0:
            return
        output.seek(max(0, output.seek(0, os.SEEK_END) - OUTPUT_TAIL))
        tail = output.read().decode("utf-8", "replace").strip()
        why = f"did not finish within {build.timeout:g} s" if code is None else f"exited with code {code}"
        raise MeasureError(f"[build] in the {label} tree ({cwd}) {why}" + (f":\n{tail}" if tail else ""))
