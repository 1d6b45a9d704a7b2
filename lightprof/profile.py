"""Budget profiles (version 1): discover, load and validate into frozen specs.

Every error a user can make in a profile becomes one `ProfileError` sentence that names the file,
the line (found in the source text when TOML itself does not give one), the key and what was
expected. Specs carry numbers in base units (seconds, bytes, fractions).
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightprof.errors import ProfileError
from lightprof.units import UnitError, parse_duration, parse_ratio, parse_size

if TYPE_CHECKING:  # loaded with the first profile that has paths or telemetry
    from lightprof.profile_paths import PathSpec, TelemetrySpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

PROFILE_VERSION = 1
PROFILE_FILE = "lightprof.toml"
PYTHON_TOKEN = "{python}"

TIME_BUDGETS = ("cold_start_p50", "cold_start_p95", "cold_start_p99", "cold_start_mean")
SIZE_BUDGETS = ("rss_steady", "rss_peak")
# Judged on the target/reference p50 ratio (with against, --base or a baseline with its sample).
RATIO_BUDGETS = ("max_slowdown",)
# A slowdown budget compares two commands that may differ a lot (a whole headless run against a
# bare interpreter start): it may reach 100000% (1001x), a tolerance only 1000%.
MAX_SLOWDOWN = 1000.0
TARGET_BUDGETS = TIME_BUDGETS + SIZE_BUDGETS + RATIO_BUDGETS
INCONCLUSIVE_POLICIES = ("warn", "fail")


def budget_unit(metric: str) -> str:
    """The unit of a target budget's figure: "s", "bytes" or "ratio"."""
    return "s" if metric in TIME_BUDGETS else ("ratio" if metric in RATIO_BUDGETS else "bytes")
READY_KINDS = ("exit", "port", "http", "stdout")
COMPRESSIONS = ("none", "gzip", "brotli")
# Names end up in file names (NAME.baseline.toml), tables, JUnit XML and terminal titles.
MAX_NAME_LENGTH = 100
# A profile is a few kB; anything this large is not one, and reading it is bounded.
MAX_PROFILE_BYTES = 16 * 1024 * 1024
# The ready probe connects to the target on this machine only (see README: ready).
LOOPBACK_HOSTS = ("localhost", "::1", "[::1]")


@dataclass(frozen=True)
class ReadySpec:
    """When a launched target counts as started."""

    kind: str = "exit"
    port: int | None = None
    host: str = "127.0.0.1"
    url: str | None = None
    pattern: str | None = None

    def describe(self) -> str:
        if self.kind == "port":
            return f"port {self.host}:{self.port}"
        if self.kind == "http":
            return f"http {self.url}"
        if self.kind == "stdout":
            return f"stdout /{self.pattern}/"
        return "exit"


@dataclass(frozen=True)
class TargetSpec:
    """A command to cold-start again and again, with its memory watched."""

    name: str
    command: tuple[str, ...] | str
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)
    ready: ReadySpec = field(default_factory=ReadySpec)
    runs: int = 30
    warmup: int = 3
    max_runs: int = 60
    timeout: float = 10.0
    hold: float = 0.0
    grace: float = 2.0
    sample_hz: float = 20.0
    tolerance: float = 0.10
    budget: Mapping[str, float] = field(default_factory=dict)
    # Near a threshold, more runs are taken until max_runs or until measuring the target has
    # taken max_time; a regression check still undecided then is "inconclusive", which warns
    # (exit 0) or, with inconclusive = "fail", fails the build.
    max_time: float = 60.0
    inconclusive: str = "warn"
    against: str | None = None  # another target of the profile, run interleaved with this one
    # Critical paths requested after ready, and the target's own telemetry (lightprof.profile_paths).
    paths: tuple[PathSpec, ...] = ()
    telemetry: TelemetrySpec | None = None

    @property
    def argv(self) -> list[str]:
        """The argv to exec: a list command as is, a string command through `sh -c`."""
        if isinstance(self.command, str):
            return ["/bin/sh", "-c", self.command]
        return list(self.command)


@dataclass(frozen=True)
class ArtifactSpec:
    """Files, a folder, a glob or a Python environment whose shipped size is budgeted."""

    name: str
    base_dir: Path
    path: str | None = None
    python_env: str | None = None
    compression: str = "none"
    budget: int | None = None
    top: int = 10
    tolerance: float = 0.10


@dataclass(frozen=True)
class ImageSpec:
    """A container image read from an archive or layout on disk (or an engine, by name)."""

    name: str
    base_dir: Path
    path: str | None = None
    image: str | None = None
    budget: int | None = None
    budget_compressed: int | None = None
    wasted_max: int | None = None
    efficiency_min: float | None = None
    top: int = 10
    tolerance: float = 0.10


@dataclass(frozen=True)
class KernelSpec:
    """A Wasm kernel compared with its fallback at each payload size."""

    name: str
    base_dir: Path
    path: str | None = None
    sizes: tuple[int, ...] = (4096, 1024 * 1024)
    justification: str = ""
    ops_per_cpu_s: float | None = None
    runs: int = 30
    tolerance: float = 0.10


@dataclass(frozen=True)
class BuildSpec:
    """`[build]`: what --base runs in the base worktree and in the working tree before measuring."""

    command: tuple[str, ...] | str
    timeout: float = 600.0

    @property
    def argv(self) -> list[str]:
        if isinstance(self.command, str):
            return ["/bin/sh", "-c", self.command]
        return list(self.command)


@dataclass(frozen=True)
class Profile:
    """One loaded profile: where it came from and everything it measures."""

    name: str
    path: Path | None
    origin: str  # "file", "pyproject", "embedded" or "adhoc"
    targets: tuple[TargetSpec, ...] = ()
    artifacts: tuple[ArtifactSpec, ...] = ()
    images: tuple[ImageSpec, ...] = ()
    kernels: tuple[KernelSpec, ...] = ()
    version: int = PROFILE_VERSION
    budget_lines: Mapping[tuple[str, str], int] = field(default_factory=dict)
    build: BuildSpec | None = None

    @property
    def display_path(self) -> str:
        if self.path is None:
            return f"<{self.origin}>"
        try:
            return str(self.path.relative_to(Path.cwd()))
        except ValueError:
            return str(self.path)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()

    def baseline_path(self) -> Path:
        """Where `--update-baseline` writes: NAME.baseline.toml beside the profile."""
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.name).strip("-")[:MAX_NAME_LENGTH] or "lightprof"
        return self.base_dir / f"{safe}.baseline.toml"

    def subjects(self) -> list[str]:
        return [s.name for group in (self.targets, self.artifacts, self.images, self.kernels) for s in group]


# --------------------------------------------------------------------------- line index


_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([^\]]+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_INLINE_KEY = re.compile(r"""[{,]\s*([A-Za-z0-9_-]+|"[^"]*")\s*=""")


def _split_dotted(text: str) -> list[str]:
    """`a."b.c".d` → ["a", "b.c", "d"]: split at dots outside quotes, in one pass (a lookahead
    regex took seconds on a hostile 20,000-part header)."""
    parts: list[str] = []
    start, quote = 0, ""
    for i, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == ".":
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [part.strip().strip("\"'") for part in parts]


class LineIndex:
    """Maps key paths such as ("target", 0, "budget", "cold_start_p95") to source lines.

    tomllib gives line numbers only for syntax errors; validation errors find theirs here.
    """

    # No lightprof key is deeper than this; a deeper header is an error anyway, and cutting it
    # keeps the prefix lookups below from growing with the square of a hostile header's length.
    MAX_HEADER_PARTS = 16

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[Any, ...], int] = {}
        counters: dict[tuple[str, ...], int] = {}
        arrays: dict[tuple[Any, ...], int] = {}
        current: tuple[Any, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            if match := _ARRAY_HEADER.match(line):
                names = tuple(_split_dotted(match.group(1)))[: self.MAX_HEADER_PARTS]
                counters[names] = counters.get(names, -1) + 1
                # Counted per enclosing table: the first [[target.path]] of every target is 0.
                parent = self._resolve(names, counters, arrays)
                arrays[parent] = arrays.get(parent, -1) + 1
                current = parent + (arrays[parent],)
                self.lines.setdefault(current, number)
                continue
            if match := _TABLE_HEADER.match(line):
                names = tuple(_split_dotted(match.group(1)))[: self.MAX_HEADER_PARTS]
                current = self._resolve(names, counters, arrays)
                self.lines.setdefault(current, number)
                continue
            if match := _KEY.match(line):
                key_path = current + tuple(_split_dotted(match.group(1)))
                self.lines.setdefault(key_path, number)
                rest = line[match.end():]
                if rest.lstrip().startswith("{"):
                    for inner in _INLINE_KEY.finditer(rest):
                        self.lines.setdefault(key_path + (inner.group(1).strip("\"'"),), number)

    @staticmethod
    def _resolve(names: tuple[str, ...], counters: dict[tuple[str, ...], int],
                 arrays: dict[tuple[Any, ...], int]) -> tuple[Any, ...]:
        resolved: list[Any] = []
        for i, name in enumerate(names):
            resolved.append(name)
            prefix = names[: i + 1]
            if prefix in counters and i < len(names) - 1:
                resolved.append(arrays.get(tuple(resolved), counters[prefix]))
        return tuple(resolved)

    def line_of(self, path: tuple[Any, ...]) -> int | None:
        """The line of `path`, or of its nearest enclosing table that has one."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


# --------------------------------------------------------------------------- validation


class _Validator:
    """Walks the parsed TOML, raising one clear ProfileError at the first problem."""

    def __init__(self, file_label: str, index: LineIndex, prefix: tuple[Any, ...], base_dir: Path) -> None:
        self.file_label = file_label
        self.index = index
        self.prefix = prefix
        self.base_dir = base_dir

    def fail(self, path: tuple[Any, ...], message: str) -> ProfileError:
        line = self.index.line_of(self.prefix + path)
        where = f"{self.file_label}:{line}" if line else self.file_label
        return ProfileError(f"{where}: {message}")

    @staticmethod
    def label(path: tuple[Any, ...]) -> str:
        parts: list[str] = []
        for part in path:
            if isinstance(part, int):
                parts[-1] = f"{parts[-1]}[{part}]"
            else:
                parts.append(_shown(str(part)))
        return ".".join(parts)

    def check_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], path: tuple[Any, ...]) -> None:
        for key in table:
            if key not in allowed:
                where = f"in [{self.label(path)}] " if path else ""
                raise self.fail(
                    path + (key,),
                    f"unknown key '{_shown(key)}' {where}(expected one of: {', '.join(allowed)})",
                )

    def table(self, value: Any, path: tuple[Any, ...]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"'{self.label(path)}' must be a table, got {_type_name(value)}")
        return value

    def string(self, value: Any, path: tuple[Any, ...], *, empty_ok: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"'{self.label(path)}' must be a string, got {_type_name(value)}")
        if not empty_ok and not value.strip():
            raise self.fail(path, f"'{self.label(path)}' must not be empty")
        return value

    def integer(self, value: Any, path: tuple[Any, ...], *, minimum: int, maximum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"'{self.label(path)}' must be an integer, got {_type_name(value)}")
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            raise self.fail(path, f"'{self.label(path)}' must be {bound}, got {value}")
        return value

    def number(self, value: Any, path: tuple[Any, ...], *, positive: bool = True) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(path, f"'{self.label(path)}' must be a number, got {_type_name(value)}")
        if not math.isfinite(value):
            raise self.fail(path, f"'{self.label(path)}' must be a finite number, got {value}")
        if positive and not value > 0:
            raise self.fail(path, f"'{self.label(path)}' must be greater than 0, got {value}")
        return float(value)

    def unit(self, parse: Callable[[Any], Any], value: Any, path: tuple[Any, ...], *, positive: bool = False) -> Any:
        try:
            parsed = parse(value)
        except UnitError as exc:
            raise self.fail(path, f"'{self.label(path)}': {exc}") from None
        if positive and not parsed > 0:
            raise self.fail(path, f"'{self.label(path)}' must be greater than zero, got {_got(value)}")
        return parsed


def _check_name(v: _Validator, name: str, path: tuple[Any, ...]) -> str:
    """A subject or profile name: printable, and short enough for a file name and a table."""
    if len(name) > MAX_NAME_LENGTH:
        raise v.fail(path, f"'{v.label(path)}' is {len(name)} characters long; expected at most {MAX_NAME_LENGTH}")
    if not name.isprintable():  # control characters, and format ones such as a right-to-left override
        raise v.fail(path, f"'{v.label(path)}' contains a control or format character; "
                           f"expected printable text, got {_got(name)}")
    return name


def _shown(text: str, limit: int = 60) -> str:
    """`text` fit for a one-line message: as is when short and printable, else quoted and cut."""
    if len(text) <= limit and text.isprintable():
        return text
    return repr(text[:limit])[1:-1] + ("…" if len(text) > limit else "")


def _got(value: Any) -> str:
    """A value as written (quoted if a string), cut for a one-line message."""
    return _shown(repr(value))


def _refuse_nul(v: _Validator, data: Mapping[str, Any]) -> None:
    """No key or string anywhere may hold a NUL: every one may reach an exec, a path or the
    environment, where the OS cannot carry it. Walked without recursion (tomllib bounds depth)."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and "\0" in value:
            raise v.fail(path, f"'{v.label(path)}' contains a NUL character (\\u0000); expected text without it")
        if isinstance(value, dict):
            for key, item in value.items():
                if "\0" in key:
                    where = f"[{v.label(path)}]" if path else "the profile's top level"
                    raise v.fail(path, f"key '{_shown(key)}' in {where} contains a NUL character (\\u0000); "
                                       "expected a name without it")
                stack.append((path + (key,), item))
        elif isinstance(value, list):
            stack.extend((path + (i,), item) for i, item in enumerate(value))


def _check_loopback(v: _Validator, host: str, path: tuple[Any, ...]) -> None:
    import ipaddress

    if host.lower() in LOOPBACK_HOSTS:
        return
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return
    except ValueError:
        pass
    raise v.fail(path, f"'{v.label(path)}' names host {_got(host)}; the ready probe only connects to this machine's "
                       "loopback (localhost, 127.0.0.1 or [::1])")


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


_TARGET_KEYS = (
    "name", "command", "cwd", "env", "ready", "hold", "runs", "warmup", "max_runs", "max_time", "timeout",
    "grace", "sample_hz", "tolerance", "inconclusive", "against", "budget", "path", "telemetry",
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


def _parse_ready(v: _Validator, raw: Any, path: tuple[Any, ...]) -> ReadySpec:
    if isinstance(raw, str):
        if raw != "exit":
            raise v.fail(path, f"'ready' must be \"exit\" or a table such as {{ port = 3000 }}, got {_got(raw)}")
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
        _check_loopback(v, host, path + ("host",))
        return ReadySpec(kind="port", port=port, host=host)
    if "host" in table:
        raise v.fail(path + ("host",), "'ready.host' applies only to ready = { port = ... }")
    if mode == "http":
        url = v.string(table["http"], path + ("http",))
        match = re.match(r"^http://([^/\s:]+|\[[0-9A-Fa-f:.]+\])(?::(\d+))?(/\S*)?$", url)
        if not match:
            raise v.fail(
                path + ("http",),
                f"'ready.http' must be an http:// URL such as http://127.0.0.1:3000/health, got {_got(url)}",
            )
        if match.group(2) is not None and not 1 <= int(match.group(2)) <= 65535:
            raise v.fail(path + ("http",), f"'ready.http' has port {match.group(2)}; expected 1 to 65535")
        _check_loopback(v, match.group(1), path + ("http",))
        return ReadySpec(kind="http", url=url)
    pattern = v.string(table["stdout"], path + ("stdout",))
    try:
        re.compile(pattern)
    except re.error as exc:
        raise v.fail(path + ("stdout",), f"'ready.stdout' is not a valid regular expression ({exc})") from None
    return ReadySpec(kind="stdout", pattern=pattern)


def _parse_target_settings(v: _Validator, table: Mapping[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    """The keys a target shares with [defaults], parsed into spec fields."""
    out: dict[str, Any] = {}
    if "cwd" in table:
        out["cwd"] = v.string(table["cwd"], path + ("cwd",))
    if "env" in table:
        env = v.table(table["env"], path + ("env",))
        for key, value in env.items():
            if not key or "=" in key:
                raise v.fail(path + ("env", key),
                             f"'env' key {_got(key)} is not a variable name; expected a non-empty name without '='")
            if not isinstance(value, str):
                raise v.fail(path + ("env", key), f"'env.{_shown(key)}' must be a string, got {_type_name(value)}")
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
    if "budget" in table:
        budget = v.table(table["budget"], path + ("budget",))
        v.check_keys(budget, TARGET_BUDGETS, path + ("budget",))
        parsed: dict[str, float] = {}
        for key, value in budget.items():
            if key in RATIO_BUDGETS:
                parsed[key] = v.unit(lambda t: parse_ratio(t, maximum=MAX_SLOWDOWN), value, path + ("budget", key))
                continue
            parse = parse_duration if key in TIME_BUDGETS else parse_size
            parsed[key] = v.unit(parse, value, path + ("budget", key), positive=True)
        out["budget"] = parsed
    return out


def _check_against(v: _Validator, targets: list[TargetSpec]) -> None:
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


def _parse_paths_and_telemetry(v: _Validator, raw: Mapping[str, Any], path: tuple[Any, ...], tname: str,
                               settings: dict[str, Any]) -> dict[tuple[str, str], int]:
    from lightprof import profile_paths

    ready = settings.get("ready", ReadySpec())
    if "path" in raw:
        settings["paths"] = profile_paths.parse_paths(v, raw["path"], path + ("path",), tname, ready,
                                                      settings.get("timeout", 10.0))
    if "telemetry" in raw:
        settings["telemetry"] = profile_paths.parse_telemetry(v, raw["telemetry"], path + ("telemetry",), tname,
                                                              ready)
    return profile_paths.budget_lines(v, raw.get("path"), path + ("path",), tname, settings.get("paths", ()))


def _parse_build(v: _Validator, raw: Any) -> BuildSpec:
    table = v.table(raw, ("build",))
    v.check_keys(table, _BUILD_KEYS, ("build",))
    if "command" not in table:
        raise v.fail(("build",), "[build] has no 'command' (e.g. command = \"npm ci && npm run build\")")
    command = _parse_command(v, table["command"], ("build", "command"))
    if "timeout" in table:
        return BuildSpec(command, v.unit(parse_duration, table["timeout"], ("build", "timeout"), positive=True))
    return BuildSpec(command)


def _parse_command(v: _Validator, raw: Any, path: tuple[Any, ...]) -> tuple[str, ...] | str:
    if isinstance(raw, str):
        if not raw.strip():
            raise v.fail(path, "'command' must not be empty")
        return raw
    if not isinstance(raw, list):
        raise v.fail(path, f"'command' must be an array of strings or a shell string, got {_type_name(raw)}")
    if not raw:
        raise v.fail(path, "'command' must not be an empty array")
    for i, arg in enumerate(raw):
        if not isinstance(arg, str):
            raise v.fail(path, f"'command' item {i} must be a string, got {_type_name(arg)}")
    if not raw[0].strip():
        raise v.fail(path, "'command' must start with a program name, got an empty string")
    return tuple(sys.executable if arg == PYTHON_TOKEN else arg for arg in raw)


def _array_of_tables(v: _Validator, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    raw = data.get(key, [])
    if isinstance(raw, dict):
        raise v.fail((key,), f"'{key}' must be an array of tables: write [[{key}]], not [{key}]")
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise v.fail((key,), f"'{key}' must be an array of tables ([[{key}]])")
    return raw


def _name(v: _Validator, table: Mapping[str, Any], path: tuple[Any, ...], seen: set[str], kind: str) -> str:
    if "name" not in table:
        raise v.fail(path, f"[[{kind}]] number {path[-1] + 1} has no 'name'")
    name = _check_name(v, v.string(table["name"], path + ("name",)), path + ("name",))
    if name in seen:
        raise v.fail(
            path + ("name",), f"name '{name}' is used twice; every target, artifact, image and kernel needs its own"
        )
    seen.add(name)
    return name


def _validate(data: Mapping[str, Any], v: _Validator, *, name_hint: str) -> dict[str, Any]:
    _refuse_nul(v, data)
    v.check_keys(data, _TOP_KEYS, ())
    if "version" not in data:
        raise v.fail((), f"the profile has no 'version'; add version = {PROFILE_VERSION} at the top")
    version = data["version"]
    if isinstance(version, bool) or version != PROFILE_VERSION:
        raise v.fail(("version",), f"'version' must be {PROFILE_VERSION}, got {_got(version)}")
    if "name" in data:
        name = _check_name(v, v.string(data["name"], ("name",)), ("name",))
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
        for metric in settings["budget"]:
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
                    path + ("compression",), f"'compression' must be one of {', '.join(COMPRESSIONS)}, got {_got(comp)}"
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
                got = _got(raw["efficiency_min"])
                raise v.fail(path + ("efficiency_min",), f"'efficiency_min' must be at most 100%, got {got}")
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


# --------------------------------------------------------------------------- loading


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
        validator = _Validator(label, LineIndex(text), ("tool", "lightprof"), file.resolve().parent)
        fields = _validate(section, validator, name_hint=file.resolve().parent.name)
        return Profile(path=file.resolve(), origin="pyproject", **fields)
    validator = _Validator(label, LineIndex(text), (), file.resolve().parent)
    fields = _validate(data, validator, name_hint=file.stem)
    return Profile(path=file.resolve(), origin="file", **fields)


def load_profile_text(text: str, *, label: str, base_dir: Path, origin: str) -> Profile:
    """Load a profile from text (the embedded default); `label` names it in errors."""
    data = _parse_toml(text, label)
    validator = _Validator(label, LineIndex(text), (), base_dir)
    return Profile(path=None, origin=origin, **_validate(data, validator, name_hint="default"))


def data_dir(kind: str) -> Path:
    """The folder of shipped `profiles` or `kernels`: inside the wheel, else in the checkout."""
    packaged = Path(__file__).parent / "_data" / kind
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / kind


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
