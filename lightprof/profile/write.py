"""Save a profile's budgets as version-1 TOML, keeping an existing file's comments and order.

The TUI edits budgets for a session and saves them here. An existing `lightprof.toml` (or the
`[tool.lightprof]` table of a pyproject) is edited in place with tomlkit so that a hand-written
file keeps its comments, key order and formatting; only `[target.budget]` values are set. A
session without a file (ad hoc or the embedded default) writes a new profile. Every write is
atomic: a crash leaves the old file or the new one, never half of each.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Table

from lightprof.atomicio import atomic_write_text
from lightprof.profile.spec import PROFILE_FILE, PROFILE_VERSION, RATIO_BUDGETS, TIME_BUDGETS, Profile, TargetSpec

Budgets = Mapping[str, Mapping[str, float]]  # target name → metric → limit in base units


def budget_text(metric: str, value: float) -> str:
    """A budget limit as the unit string a profile holds: "250ms", "1.5s", "80MiB"."""
    if metric in TIME_BUDGETS or metric == "import_time":
        return duration_text(value)
    if metric in RATIO_BUDGETS:
        return f"{_trim(value * 100, 3)}%"
    return size_text(value)


def _trim(number: float, places: int) -> str:
    text = f"{number:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def duration_text(seconds: float) -> str:
    """Seconds as the shortest of s, ms or us that keeps the value to a microsecond."""
    if seconds >= 1:
        return f"{_trim(seconds, 6)}s"
    if seconds >= 1e-3:
        return f"{_trim(seconds * 1e3, 3)}ms"
    return f"{_trim(seconds * 1e6, 0)}us"


def size_text(num_bytes: float) -> str:
    """Bytes in IEC units when they divide evenly to a tenth, else plain bytes (exact)."""
    value = int(math.ceil(num_bytes))
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if value >= factor:
            scaled = value / factor
            if abs(round(scaled, 1) * factor - value) < 0.5:
                return f"{_trim(scaled, 1)}{unit}"
    return f"{value}B"


def save_profile(
    profile: Profile,
    budgets: Budgets,
    targets: tuple[TargetSpec, ...] | None = None,
    path: Path | None = None,
    others: Mapping[tuple[str, str], Mapping[str, float]] | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write `budgets` into the profile's file (or a new `lightprof.toml`); return the path.

    `targets` are the session's target specs (defaults to the profile's); they are used only to
    add a target the file does not have yet, such as the target of an ad-hoc session. `others`:
    (kind, name) of an artifact, image or kernel the file has → its budget keys to set.
    `settings`: target name → plain keys to set on its `[[target]]` (`against`; None removes one).
    """
    specs = targets if targets is not None else profile.targets
    dest = path or profile.path or (Path.cwd() / PROFILE_FILE)
    doc = tomlkit.parse(dest.read_text("utf-8")) if dest.exists() else _new_document(profile.name)
    root = _profile_root(doc, dest)
    for spec in specs:
        table = _target_table(root, spec)
        limits = budgets.get(spec.name, {})
        _set_budget(table, limits)
        for key, value in (settings or {}).get(spec.name, {}).items():
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value
    for (kind, name), keys in (others or {}).items():
        _set_subject_keys(root, kind, name, keys)
    atomic_write_text(dest, tomlkit.dumps(doc))
    return dest


def _new_document(name: str) -> tomlkit.TOMLDocument:
    doc = tomlkit.document()
    doc.add(tomlkit.comment("lightprof budget profile, written by the lightprof TUI."))
    doc.add("version", PROFILE_VERSION)
    doc.add("name", name)
    return doc


def _profile_root(doc: tomlkit.TOMLDocument, dest: Path) -> Any:
    """The table holding `[[target]]`: the document, or `[tool.lightprof]` in a pyproject."""
    if dest.name == "pyproject.toml" and "version" not in doc:
        tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
        return tool.setdefault("lightprof", tomlkit.table())
    return doc


def _target_table(root: Any, spec: TargetSpec) -> Table:
    """The `[[target]]` named like `spec`, appended (with its settings) when the file lacks it."""
    if "target" not in root:
        root.append("target", tomlkit.aot())
    aot: AoT = root["target"]
    for table in aot:
        if table.get("name") == spec.name:
            return table
    table = tomlkit.table()
    table.add("name", spec.name)
    command = spec.command if isinstance(spec.command, str) else list(spec.command)
    table.add("command", command)
    cwd = str(spec.cwd)
    if cwd != str(Path.cwd().resolve()):
        table.add("cwd", cwd)
    if spec.env:
        table.add("env", dict(spec.env))
    table.add("ready", _ready_value(spec))
    if spec.hold > 0:
        table.add("hold", duration_text(spec.hold))
    table.add("runs", spec.runs)
    table.add("warmup", spec.warmup)
    aot.append(table)
    return aot[-1]


def _ready_value(spec: TargetSpec) -> Any:
    ready = spec.ready
    if ready.kind == "port":
        inline = tomlkit.inline_table()
        inline.add("port", ready.port)
        if ready.host != "127.0.0.1":
            inline.add("host", ready.host)
        return inline
    if ready.kind in ("http", "stdout"):
        inline = tomlkit.inline_table()
        inline.add(ready.kind, ready.url if ready.kind == "http" else ready.pattern)
        return inline
    return "exit"


def _set_budget(table: Table, limits: Mapping[str, float]) -> None:
    """Set each limit, keeping other budget keys (and their comments) as they are."""
    if not limits:
        return
    if "budget" not in table:
        table.add("budget", tomlkit.table())
    budget = table["budget"]
    for metric, value in limits.items():
        budget[metric] = budget_text(metric, value)


def _set_subject_keys(root: Any, kind: str, name: str, keys: Mapping[str, float]) -> None:
    """Set budget keys (`budget`, `wasted_max`, `efficiency_min`, `ops_per_cpu_s`...) on the
    `[[artifact]]`, `[[image]]` or `[[kernel]]` named `name`, keeping everything else."""
    for table in root.get(kind, []):
        if table.get("name") != name:
            continue
        for key, value in keys.items():
            if key == "efficiency_min":
                table[key] = f"{_trim(value * 100, 3)}%"
            elif key == "ops_per_cpu_s":
                table[key] = int(value) if float(value).is_integer() else value
            else:
                table[key] = size_text(value)
        return
