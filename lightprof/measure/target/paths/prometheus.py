"""A strict parser of the Prometheus text exposition format (0.0.4), for counters.

prometheus_client's own parser would be the well-kept choice, but importing it costs 43-66 ms and
146 modules here (`python -X importtime -c "import prometheus_client.parser"`, prometheus_client
0.26.0), more than lightprof's whole headless start. This parser reads what the format's
documentation specifies: `# HELP` and `# TYPE` lines (one TYPE per family, before its samples),
other comments, blank lines, samples `name{label="value",...} value [timestamp]` with the
escapes `\\\\`, `\\"` and `\\n` in label values, an optional trailing comma in the label set,
the values `NaN`, `+Inf`, `-Inf` and Go's float forms, and OpenMetrics' `# EOF`. Anything else is
an error that names the line. Only counters are returned: the samples of families typed
`counter` (named `NAME` or `NAME_total`) and untyped samples whose name ends in `_total`.
"""

from __future__ import annotations

import math
import re

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
_SPECIAL = {"NaN": math.nan, "+Inf": math.inf, "Inf": math.inf, "-Inf": -math.inf}
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class ExpositionError(ValueError):
    """The text is not in the exposition format; the message names the line."""


def parse_counters(text: str) -> dict[str, float]:
    """{"name" or 'name{a="b"}': value} for every counter sample in `text` (labels sorted)."""
    types: dict[str, str] = {}
    sampled: set[str] = set()
    counters: dict[str, float] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if line.startswith("#"):
            _comment(line, number, types, sampled)
            continue
        name, labels, value = _sample(line, number)
        family = _family(name, types)
        sampled.add(family)
        kind = types.get(family, "untyped")
        if (kind == "counter" and not name.endswith("_created")) or (kind == "untyped" and name.endswith("_total")):
            key = name + ("{" + ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items())) + "}"
                          if labels else "")
            if key in counters:
                raise ExpositionError(f"line {number}: the sample {key} appears twice")
            counters[key] = value
    return counters


def _family(name: str, types: dict[str, str]) -> str:
    for suffix in ("_total", "_created", "_bucket", "_count", "_sum"):
        if name.endswith(suffix) and name[: -len(suffix)] in types:
            return name[: -len(suffix)]
    return name


def _comment(line: str, number: int, types: dict[str, str], sampled: set[str]) -> None:
    parts = line[1:].strip().split(None, 2)
    if not parts or parts[0] not in ("HELP", "TYPE"):
        return  # a free comment (OpenMetrics' "# EOF" among them)
    if len(parts) < 2 or not _NAME.fullmatch(parts[1]):
        raise ExpositionError(f"line {number}: '# {parts[0]}' must name a metric, got {line[:80]!r}")
    if parts[0] == "HELP":
        return
    name = parts[1]
    kind = parts[2].strip() if len(parts) > 2 else ""
    if kind not in _TYPES:
        raise ExpositionError(f"line {number}: TYPE of {name} must be one of {', '.join(_TYPES)}, got {kind!r}")
    if name in types:
        raise ExpositionError(f"line {number}: a second TYPE line for {name}")
    if name in sampled:
        raise ExpositionError(f"line {number}: the TYPE line of {name} comes after its samples")
    types[name] = kind


def _sample(line: str, number: int) -> tuple[str, dict[str, str], float]:
    match = _NAME.match(line)
    if not match:
        raise ExpositionError(f"line {number}: expected a metric name at the start, got {line[:80]!r}")
    name = match.group()
    pos = match.end()
    labels: dict[str, str] = {}
    if pos < len(line) and line[pos] == "{":
        labels, pos = _labels(line, pos + 1, number)
    rest = line[pos:].split()
    if not line[pos:pos + 1].isspace() or not 1 <= len(rest) <= 2:
        raise ExpositionError(f"line {number}: expected '{name}' to be followed by a value and an optional "
                              f"timestamp, got {line[:80]!r}")
    value = _value(rest[0], number)
    if len(rest) == 2 and not re.fullmatch(r"-?\d+", rest[1]):
        raise ExpositionError(f"line {number}: the timestamp must be an integer (ms), got {rest[1][:40]!r}")
    return name, labels, value


def _labels(line: str, pos: int, number: int) -> tuple[dict[str, str], int]:
    labels: dict[str, str] = {}
    while True:
        while pos < len(line) and line[pos] in " \t":
            pos += 1
        if pos < len(line) and line[pos] == "}":
            return labels, pos + 1
        match = _LABEL.match(line, pos)
        if not match:
            raise ExpositionError(f"line {number}: expected a label name at column {pos + 1}")
        key = match.group()
        pos = match.end()
        if line[pos:pos + 2] != '="':
            raise ExpositionError(f"line {number}: expected =\"value\" after label {key}")
        value, pos = _quoted(line, pos + 2, number)
        if key in labels:
            raise ExpositionError(f"line {number}: label {key} appears twice")
        labels[key] = value
        while pos < len(line) and line[pos] in " \t":
            pos += 1
        if pos < len(line) and line[pos] == ",":
            pos += 1
        elif pos >= len(line) or line[pos] != "}":
            raise ExpositionError(f"line {number}: expected ',' or '}}' after label {key}")


def _quoted(line: str, pos: int, number: int) -> tuple[str, int]:
    out: list[str] = []
    while pos < len(line):
        char = line[pos]
        if char == '"':
            return "".join(out), pos + 1
        if char == "\\":
            escaped = line[pos + 1:pos + 2]
            if escaped not in ("\\", '"', "n"):
                raise ExpositionError(f"line {number}: unknown escape \\{escaped} in a label value")
            out.append("\n" if escaped == "n" else escaped)
            pos += 2
            continue
        out.append(char)
        pos += 1
    raise ExpositionError(f"line {number}: a label value is not closed with a quote")


def _value(text: str, number: int) -> float:
    if text in _SPECIAL:
        return _SPECIAL[text]
    if not _FLOAT.fullmatch(text):
        raise ExpositionError(f"line {number}: the value must be a number, NaN, +Inf or -Inf, got {text[:40]!r}")
    return float(text)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
