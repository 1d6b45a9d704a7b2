"""Where a key sits in a profile's source: tomllib gives lines for syntax errors only."""

from __future__ import annotations

import re
from typing import Any

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
