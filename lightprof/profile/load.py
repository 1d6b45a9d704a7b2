"""Finding and loading a profile: -p, ./lightprof.toml, [tool.lightprof], the embedded default."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from lightprof.errors import ProfileError
from lightprof.profile.fields import Validator
from lightprof.profile.lines import LineIndex
from lightprof.profile.spec import MAX_NAME_LENGTH, MAX_PROFILE_BYTES, PROFILE_FILE, Profile, TargetSpec
from lightprof.profile.validate import validate_profile

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def _read_toml(path: Path, label: str) -> tuple[str, dict[str, Any]]:
    from lightprof.safefile import UnsafeInput, read_regular

    try:
        raw = read_regular(path, label, MAX_PROFILE_BYTES)
    except UnsafeInput as exc:
        raise ProfileError(exc.message) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProfileError(f"{label}: is not UTF-8 text, expected a TOML profile") from None
    return text, _parse_toml(text, label)


def _parse_toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ProfileError(f"{label}: arrays or tables nest too deeply; a profile nests a few levels at most") from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)).rstrip(".")
        if match:
            raise ProfileError(f"{label}:{match.group(1)}: invalid TOML: {reason} (column {match.group(2)})") from None
        raise ProfileError(f"{label}: invalid TOML: {reason}") from None


def _label(path: Path) -> str:
    """How a message names the file: relative to the current folder where it is inside it, with
    anything unprintable (a newline, bytes that are not UTF-8) escaped so the message stays one line."""
    try:
        text = str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # outside cwd; cwd gone; a symlink loop (3.11)
        text = str(path)
    return text if text.isprintable() else repr(text)[1:-1]


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Load and validate a profile file: a lightprof TOML file or a pyproject with [tool.lightprof]."""
    file = Path(path)
    label = _label(file)
    text, data = _read_toml(file, label)
    if file.name == "pyproject.toml" and "version" not in data:
        section = data.get("tool", {}).get("lightprof") if isinstance(data.get("tool"), dict) else None
        if not isinstance(section, dict):
            raise ProfileError(f"{label}: has no [tool.lightprof] table")
        validator = Validator(label, LineIndex(text), ("tool", "lightprof"), file.resolve().parent)
        fields = validate_profile(section, validator, name_hint=file.resolve().parent.name)
        return Profile(path=file.resolve(), origin="pyproject", **fields)
    validator = Validator(label, LineIndex(text), (), file.resolve().parent)
    fields = validate_profile(data, validator, name_hint=file.stem)
    return Profile(path=file.resolve(), origin="file", **fields)


def load_profile_text(text: str, *, label: str, base_dir: Path, origin: str) -> Profile:
    """Load a profile from text (the embedded default); `label` names it in errors."""
    data = _parse_toml(text, label)
    validator = Validator(label, LineIndex(text), (), base_dir)
    return Profile(path=None, origin=origin, **validate_profile(data, validator, name_hint="default"))


def data_dir(kind: str) -> Path:
    """The folder of shipped `profiles` or `kernels`: inside the wheel, else in the checkout."""
    package = Path(__file__).parent.parent  # lightprof/
    packaged = package / "_data" / kind
    if packaged.is_dir():
        return packaged
    return package.resolve().parent / kind


def embedded_default() -> Profile:
    """The default profile that ships inside the package; it measures what every machine has."""
    path = data_dir("profiles") / "default.toml"
    return load_profile_text(
        path.read_text("utf-8"), label="<embedded default profile>", base_dir=Path.cwd(), origin="embedded"
    )


def discover_profile(explicit: str | None = None, cwd: Path | None = None) -> Profile:
    """-p PROFILE › ./lightprof.toml › [tool.lightprof] in ./pyproject.toml › the embedded default."""
    if explicit is not None:
        return load_profile(explicit)
    try:
        here = cwd or Path.cwd()
    except FileNotFoundError:
        raise ProfileError("the current folder no longer exists; cd into a folder or give -p PROFILE") from None
    candidate = here / PROFILE_FILE
    if os.path.lexists(candidate):  # a dangling link or a loop is an error to report, not "no profile"
        return load_profile(candidate)
    pyproject = here / "pyproject.toml"
    if os.path.lexists(pyproject):
        _text, data = _read_toml(pyproject, _label(pyproject))
        tool = data.get("tool")
        if isinstance(tool, dict) and "lightprof" in tool:
            return load_profile(pyproject)
    return embedded_default()


def adhoc_profile(argv: list[str], cwd: Path | None = None) -> Profile:
    """A profile for `lightprof -- CMD ARGS`: one target, no budgets."""
    if not argv:
        raise ProfileError("nothing to run after '--'; expected a command such as: lightprof -- node server.js")
    program = "".join(c if c.isprintable() else "?" for c in (Path(argv[0]).name or argv[0]))[:MAX_NAME_LENGTH]
    target = TargetSpec(name=program, command=tuple(argv), cwd=(cwd or Path.cwd()).resolve())
    return Profile(name=program, path=None, origin="adhoc", targets=(target,))
