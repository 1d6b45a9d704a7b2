"""The walk over a parsed profile: every table and key checked, into the fields of a `Profile`."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any

from lightprof.profile.fields import Validator, check_loopback, check_name, got, refuse_nul, shown, type_name
from lightprof.profile.spec import (
    CACHE_STATES,
    COMPRESSIONS,
    INCONCLUSIVE_POLICIES,
    MAX_NAME_LENGTH,
    MAX_SLOWDOWN,
    PROFILE_VERSION,
    PYTHON_TOKEN,
    RATIO_BUDGETS,
    TARGET_BUDGETS,
    ArtifactSpec,
    BuildSpec,
    ImageSpec,
    KernelSpec,
    ReadySpec,
    TargetSpec,
    budget_unit,
)
from lightprof.units import parse_duration, parse_ratio, parse_size

_TARGET_KEYS = (
    "name", "command", "cwd", "env", "ready", "hold", "runs", "warmup", "max_runs", "max_time", "timeout",
    "grace", "sample_hz", "tolerance", "inconclusive", "against", "budget", "path", "telemetry", "cache",
)
_DEFAULT_KEYS = tuple(k for k in _TARGET_KEYS if k not in ("name", "command", "against", "path", "telemetry"))
_ARTIFACT_KEYS = ("name", "path", "python_env", "compression", "budget", "top", "tolerance")
_IMAGE_KEYS = (
    "name", "path", "image", "budget", "budget_compressed", "wasted_max", "efficiency_min", "top",
    "tolerance",
)
_KERNEL_KEYS = ("name", "path", "sizes", "justification", "ops_per_cpu_s", "runs", "tolerance")
_TOP_KEYS = ("version", "name", "defaults", "build", "target", "artifact", "image", "kernel")
_BUILD_KEYS = ("command", "timeout")


def _parse_ready(v: Validator, raw: Any, path: tuple[Any, ...]) -> ReadySpec:
    if isinstance(raw, str):
        if raw != "exit":
            raise v.fail(path, f"'ready' must be \"exit\" or a table such as {{ port = 3000 }}, got {got(raw)}")
        return ReadySpec()
    table = v.table(raw, path)
    v.check_keys(table, ("port", "host", "http", "stdout"), path)
    modes = [k for k in ("port", "http", "stdout") if k in table]
    if len(modes) != 1:
        raise v.fail(path, "'ready' must name exactly one of port, http or stdout")
    mode = modes[0]
    if mode == "port":
        port = v.integer(table["port"], path + ("port",), minimum=1, maximum=65535)
        host = v.string(table.get("host", "127.0.0.1"), path + ("host",))
        check_loopback(v, host, path + ("host",))
        return ReadySpec(kind="port", port=port, host=host)
    if "host" in table:
        raise v.fail(path + ("host",), "'ready.host' applies only to ready = { port = ... }")
    if mode == "http":
        url = v.string(table["http"], path + ("http",))
        match = re.match(r"^http://([^/\s:]+|\[[0-9A-Fa-f:.]+\])(?::(\d+))?(/\S*)?$", url)
        if not match:
            raise v.fail(
                path + ("http",),
                f"'ready.http' must be an http:// URL such as http://127.0.0.1:3000/health, got {got(url)}",
            )
        if match.group(2) is not None and not 1 <= int(match.group(2)) <= 65535:
            raise v.fail(path + ("http",), f"'ready.http' has port {match.group(2)}; expected 1 to 65535")
        check_loopback(v, match.group(1), path + ("http",))
        return ReadySpec(kind="http", url=url)
    pattern = v.string(table["stdout"], path + ("stdout",))
    try:
        re.compile(pattern)
    except re.error as exc:
        raise v.fail(path + ("stdout",), f"'ready.stdout' is not a valid regular expression ({exc})") from None
    return ReadySpec(kind="stdout", pattern=pattern)


def _parse_target_settings(v: Validator, table: Mapping[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    """The keys a target shares with [defaults], parsed into spec fields."""
    out: dict[str, Any] = {}
    if "cwd" in table:
        out["cwd"] = v.string(table["cwd"], path + ("cwd",))
    if "env" in table:
        env = v.table(table["env"], path + ("env",))
        for key, value in env.items():
            if not key or "=" in key:
                raise v.fail(path + ("env", key),
                             f"'env' key {got(key)} is not a variable name; expected a non-empty name without '='")
            if not isinstance(value, str):
                raise v.fail(path + ("env", key), f"'env.{shown(key)}' must be a string, got {type_name(value)}")
        out["env"] = dict(env)
    if "ready" in table:
        out["ready"] = _parse_ready(v, table["ready"], path + ("ready",))
    if "runs" in table:
        out["runs"] = v.integer(table["runs"], path + ("runs",), minimum=1, maximum=100_000)
    if "warmup" in table:
        out["warmup"] = v.integer(table["warmup"], path + ("warmup",), minimum=0, maximum=100_000)
    if "max_runs" in table:
        out["max_runs"] = v.integer(table["max_runs"], path + ("max_runs",), minimum=1, maximum=1_000_000)
    for key in ("timeout", "max_time"):
        if key in table:
            out[key] = v.unit(parse_duration, table[key], path + (key,), positive=True)
    for key in ("hold", "grace"):
        if key in table:
            out[key] = v.unit(parse_duration, table[key], path + (key,))
    if "sample_hz" in table:
        hz = v.number(table["sample_hz"], path + ("sample_hz",))
        if hz > 1000:
            raise v.fail(path + ("sample_hz",), f"'sample_hz' must be at most 1000, got {hz:g}")
        out["sample_hz"] = hz
    if "tolerance" in table:
        out["tolerance"] = v.unit(parse_ratio, table["tolerance"], path + ("tolerance",))
    if "inconclusive" in table:
        policy = table["inconclusive"]
        if policy not in INCONCLUSIVE_POLICIES:
            raise v.fail(
                path + ("inconclusive",),
                f"'inconclusive' must be \"warn\" (exit 0, said) or \"fail\" (exit 1), got {policy!r}",
            )
        out["inconclusive"] = policy
    if "cache" in table:
        if table["cache"] not in CACHE_STATES:
            raise v.fail(path + ("cache",), "'cache' must be \"warm\" (caches left as they are) or \"cold\" "
                                           f"(fresh bytecode and compile caches every run), got {got(table['cache'])}")
        out["cache"] = table["cache"]
    if "budget" in table:
        budget = v.table(table["budget"], path + ("budget",))
        v.check_keys(budget, TARGET_BUDGETS, path + ("budget",))
        parsed: dict[str, float] = {}
        for key, value in budget.items():
            if key == "forbid_imports":
                out["forbid_imports"] = _parse_module_names(v, value, path + ("budget", key))
                continue
            if key in RATIO_BUDGETS:
                parsed[key] = v.unit(lambda t: parse_ratio(t, maximum=MAX_SLOWDOWN), value, path + ("budget", key))
                continue
            parse = parse_duration if budget_unit(key) == "s" else parse_size
            parsed[key] = v.unit(parse, value, path + ("budget", key), positive=True)
        out["budget"] = parsed
    return out


def _parse_module_names(v: Validator, raw: Any, path: tuple[Any, ...]) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise v.fail(path, f"'forbid_imports' must be an array of module names such as [\"numpy\"], got {got(raw)}")
    names = []
    for i, item in enumerate(raw):
        if not isinstance(item, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", item):
            raise v.fail(path + (i,), f"'forbid_imports' entries must be module names such as \"numpy\" or "
                                      f"\"xml.dom\", got {got(item)}")
        names.append(item)
    return tuple(names)


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


def _parse_paths_and_telemetry(v: Validator, raw: Mapping[str, Any], path: tuple[Any, ...], tname: str,
                               settings: dict[str, Any]) -> dict[tuple[str, str], int]:
    from lightprof.profile import paths

    ready = settings.get("ready", ReadySpec())
    if "path" in raw:
        settings["paths"] = paths.parse_paths(v, raw["path"], path + ("path",), tname, ready,
                                              settings.get("timeout", 10.0))
    if "telemetry" in raw:
        settings["telemetry"] = paths.parse_telemetry(v, raw["telemetry"], path + ("telemetry",), tname, ready)
    return paths.budget_lines(v, raw.get("path"), path + ("path",), tname, settings.get("paths", ()))


def _parse_build(v: Validator, raw: Any) -> BuildSpec:
    table = v.table(raw, ("build",))
    v.check_keys(table, _BUILD_KEYS, ("build",))
    if "command" not in table:
        raise v.fail(("build",), "[build] has no 'command' (e.g. command = \"npm ci && npm run build\")")
    command = _parse_command(v, table["command"], ("build", "command"))
    if "timeout" in table:
        return BuildSpec(command, v.unit(parse_duration, table["timeout"], ("build", "timeout"), positive=True))
    return BuildSpec(command)


def _parse_command(v: Validator, raw: Any, path: tuple[Any, ...]) -> tuple[str, ...] | str:
    if isinstance(raw, str):
        if not raw.strip():
            raise v.fail(path, "'command' must not be empty")
        return raw
    if not isinstance(raw, list):
        raise v.fail(path, f"'command' must be an array of strings or a shell string, got {type_name(raw)}")
    if not raw:
        raise v.fail(path, "'command' must not be an empty array")
    for i, arg in enumerate(raw):
        if not isinstance(arg, str):
            raise v.fail(path, f"'command' item {i} must be a string, got {type_name(arg)}")
    if not raw[0].strip():
        raise v.fail(path, "'command' must start with a program name, got an empty string")
    return tuple(sys.executable if arg == PYTHON_TOKEN else arg for arg in raw)


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
    v.check_keys(data, _TOP_KEYS, ())
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
    v.check_keys(defaults_raw, _DEFAULT_KEYS, ("defaults",))
    defaults = _parse_target_settings(v, defaults_raw, ("defaults",))
    tolerance = defaults.get("tolerance", 0.10)

    seen: set[str] = set()
    lines: dict[tuple[str, str], int] = {}
    targets: list[TargetSpec] = []
    for i, raw in enumerate(_array_of_tables(v, data, "target")):
        path = ("target", i)
        v.check_keys(raw, _TARGET_KEYS, path)
        tname = _name(v, raw, path, seen, "target")
        if "command" not in raw:
            raise v.fail(path, f"target '{tname}' has no 'command'")
        command = _parse_command(v, raw["command"], path + ("command",))
        settings = {**defaults, **_parse_target_settings(v, raw, path)}
        if "against" in raw:
            settings["against"] = v.string(raw["against"], path + ("against",))
        settings["budget"] = {**defaults.get("budget", {}), **settings.get("budget", {})}
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
            lines.update(_parse_paths_and_telemetry(v, raw, path, tname, settings))
        targets.append(TargetSpec(name=tname, command=command, **settings))
    _check_against(v, targets)

    artifacts: list[ArtifactSpec] = []
    for i, raw in enumerate(_array_of_tables(v, data, "artifact")):
        path = ("artifact", i)
        v.check_keys(raw, _ARTIFACT_KEYS, path)
        aname = _name(v, raw, path, seen, "artifact")
        fields: dict[str, Any] = {"name": aname, "base_dir": v.base_dir, "tolerance": tolerance}
        if ("path" in raw) == ("python_env" in raw):
            raise v.fail(path, f"artifact '{aname}' needs exactly one of 'path' or 'python_env'")
        for key in ("path", "python_env"):
            if key in raw:
                fields[key] = v.string(raw[key], path + (key,))
        if "compression" in raw:
            comp = v.string(raw["compression"], path + ("compression",))
            if comp not in COMPRESSIONS:
                raise v.fail(
                    path + ("compression",), f"'compression' must be one of {', '.join(COMPRESSIONS)}, got {got(comp)}"
                )
            fields["compression"] = comp
        if "budget" in raw:
            fields["budget"] = v.unit(parse_size, raw["budget"], path + ("budget",), positive=True)
        if "top" in raw:
            fields["top"] = v.integer(raw["top"], path + ("top",), minimum=1, maximum=10_000)
        if "tolerance" in raw:
            fields["tolerance"] = v.unit(parse_ratio, raw["tolerance"], path + ("tolerance",))
        artifacts.append(ArtifactSpec(**fields))

    images: list[ImageSpec] = []
    for i, raw in enumerate(_array_of_tables(v, data, "image")):
        path = ("image", i)
        v.check_keys(raw, _IMAGE_KEYS, path)
        iname = _name(v, raw, path, seen, "image")
        fields = {"name": iname, "base_dir": v.base_dir, "tolerance": tolerance}
        if ("path" in raw) == ("image" in raw):
            raise v.fail(
                path, f"image '{iname}' needs exactly one of 'path' (an archive or OCI layout) or 'image' (name:tag)"
            )
        for key in ("path", "image"):
            if key in raw:
                fields[key] = v.string(raw[key], path + (key,))
        for key in ("budget", "budget_compressed", "wasted_max"):
            if key in raw:
                fields[key] = v.unit(parse_size, raw[key], path + (key,), positive=key != "wasted_max")
        if "efficiency_min" in raw:
            eff = v.unit(parse_ratio, raw["efficiency_min"], path + ("efficiency_min",))
            if eff > 1:
                written = got(raw["efficiency_min"])
                raise v.fail(path + ("efficiency_min",), f"'efficiency_min' must be at most 100%, got {written}")
            fields["efficiency_min"] = eff
        if "top" in raw:
            fields["top"] = v.integer(raw["top"], path + ("top",), minimum=1, maximum=10_000)
        if "tolerance" in raw:
            fields["tolerance"] = v.unit(parse_ratio, raw["tolerance"], path + ("tolerance",))
        images.append(ImageSpec(**fields))

    kernels: list[KernelSpec] = []
    for i, raw in enumerate(_array_of_tables(v, data, "kernel")):
        path = ("kernel", i)
        v.check_keys(raw, _KERNEL_KEYS, path)
        kname = _name(v, raw, path, seen, "kernel")
        fields = {"name": kname, "base_dir": v.base_dir, "tolerance": tolerance}
        if "path" in raw:
            fields["path"] = v.string(raw["path"], path + ("path",))
        if "sizes" in raw:
            sizes = raw["sizes"]
            if not isinstance(sizes, list) or not sizes:
                raise v.fail(
                    path + ("sizes",), "'sizes' must be a non-empty array of sizes such as [\"4KiB\", \"1MiB\"]"
                )
            fields["sizes"] = tuple(v.unit(parse_size, s, path + ("sizes",), positive=True) for s in sizes)
        if "justification" in raw:
            fields["justification"] = v.string(raw["justification"], path + ("justification",), empty_ok=True)
        if "ops_per_cpu_s" in raw:
            fields["ops_per_cpu_s"] = v.number(raw["ops_per_cpu_s"], path + ("ops_per_cpu_s",))
        if "runs" in raw:
            fields["runs"] = v.integer(raw["runs"], path + ("runs",), minimum=1, maximum=100_000)
        if "tolerance" in raw:
            fields["tolerance"] = v.unit(parse_ratio, raw["tolerance"], path + ("tolerance",))
        kernels.append(KernelSpec(**fields))

    build = _parse_build(v, data["build"]) if "build" in data else None
    return {
        "name": name,
        "build": build,
        "targets": tuple(targets),
        "artifacts": tuple(artifacts),
        "images": tuple(images),
        "kernels": tuple(kernels),
        "budget_lines": lines,
    }
