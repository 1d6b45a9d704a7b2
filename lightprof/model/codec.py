"""Dataclasses to JSON-ready dicts and back, driven by their type hints.

Every result dataclass crosses the `--json` / `--open` boundary through these two functions, so a
new field needs no serialisation code, and unknown keys in an older or newer report are ignored.
Decoding checks every value against its hint, because a report is a file anyone can edit: a wrong
type, a NaN or infinity, an integer beyond 64 bits or a missing field raises `DecodeError` naming
the field's path (`targets[0].runs[3].wall_s`), never a value the reader would trip over later.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from functools import cache
from typing import Any, TypeVar, Union

T = TypeVar("T")

INT_MIN, INT_MAX = -(2**63), 2**63 - 1


class DecodeError(ValueError):
    """A value does not fit its field; `path` names the field, `message` what was expected."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def to_jsonable(value: Any) -> Any:
    """Turn dataclasses, tuples and paths into plain JSON values, recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_jsonable(cls: type[T], data: Any) -> T:
    """Build `cls` (a dataclass, or a typing form over dataclasses) from `to_jsonable` output.

    Raises DecodeError at the first value that does not fit. Recursion follows the type hints,
    not the data, so a deeply nested value cannot exhaust the stack.
    """
    return _convert(cls, data, "")


def _json_type(data: Any) -> str:
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "a boolean"
    if isinstance(data, (int, float)):
        return "a number"
    if isinstance(data, str):
        return "a string"
    if isinstance(data, list):
        return "an array"
    if isinstance(data, dict):
        return "an object"
    return type(data).__name__


def _expected(tp: Any) -> str:
    if tp is float:
        return "a finite number"
    if tp is int:
        return "an integer"
    if tp is str:
        return "a string"
    if tp is bool:
        return "true or false"
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return "an array"
    if origin is dict or dataclasses.is_dataclass(tp):
        return "an object"
    if origin in (Union, types.UnionType):
        return " or ".join(_expected(a) if a is not type(None) else "null" for a in typing.get_args(tp))
    return getattr(tp, "__name__", str(tp))


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _convert(tp: Any, data: Any, path: str) -> Any:
    if tp is Any:
        return data
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None:
            if type(None) in args:
                return None
            raise DecodeError(path, f"must be {_expected(tp)}, got null")
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _convert(options[0], data, path)
        for option in options:
            try:
                return _convert(option, data, path)
            except DecodeError:
                continue
        raise DecodeError(path, f"must be {_expected(tp)}, got {_json_type(data)}")
    if origin in (list, tuple, dict) or dataclasses.is_dataclass(tp):
        return _convert_container(tp, origin, data, path)
    return _convert_scalar(tp, data, path)


def _convert_container(tp: Any, origin: Any, data: Any, path: str) -> Any:
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        if not isinstance(data, list):
            raise DecodeError(path, f"must be an array, got {_json_type(data)}")
        return [_convert(item, v, _at(path, i)) for i, v in enumerate(data)]
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(data, list):
            raise DecodeError(path, f"must be an array, got {_json_type(data)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, _at(path, i)) for i, v in enumerate(data))
        # A longer array is cut (a later version may carry more); a shorter one lacks values.
        if len(data) < len(args):
            raise DecodeError(path, f"must be an array of {len(args)} values, got {len(data)}")
        return tuple(_convert(a, v, _at(path, i)) for i, (a, v) in enumerate(zip(args, data, strict=False)))
    if origin is dict:
        _key, val = typing.get_args(tp) or (Any, Any)
        if not isinstance(data, dict):
            raise DecodeError(path, f"must be an object, got {_json_type(data)}")
        return {k: _convert(val, v, _at(path, k)) for k, v in data.items()}
    if not isinstance(data, dict):
        raise DecodeError(path, f"must be an object, got {_json_type(data)}")
    hints = _hints(tp)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(tp):
        if not f.init:
            continue
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name], _at(path, f.name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise DecodeError(_at(path, f.name), "is missing")
    return tp(**kwargs)


def _convert_scalar(tp: Any, data: Any, path: str) -> Any:
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise DecodeError(path, f"must be a finite number, got {_json_type(data)}")
        try:
            value = float(data)
        except OverflowError:  # an integer too large for a float
            value = math.inf
        if not math.isfinite(value):
            shown = data if isinstance(data, float) else "an integer too large for a number"
            raise DecodeError(path, f"must be a finite number, got {shown}")
        return value
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise DecodeError(path, f"must be an integer, got {_json_type(data)}")
        if not INT_MIN <= data <= INT_MAX:
            raise DecodeError(path, "must be an integer of at most 64 bits, got a larger one")
        return data
    if tp in (str, bool):
        if not isinstance(data, tp) or (tp is str and isinstance(data, bool)):
            raise DecodeError(path, f"must be {_expected(tp)}, got {_json_type(data)}")
        return data
    if data is None:
        raise DecodeError(path, f"must be {_expected(tp)}, got null")
    return data
