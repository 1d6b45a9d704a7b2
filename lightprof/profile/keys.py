"""Every key of a profile, declared once: the table it sits in, what it takes, its bounds.

The validator (`validate`) reads these rows: which keys a table accepts (and the list an unknown
key's message offers), and how each value is checked, with the file:line of a bad one. A new key
is one row here and one field of the same name on its spec (spec.py, where defaults live); a value
no kind below describes names its own check.

| kind     | takes                                   | bounds                      |
|----------|-----------------------------------------|-----------------------------|
| string   | text (not blank unless `empty_ok`)      |                             |
| integer  | a TOML integer                          | `minimum` to `maximum`      |
| number   | an integer or float                     | above 0; at most `maximum`  |
| duration | "250ms", "2s", or seconds as a number   | above 0 when `positive`     |
| size     | "64MiB", "1.5 MB", or bytes             | above 0 when `positive`     |
| ratio    | "10%", or a fraction                    |                             |
| custom   | whatever `check` reads                  | `check`'s own               |
| walked   | read by the validator's walk itself (names, commands, nested tables) |    |
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lightprof.errors import shown
from lightprof.profile.fields import Validator, check_loopback, got, type_name
from lightprof.profile.spec import (
    CACHE_STATES,
    COMPRESSIONS,
    INCONCLUSIVE_POLICIES,
    MAX_RUNS,
    MAX_SLOWDOWN,
    PYTHON_TOKEN,
    RATIO_BUDGETS,
    TARGET_BUDGETS,
    ReadySpec,
    budget_unit,
)
from lightprof.units import parse_duration, parse_ratio, parse_size

KeyPath = tuple[Any, ...]  # a key's path in the document: ("target", 0, "budget", "cold_start_p95")
Check = Callable[[Validator, Any, KeyPath], Any]

_UNITS: dict[str, Callable[[Any], Any]] = {"duration": parse_duration, "size": parse_size, "ratio": parse_ratio}


@dataclass(frozen=True)
class Key:
    """One key: `name` is also the spec field it fills."""

    name: str
    kind: str
    minimum: int = 0
    maximum: float | None = None
    positive: bool = False
    empty_ok: bool = False
    check: Check | None = None
    in_defaults: bool = False  # may be set once for every target in [defaults]

    def read(self, v: Validator, value: Any, path: KeyPath) -> Any:
        """The value checked and in base units; a ProfileError naming the file and line if it is not."""
        if self.kind == "string":
            return v.string(value, path, empty_ok=self.empty_ok)
        if self.kind == "integer":
            maximum = None if self.maximum is None else int(self.maximum)
            return v.integer(value, path, minimum=self.minimum, maximum=maximum)
        if self.kind == "number":
            number = v.number(value, path)
            if self.maximum is not None and number > self.maximum:
                raise v.fail(path, f"'{self.name}' must be at most {self.maximum:g}, got {number:g}")
            return number
        if self.kind in _UNITS:
            return v.unit(_UNITS[self.kind], value, path, positive=self.positive)
        if self.check is None:
            raise TypeError(f"key '{self.name}' of kind {self.kind!r} is read by the walk, not by Key.read")
        return self.check(v, value, path)


def names(keys: tuple[Key, ...]) -> tuple[str, ...]:
    return tuple(key.name for key in keys)


# --------------------------------------------------------------------------- checks of their own


def read_ready(v: Validator, raw: Any, path: KeyPath) -> ReadySpec:
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


def read_env(v: Validator, raw: Any, path: KeyPath) -> dict[str, str]:
    env = v.table(raw, path)
    for key, value in env.items():
        if not key or "=" in key:
            raise v.fail(path + (key,),
                         f"'env' key {got(key)} is not a variable name; expected a non-empty name without '='")
        if not isinstance(value, str):
            raise v.fail(path + (key,), f"'env.{shown(key)}' must be a string, got {type_name(value)}")
    return dict(env)


def read_inconclusive(v: Validator, policy: Any, path: KeyPath) -> str:
    if policy not in INCONCLUSIVE_POLICIES:
        raise v.fail(path, f"'inconclusive' must be \"warn\" (exit 0, said) or \"fail\" (exit 1), got {policy!r}")
    return str(policy)


def read_cache(v: Validator, raw: Any, path: KeyPath) -> str:
    if raw not in CACHE_STATES:
        raise v.fail(path, "'cache' must be \"warm\" (caches left as they are) or \"cold\" "
                           f"(fresh bytecode and compile caches every run), got {got(raw)}")
    return str(raw)


def read_target_budget(v: Validator, raw: Any, path: KeyPath) -> dict[str, Any]:
    """Numbers in base units, and `forbid_imports` (module names), which the walk moves to its own field."""
    budget = v.table(raw, path)
    v.check_keys(budget, TARGET_BUDGETS, path)
    parsed: dict[str, Any] = {}
    for key, value in budget.items():
        if key == "forbid_imports":
            parsed[key] = read_module_names(v, value, path + (key,))
            continue
        if key in RATIO_BUDGETS:
            parsed[key] = v.unit(lambda t: parse_ratio(t, maximum=MAX_SLOWDOWN), value, path + (key,))
            continue
        parse = parse_duration if budget_unit(key) == "s" else parse_size
        parsed[key] = v.unit(parse, value, path + (key,), positive=True)
    return parsed


def read_module_names(v: Validator, raw: Any, path: KeyPath) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise v.fail(path, f"'forbid_imports' must be an array of module names such as [\"numpy\"], got {got(raw)}")
    names = []
    for i, item in enumerate(raw):
        if not isinstance(item, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", item):
            raise v.fail(path + (i,), f"'forbid_imports' entries must be module names such as \"numpy\" or "
                                      f"\"xml.dom\", got {got(item)}")
        names.append(item)
    return tuple(names)


def read_command(v: Validator, raw: Any, path: KeyPath) -> tuple[str, ...] | str:
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


def read_compression(v: Validator, raw: Any, path: KeyPath) -> str:
    comp = v.string(raw, path)
    if comp not in COMPRESSIONS:
        raise v.fail(path, f"'compression' must be one of {', '.join(COMPRESSIONS)}, got {got(comp)}")
    return comp


def read_efficiency(v: Validator, raw: Any, path: KeyPath) -> float:
    efficiency: float = v.unit(parse_ratio, raw, path)
    if efficiency > 1:
        raise v.fail(path, f"'efficiency_min' must be at most 100%, got {got(raw)}")
    return efficiency


def read_sizes(v: Validator, raw: Any, path: KeyPath) -> tuple[int, ...]:
    if not isinstance(raw, list) or not raw:
        raise v.fail(path, "'sizes' must be a non-empty array of sizes such as [\"4KiB\", \"1MiB\"]")
    return tuple(v.unit(parse_size, size, path, positive=True) for size in raw)


# --------------------------------------------------------------------------- the tables


# Rows several tables share.
NAME = Key("name", "walked")
PATH = Key("path", "string")
TOP_N = Key("top", "integer", minimum=1, maximum=10_000)  # the largest files or paths listed
TOLERANCE = Key("tolerance", "ratio")

TOP = tuple(Key(name, "walked") for name in
            ("version", "name", "defaults", "build", "target", "artifact", "image", "kernel"))

BUILD = (
    Key("command", "custom", check=read_command),
    Key("timeout", "duration", positive=True),
)

TARGET = (
    NAME,
    Key("command", "custom", check=read_command),
    Key("cwd", "string", in_defaults=True),
    Key("env", "custom", check=read_env, in_defaults=True),
    Key("ready", "custom", check=read_ready, in_defaults=True),
    Key("hold", "duration", in_defaults=True),
    Key("runs", "integer", minimum=1, maximum=MAX_RUNS, in_defaults=True),
    Key("warmup", "integer", minimum=0, maximum=MAX_RUNS, in_defaults=True),
    Key("max_runs", "integer", minimum=1, maximum=1_000_000, in_defaults=True),
    Key("max_time", "duration", positive=True, in_defaults=True),
    Key("timeout", "duration", positive=True, in_defaults=True),
    Key("grace", "duration", in_defaults=True),
    Key("sample_hz", "number", maximum=1000, in_defaults=True),
    Key("tolerance", "ratio", in_defaults=True),
    Key("inconclusive", "custom", check=read_inconclusive, in_defaults=True),
    Key("against", "string"),
    Key("budget", "custom", check=read_target_budget, in_defaults=True),
    Key("path", "walked"),  # [[target.path]]: profile.paths
    Key("telemetry", "walked"),  # [target.telemetry]: profile.paths
    Key("cache", "custom", check=read_cache, in_defaults=True),
)
DEFAULTS = tuple(key for key in TARGET if key.in_defaults)

ARTIFACT = (
    NAME,
    PATH,
    Key("python_env", "string"),
    Key("compression", "custom", check=read_compression),
    Key("budget", "size", positive=True),
    TOP_N,
    TOLERANCE,
)

IMAGE = (
    NAME,
    PATH,
    Key("image", "string"),
    Key("budget", "size", positive=True),
    Key("budget_compressed", "size", positive=True),
    Key("wasted_max", "size"),
    Key("efficiency_min", "custom", check=read_efficiency),
    TOP_N,
    TOLERANCE,
)

KERNEL = (
    NAME,
    PATH,
    Key("sizes", "custom", check=read_sizes),
    Key("justification", "string", empty_ok=True),
    Key("ops_per_cpu_s", "number"),
    Key("runs", "integer", minimum=1, maximum=MAX_RUNS),
    TOLERANCE,
)
