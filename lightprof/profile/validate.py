"""The walk over a parsed profile: every table checked against its rows in `keys`, into a `Profile`'s fields.

The rows say which keys a table takes and how each value is read; the walk adds what spans keys:
names unique across subjects, exactly one of path or python_env, a target's [defaults], `against`
naming another target, and the line of every budget (reports point at it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lightprof.profile import keys
from lightprof.profile.fields import Validator, check_name, got, refuse_nul
from lightprof.profile.keys import Key
from lightprof.profile.spec import (
    MAX_NAME_LENGTH,
    PROFILE_VERSION,
    ArtifactSpec,
    BuildSpec,
    ImageSpec,
    KernelSpec,
    ReadySpec,
    TargetSpec,
)


def _read(v: Validator, table: Mapping[str, Any], rows: tuple[Key, ...], path: tuple[Any, ...]) -> dict[str, Any]:
    """Every key of `rows` that `table` sets, read in the order of the rows (walked keys left out)."""
    return {key.name: key.read(v, table[key.name], path + (key.name,))
            for key in rows if key.name in table and key.kind != "walked"}


def _check_against(v: Validator, targets: list[TargetSpec]) -> None:
    """`against` names another target of this profile, itself not compared with a third one."""
    by_name = {t.name: t for t in targets}
    for i, target in enumerate(targets):
        if target.against is None:
            continue
        path = ("target", i, "against")
        other = by_name.get(target.against)
        if other is None:
            names = ", ".join(n for n in by_name if n != target.name) or "none"
            raise v.fail(path, f"target '{target.name}': 'against' names no target of this profile: "
                               f"{target.against!r} (targets: {names})")
        if other is target:
            raise v.fail(path, f"target '{target.name}': 'against' must name another target, not itself")
        if other.against is not None:
            raise v.fail(path, f"target '{target.name}': 'against' names '{other.name}', which is itself "
                               f"compared against '{other.against}'; compare each target with a plain one")


def _parse_build(v: Validator, raw: Any) -> BuildSpec:
    table = v.table(raw, ("build",))
    v.check_keys(table, keys.names(keys.BUILD), ("build",))
    if "command" not in table:
        raise v.fail(("build",), "[build] has no 'command' (e.g. command = \"npm ci && npm run build\")")
    return BuildSpec(**_read(v, table, keys.BUILD, ()))


def _array_of_tables(v: Validator, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    raw = data.get(key, [])
    if isinstance(raw, dict):
        raise v.fail((key,), f"'{key}' must be an array of tables: write [[{key}]], not [{key}]")
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise v.fail((key,), f"'{key}' must be an array of tables ([[{key}]])")
    return raw


def _name(v: Validator, table: Mapping[str, Any], path: tuple[Any, ...], seen: set[str], kind: str) -> str:
    if "name" not in table:
        raise v.fail(path, f"[[{kind}]] number {path[-1] + 1} has no 'name'")
    name = check_name(v, v.string(table["name"], path + ("name",)), path + ("name",))
    if name in seen:
        raise v.fail(
            path + ("name",), f"name '{name}' is used twice; every target, artifact, image and kernel needs its own"
        )
    seen.add(name)
    return name


def validate_profile(data: Mapping[str, Any], v: Validator, *, name_hint: str) -> dict[str, Any]:
    refuse_nul(v, data)
    v.check_keys(data, keys.names(keys.TOP), ())
    if "version" not in data:
        raise v.fail((), f"the profile has no 'version'; add version = {PROFILE_VERSION} at the top")
    version = data["version"]
    if isinstance(version, bool) or version != PROFILE_VERSION:
        raise v.fail(("version",), f"'version' must be {PROFILE_VERSION}, got {got(version)}")
    if "name" in data:
        name = check_name(v, v.string(data["name"], ("name",)), ("name",))
    else:  # the file's stem: not the user's words, so made printable and cut rather than refused
        name = "".join(char if char.isprintable() else "?" for char in name_hint[:MAX_NAME_LENGTH])

    defaults_raw = v.table(data.get("defaults", {}), ("defaults",))
    v.check_keys(defaults_raw, keys.names(keys.DEFAULTS), ("defaults",))
    defaults = _settings(v, defaults_raw, keys.DEFAULTS, ("defaults",))
    tolerance = defaults.get("tolerance", 0.10)

    seen: set[str] = set()
    lines: dict[tuple[str, str], int] = {}
    targets = [_target(v, raw, ("target", i), seen, defaults, lines)
               for i, raw in enumerate(_array_of_tables(v, data, "target"))]
    _check_against(v, targets)
    subjects: dict[str, list[Any]] = {}
    for kind, rows, spec in (("artifact", keys.ARTIFACT, ArtifactSpec), ("image", keys.IMAGE, ImageSpec),
                             ("kernel", keys.KERNEL, KernelSpec)):
        subjects[kind] = []
        for i, raw in enumerate(_array_of_tables(v, data, kind)):
            path = (kind, i)
            v.check_keys(raw, keys.names(rows), path)
            subject = _name(v, raw, path, seen, kind)
            _one_source(v, kind, subject, raw, path)
            fields = {"name": subject, "base_dir": v.base_dir, "tolerance": tolerance, **_read(v, raw, rows, path)}
            subjects[kind].append(spec(**fields))

    build = _parse_build(v, data["build"]) if "build" in data else None
    return {
        "name": name,
        "build": build,
        "targets": tuple(targets),
        "artifacts": tuple(subjects["artifact"]),
        "images": tuple(subjects["image"]),
        "kernels": tuple(subjects["kernel"]),
        "budget_lines": lines,
    }


def _one_source(v: Validator, kind: str, subject: str, raw: Mapping[str, Any], path: tuple[Any, ...]) -> None:
    """An artifact is a path or a Python environment, an image an archive or a name: exactly one."""
    if kind == "artifact" and ("path" in raw) == ("python_env" in raw):
        raise v.fail(path, f"artifact '{subject}' needs exactly one of 'path' or 'python_env'")
    if kind == "image" and ("path" in raw) == ("image" in raw):
        raise v.fail(
            path, f"image '{subject}' needs exactly one of 'path' (an archive or OCI layout) or 'image' (name:tag)"
        )


def _target(v: Validator, raw: Mapping[str, Any], path: tuple[Any, ...], seen: set[str],
            defaults: dict[str, Any], lines: dict[tuple[str, str], int]) -> TargetSpec:
    """One [[target]] over the [defaults]; records the line of each of its budgets in `lines`."""
    v.check_keys(raw, keys.names(keys.TARGET), path)
    tname = _name(v, raw, path, seen, "target")
    if "command" not in raw:
        raise v.fail(path, f"target '{tname}' has no 'command'")
    own = _settings(v, raw, keys.TARGET, path)
    command = own.pop("command")
    settings = {**defaults, **own}
    settings["budget"] = {**defaults.get("budget", {}), **own.get("budget", {})}
    settings["cwd"] = (v.base_dir / settings.get("cwd", ".")).resolve()
    runs = settings.get("runs", 30)
    settings.setdefault("max_runs", max(runs, 2 * runs))
    if settings["max_runs"] < runs:
        raise v.fail(
            path + ("max_runs",),
            f"target '{tname}': 'max_runs' ({settings['max_runs']}) must be at least 'runs' ({runs})",
        )
    if "hold" in raw and settings.get("ready", ReadySpec()).kind == "exit" and settings["hold"] > 0:
        raise v.fail(
            path + ("hold",),
            f"target '{tname}': 'hold' needs a server ready mode (port, http or stdout); "
            "a target that is ready when it exits cannot be held",
        )
    for metric in [*settings["budget"], *(("forbid_imports",) if settings.get("forbid_imports") else ())]:
        line = v.index.line_of(v.prefix + path + ("budget", metric))
        if line:
            lines[(tname, metric)] = line
    if "path" in raw or "telemetry" in raw:
        lines.update(_paths_and_telemetry(v, raw, path, tname, settings))
    return TargetSpec(name=tname, command=command, **settings)


def _settings(v: Validator, table: Mapping[str, Any], rows: tuple[Key, ...], path: tuple[Any, ...]) -> dict[str, Any]:
    """A target's (or [defaults]') keys, with `forbid_imports` moved from its budget to its own field."""
    settings = _read(v, table, rows, path)
    if "forbid_imports" in settings.get("budget", {}):
        settings["forbid_imports"] = settings["budget"].pop("forbid_imports")
    return settings


def _paths_and_telemetry(v: Validator, raw: Mapping[str, Any], path: tuple[Any, ...], tname: str,
                         settings: dict[str, Any]) -> dict[tuple[str, str], int]:
    from lightprof.profile import paths

    ready = settings.get("ready", ReadySpec())
    if "path" in raw:
        settings["paths"] = paths.parse_paths(v, raw["path"], path + ("path",), tname, ready,
                                              settings.get("timeout", 10.0))
    if "telemetry" in raw:
        settings["telemetry"] = paths.parse_telemetry(v, raw["telemetry"], path + ("telemetry",), tname, ready)
    return paths.budget_lines(v, raw.get("path"), path + ("path",), tname, settings.get("paths", ()))
