"""The checks of single values in a profile (types, units, names, hosts), each failing with file:line."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lightprof.errors import ProfileError, shown
from lightprof.profile.lines import LineIndex
from lightprof.profile.spec import LOOPBACK_HOSTS, MAX_NAME_LENGTH
from lightprof.units import UnitError


class Validator:
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
                parts.append(shown(str(part)))
        return ".".join(parts)

    def check_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], path: tuple[Any, ...]) -> None:
        for key in table:
            if key not in allowed:
                where = f"in [{self.label(path)}] " if path else ""
                raise self.fail(
                    path + (key,),
                    f"unknown key '{shown(key)}' {where}(expected one of: {', '.join(allowed)})",
                )

    def table(self, value: Any, path: tuple[Any, ...]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"'{self.label(path)}' must be a table, got {type_name(value)}")
        return value

    def string(self, value: Any, path: tuple[Any, ...], *, empty_ok: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"'{self.label(path)}' must be a string, got {type_name(value)}")
        if not empty_ok and not value.strip():
            raise self.fail(path, f"'{self.label(path)}' must not be empty")
        return value

    def integer(self, value: Any, path: tuple[Any, ...], *, minimum: int, maximum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"'{self.label(path)}' must be an integer, got {type_name(value)}")
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            raise self.fail(path, f"'{self.label(path)}' must be {bound}, got {value}")
        return value

    def number(self, value: Any, path: tuple[Any, ...], *, positive: bool = True) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(path, f"'{self.label(path)}' must be a number, got {type_name(value)}")
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
            raise self.fail(path, f"'{self.label(path)}' must be greater than zero, got {got(value)}")
        return parsed


def check_name(v: Validator, name: str, path: tuple[Any, ...]) -> str:
    """A subject or profile name: printable, and short enough for a file name and a table."""
    if len(name) > MAX_NAME_LENGTH:
        raise v.fail(path, f"'{v.label(path)}' is {len(name)} characters long; expected at most {MAX_NAME_LENGTH}")
    if not name.isprintable():  # control characters, and format ones such as a right-to-left override
        raise v.fail(path, f"'{v.label(path)}' contains a control or format character; "
                           f"expected printable text, got {got(name)}")
    return name


def got(value: Any) -> str:
    """A value as written (quoted if a string), cut for a one-line message."""
    return shown(repr(value))


def refuse_nul(v: Validator, data: Mapping[str, Any]) -> None:
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
                    raise v.fail(path, f"key '{shown(key)}' in {where} contains a NUL character (\\u0000); "
                                       "expected a name without it")
                stack.append((path + (key,), item))
        elif isinstance(value, list):
            stack.extend((path + (i,), item) for i, item in enumerate(value))


def check_loopback(v: Validator, host: str, path: tuple[Any, ...]) -> None:
    import ipaddress

    if host.lower() in LOOPBACK_HOSTS:
        return
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return
    except ValueError:
        pass
    raise v.fail(path, f"'{v.label(path)}' names host {got(host)}; the ready probe only connects to this machine's "
                       "loopback (localhost, 127.0.0.1 or [::1])")


def type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)
