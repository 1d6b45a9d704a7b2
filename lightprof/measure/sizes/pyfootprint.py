"""Installed size of a Python environment, per distribution.

A distribution's RECORD lists its files but omits the size of `.pyc` and other generated files,
so every listed file is stat-ed instead, and the `__pycache__/NAME.*.pyc` beside each listed `.py`
is counted with it (pip compiles them at install time; RECORD often does not name them).
"""

from __future__ import annotations

import csv
import io
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from lightprof.errors import MeasureError
from lightprof.measure.sizes.treewalk import Tally, walk_folder
from lightprof.model.sizes import DistributionSize
from lightprof.safefile import UnsafeInput, read_regular_text

RECORD_LIMIT = 64 * 1024 * 1024  # a RECORD lists paths and hashes: a few MB for the largest wheels


@dataclass
class Footprint:
    """What `scan_environment` found: site-packages folders, distributions, every file's size."""

    site_packages: list[Path]
    distributions: list[DistributionSize]
    files: dict[str, int] = field(default_factory=dict)  # absolute path -> bytes
    owned: set[str] = field(default_factory=set)
    not_counted: str = ""  # RECORD entries refused (outside the environment, not regular files), and walk skips


def find_site_packages(env: Path) -> list[Path]:
    """The site-packages folders of a virtual environment, or `env` itself if it is one."""
    if not env.is_dir():
        raise MeasureError(
            f"python_env '{env}' does not exist or is not a folder; "
            "expected a virtual environment or a site-packages folder"
        )
    if env.name in ("site-packages", "dist-packages") or any(env.glob("*.dist-info")):
        return [env]
    found: list[Path] = []
    seen: set[str] = set()
    patterns = ("lib/python*/site-packages", "lib64/python*/site-packages", "Lib/site-packages")
    for pattern in patterns:
        for candidate in sorted(env.glob(pattern)):
            real = os.path.realpath(candidate)
            if candidate.is_dir() and real not in seen:  # lib64 is often a symlink to lib
                seen.add(real)
                found.append(candidate)
    if not found:
        raise MeasureError(
            f"python_env '{env}' is neither a virtual environment "
            "(no lib/python*/site-packages inside) nor a site-packages folder"
        )
    return found


def _listed_paths(meta_dir: Path) -> list[str]:
    """Paths a distribution says it installed, relative to its site-packages (RECORD first)."""
    record = meta_dir / "RECORD"
    if os.path.lexists(record):
        text = _read_listing(record)
        return [row[0] for row in csv.reader(io.StringIO(text, newline="")) if row and row[0]]
    installed = meta_dir / "installed-files.txt"  # legacy egg-info: paths relative to itself
    if os.path.lexists(installed):
        lines = _read_listing(installed).splitlines()
        return [os.path.join(meta_dir.name, line) for line in lines if line.strip()]
    return []


def _read_listing(path: Path) -> str:
    """A RECORD (or installed-files.txt): a regular file of bounded size, or one sentence."""
    try:
        return read_regular_text(path, f"python_env: '{path}'", RECORD_LIMIT)
    except UnsafeInput as exc:
        raise MeasureError(exc.message) from None


def _name_version(meta_dir: Path) -> tuple[str, str]:
    stem = meta_dir.name.rsplit(".", 1)[0]
    name, _, version = stem.partition("-")
    return name, version


def _pycache_index(files: dict[str, int]) -> dict[str, list[str]]:
    """Map "folder/module.py" to the `.pyc` files in "folder/__pycache__" compiled from it.

    Built once from the walk: one glob per listed `.py` would cost a directory listing each.
    """
    index: dict[str, list[str]] = {}
    for path in files:
        if not path.endswith(".pyc"):
            continue
        cache_dir, base = os.path.split(path)
        folder, cache_name = os.path.split(cache_dir)
        if cache_name != "__pycache__":
            continue
        module = base.split(".", 1)[0]  # "mod.cpython-311.opt-1.pyc" -> "mod"
        index.setdefault(os.path.join(folder, module + ".py"), []).append(path)
    return index


def scan_environment(env: Path) -> Footprint:
    """Sizes of every file in the environment's site-packages and of each distribution's files."""
    site_packages = find_site_packages(env)
    files: dict[str, int] = {}
    tally = Tally(0, on_file=lambda _fd, _name, path, size: files.__setitem__(path, size))
    for folder in site_packages:
        walk_folder(str(folder), tally)
    env_root = os.path.normpath(os.path.abspath(env))
    real_env = os.path.realpath(env_root)
    outside: list[str] = []
    special: list[str] = []
    pycache = _pycache_index(files)
    owned: set[str] = set()
    distributions: list[DistributionSize] = []
    for folder in site_packages:
        metas = sorted(list(folder.glob("*.dist-info")) + list(folder.glob("*.egg-info")))
        for meta in metas:
            if not meta.is_dir():
                continue
            name, version = _name_version(meta)
            dist = DistributionSize(name=name, version=version)
            listed = [os.path.normpath(os.path.join(folder, rel)) for rel in _listed_paths(meta)]
            extra = [pyc for path in listed for pyc in pycache.get(path, ())]
            for path in dict.fromkeys(listed + extra):
                if path in owned:  # a file claimed twice counts for the first claimant only
                    continue
                size = files.get(path)
                if size is None:
                    # Not seen by the walk: scripts in bin/ lie outside site-packages. Only regular
                    # files inside the environment count: RECORD is the distribution's word, not ours.
                    if not _inside(path, env_root, real_env):
                        outside.append(path)
                        continue
                    try:
                        info = os.lstat(path)
                    except OSError:
                        dist.missing_files += 1
                        continue
                    if not stat.S_ISREG(info.st_mode):
                        special.append(path)
                        continue
                    if info.st_nlink > 1 and not tally.first_name(info):
                        continue
                    size = files[path] = info.st_size
                owned.add(path)
                dist.size_bytes += size
                dist.files += 1
            distributions.append(dist)
    distributions.sort(key=lambda d: (-d.size_bytes, d.name.lower()))
    notes = [tally.not_counted()] if tally.not_counted() else []
    if outside:
        notes.append(f"{len(outside)} RECORD path(s) outside the environment (e.g. '{outside[0]}')")
    if special:
        notes.append(f"{len(special)} RECORD path(s) that are not regular files (e.g. '{special[0]}')")
    note = "; ".join(notes).replace("; not counted: ", "; ")
    if note and not note.startswith("not counted: "):
        note = "not counted: " + note
    return Footprint(site_packages=site_packages, distributions=distributions, files=files, owned=owned,
                     not_counted=note)


def _inside(path: str, env_root: str, real_env: str) -> bool:
    """`path` (normalised) lies inside the environment, also after resolving symlinks."""
    if path != env_root and not path.startswith(env_root + os.sep):
        return False
    real = os.path.realpath(path)
    return real == real_env or real.startswith(real_env + os.sep)
