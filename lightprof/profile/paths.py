"""`[[target.path]]` and `[target.telemetry]`: their validation into the specs of `profile.spec`.

A path is a request lightprof sends, again and again, to a server target once it is ready; the
telemetry table says whether to collect the target's own `{"event": ...}` lines and which
Prometheus endpoint to scrape. Everything here is checked when the profile loads, so a bad key,
a URL off this machine or a missing body file stops lightprof with exit 2 before it runs anything.
The parse functions take the profile's validator (`lightprof.profile.fields.Validator`) so that every
error names the file, line and key as the rest of the profile's errors do.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit

from lightprof.profile.fields import Validator, check_loopback, check_name, got
from lightprof.profile.spec import PATH_BUDGETS, BodySpec, PathSpec, ReadySpec, TelemetrySpec
from lightprof.units import parse_duration, parse_size

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MAX_BODY_BYTES = 256 * 1024 * 1024  # a request body is held in memory once, for every request
MAX_CONCURRENCY = 64
_PATH_KEYS = (
    "name", "method", "url", "body", "content_type", "requests", "warmup", "concurrency", "timeout",
    "max_time", "budget",
)
_TELEMETRY_KEYS = ("events", "metrics", "justification")


def origin_of(ready: ReadySpec) -> str | None:
    """The http origin of a server target's ready address ("http://127.0.0.1:3000"), or None."""
    if ready.kind == "http" and ready.url:
        parts = urlsplit(ready.url)
        return f"http://{parts.netloc}"
    if ready.kind == "port" and ready.port is not None:
        host = ready.host if ":" not in ready.host or ready.host.startswith("[") else f"[{ready.host}]"
        return f"http://{host}:{ready.port}"
    return None


def resolve_url(url: str, origin: str) -> str:
    return url if url.startswith("http://") else origin + url


def _url(v: Validator, raw: Any, path: tuple[Any, ...], what: str) -> str:

    url = v.string(raw, path)
    if url.startswith("/"):
        if any(c.isspace() for c in url):
            raise v.fail(path, f"'{v.label(path)}' must not hold spaces, got {got(url)}")
        return url
    match = re.match(r"^http://([^/\s:]+|\[[0-9A-Fa-f:.]+\])(?::(\d+))?(/\S*)?$", url)
    if not match:
        raise v.fail(path, f"'{v.label(path)}' must be a path on the target such as \"{what}\" or a loopback "
                           f"http:// URL such as http://127.0.0.1:3000{what}, got {got(url)}")
    if match.group(2) is not None and not 1 <= int(match.group(2)) <= 65535:
        raise v.fail(path, f"'{v.label(path)}' has port {match.group(2)}; expected 1 to 65535")
    check_loopback(v, match.group(1), path)
    return url


def _body(v: Validator, raw: Any, path: tuple[Any, ...]) -> BodySpec:

    table = v.table(raw, path)
    v.check_keys(table, ("size", "file", "text"), path)
    if len(table) != 1:
        raise v.fail(path, "'body' must name exactly one of size (random bytes), file or text, "
                           "e.g. body = { size = \"1KiB\" }")
    if "size" in table:
        size = v.unit(parse_size, table["size"], path + ("size",))
        if size > MAX_BODY_BYTES:
            raise v.fail(path + ("size",), f"'body.size' must be at most 256MiB, got {got(table['size'])}")
        return BodySpec("size", size=int(size))
    if "text" in table:
        text = v.string(table["text"], path + ("text",), empty_ok=True)
        return BodySpec("text", text=text, size=len(text.encode("utf-8")))
    name = v.string(table["file"], path + ("file",))
    file = (v.base_dir / name).resolve()
    if not file.exists():
        raise v.fail(path + ("file",), f"body file {name} does not exist (looked for {file})")
    if not file.is_file():
        raise v.fail(path + ("file",), f"body file {name} is not a regular file ({file})")
    size = file.stat().st_size
    if size > MAX_BODY_BYTES:
        raise v.fail(path + ("file",), f"body file {name} is {size} bytes; expected at most 256MiB")
    if not os.access(file, os.R_OK):
        raise v.fail(path + ("file",), f"body file {name} cannot be read (permission denied)")
    return BodySpec("file", size=size, file=file)


def parse_paths(v: Validator, raw: Any, path: tuple[Any, ...], target: str, ready: ReadySpec,
                timeout: float) -> tuple[PathSpec, ...]:
    """The `[[target.path]]` tables of target `target`, whose ready mode is `ready`."""

    if isinstance(raw, dict) or not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise v.fail(path, "'path' must be an array of tables: write [[target.path]]")
    if raw and origin_of(ready) is None:
        raise v.fail(path + (0,), f"target '{target}' has [[target.path]] but is ready by {ready.kind}; paths need a "
                           "server ready mode: ready = { http = \"http://127.0.0.1:PORT/...\" } or { port = PORT }")
    specs: list[PathSpec] = []
    names: set[str] = set()
    for i, table in enumerate(raw):
        here = path + (i,)
        v.check_keys(table, _PATH_KEYS, here)
        if "name" not in table:
            raise v.fail(here, f"[[target.path]] number {i + 1} of target '{target}' has no 'name'")
        name = check_name(v, v.string(table["name"], here + ("name",)), here + ("name",))
        if name in names:
            raise v.fail(here + ("name",), f"path name '{name}' is used twice in target '{target}'")
        names.add(name)
        if "url" not in table:
            raise v.fail(here, f"path '{name}' has no 'url' (e.g. url = \"/health\")")
        fields: dict[str, Any] = {"name": name, "url": _url(v, table["url"], here + ("url",), "/health"),
                                  "timeout": timeout}
        if "method" in table:
            method = v.string(table["method"], here + ("method",)).upper()
            if method not in METHODS:
                raise v.fail(here + ("method",), f"'method' must be one of {', '.join(METHODS)}, got "
                                                 f"{got(table['method'])}")
            fields["method"] = method
        if "body" in table:
            fields["body"] = _body(v, table["body"], here + ("body",))
        if "content_type" in table:
            content_type = v.string(table["content_type"], here + ("content_type",))
            if not content_type.isprintable():
                raise v.fail(here + ("content_type",), "'content_type' must be printable text")
            fields["content_type"] = content_type
        for key, low, high in (("requests", 1, 1_000_000), ("warmup", 0, 1_000_000),
                               ("concurrency", 1, MAX_CONCURRENCY)):
            if key in table:
                fields[key] = v.integer(table[key], here + (key,), minimum=low, maximum=high)
        for key in ("timeout", "max_time"):
            if key in table:
                fields[key] = v.unit(parse_duration, table[key], here + (key,), positive=True)
        if "budget" in table:
            fields["budget"] = _budget(v, table["budget"], here + ("budget",))
        specs.append(PathSpec(**fields))
    return tuple(specs)


def _budget(v: Validator, raw: Any, path: tuple[Any, ...]) -> dict[str, float]:

    table = v.table(raw, path)
    v.check_keys(table, PATH_BUDGETS, path)
    budget: dict[str, float] = {}
    for key, value in table.items():
        if key == "ops_per_cpu_s":
            budget[key] = v.number(value, path + (key,))
        else:
            budget[key] = v.unit(parse_duration, value, path + (key,), positive=True)
    return budget


def parse_telemetry(v: Validator, raw: Any, path: tuple[Any, ...], target: str, ready: ReadySpec) -> TelemetrySpec:
    table = v.table(raw, path)
    v.check_keys(table, _TELEMETRY_KEYS, path)
    events = False
    if "events" in table:
        if not isinstance(table["events"], bool):
            raise v.fail(path + ("events",), "'telemetry.events' must be true or false")
        events = table["events"]
    if "metrics" in table and origin_of(ready) is None:
        raise v.fail(path + ("metrics",), f"target '{target}' is ready by {ready.kind}; metrics are scraped from a "
                                          "running server: ready = { http = ... } or { port = ... }")
    if events and ready.kind == "stdout":
        # Its output goes to the ready pattern's reader, not to the pipe the events are read from.
        raise v.fail(path + ("events",), f"target '{target}' is ready by stdout; events are read from a target "
                                         "ready by exit, port or http")
    metrics = _url(v, table["metrics"], path + ("metrics",), "/metrics") if "metrics" in table else None
    justification = ""
    if "justification" in table:
        justification = v.string(table["justification"], path + ("justification",), empty_ok=True)
    return TelemetrySpec(events=events, metrics=metrics, justification=justification)


def budget_lines(v: Validator, raw: Any, path: tuple[Any, ...], target: str,
                 paths: tuple[PathSpec, ...]) -> dict[tuple[str, str], int]:
    """(target, "latency_p95@sum") → the line of that budget, for the report's file:line."""
    lines: dict[tuple[str, str], int] = {}
    for i, spec in enumerate(paths):
        line = v.index.line_of(v.prefix + path + (i,))
        if line:
            lines[(target, f"errors@{spec.name}")] = line
        for metric in spec.budget:
            line = v.index.line_of(v.prefix + path + (i, "budget", metric))
            if line:
                lines[(target, f"{metric}@{spec.name}")] = line
    return lines
