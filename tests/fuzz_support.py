"""Hostile inputs for the fuzz suite: seeded mutations of valid profiles, reports, baselines,
kernel.toml files and image manifests, and the checks every outcome must pass.

A case is one mutation of a valid document: a value of the wrong type, a key removed or added, a
huge, negative, zero, NaN or infinite number, a huge string, NUL and control characters, deep
nesting, duplicate names, or, on the file's bytes, truncation, emptiness, garbage and bytes that are
not UTF-8. Each case remembers the key it touched, so the message it gets can be checked for naming
it. Generation is seeded (`SEED`, or LIGHTPROF_FUZZ_SEED): the same seed gives the same cases.
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

SEED = int(os.environ.get("LIGHTPROF_FUZZ_SEED", "12"))
REPO = Path(__file__).resolve().parent.parent
DEEP = 500

Tree = Any
KeyPath = tuple[Any, ...]

TREE_MUTATIONS = ("wrong-type", "missing-key", "unknown-key", "number", "huge-string", "control-chars",
                  "deep-nesting", "duplicate-names")
BYTE_MUTATIONS = ("truncated", "empty", "garbage", "not-utf8", "byte-flip")
MUTATIONS = TREE_MUTATIONS + BYTE_MUTATIONS

HOSTILE_NUMBERS: tuple[Any, ...] = (0, -1, -(2**63), 2**63 - 1, 0.0, -0.0, 1e308, -1e308, 5e-324, math.nan,
                                    math.inf, -math.inf, 0.5, 10**6)
HOSTILE_QUANTITIES = ("1e400MiB", "-5ms", "0s", "0B", "nan%", "inf s", "1e308s", "99999999999999999999B",
                      "1e-400s", "1e400%", "-1%", "5KB", "10 minutes", "", " ", "1e18GiB", "86401s", "1001%",
                      "NaNMiB", "+inf ms", "0x10B")
CONTROL = ("\x00", "\x1b[31m", "\n", "\r\n", "\x7f", "\u202e", "\x07", "\t", "\x1b]0;title\x07", "\ufeff")
UNKNOWN_KEYS = ("bogus", "", "a.b", "ünï", "\x00k", "k" * 300, "Name", "name ", "[x]", "\n")


@dataclass(frozen=True)
class Case:
    """One hostile input: what kind of file, which mutation, which key (if any), the bytes."""

    kind: str
    mutation: str
    index: int
    key: KeyPath | None
    data: bytes
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.mutation}-{self.index}"

    def describe(self) -> str:
        where = "" if self.key is None else f" at {format_key(self.key)}"
        return f"{self.id} (seed {SEED}){where}{': ' + self.note if self.note else ''}"


def format_key(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# ------------------------------------------------------------------ tree editing


def node_paths(tree: Tree, prefix: KeyPath = ()) -> list[KeyPath]:
    """Every key path below `tree` (containers and leaves), depth first."""
    out: list[KeyPath] = []
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
    for key, value in items:
        path = prefix + (key,)
        out.append(path)
        out.extend(node_paths(value, path))
    return out


def table_paths(tree: Tree) -> list[KeyPath]:
    """Every table (dict), the root included."""
    return [p for p in [(), *node_paths(tree)] if isinstance(get(tree, p), dict)]


def get(tree: Tree, path: KeyPath) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def put(tree: Tree, path: KeyPath, value: Any) -> None:
    get(tree, path[:-1])[path[-1]] = value


def remove(tree: Tree, path: KeyPath) -> None:
    parent = get(tree, path[:-1])
    if isinstance(parent, list):
        parent.pop(path[-1])
    else:
        del parent[path[-1]]


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _other_type(rng: random.Random, value: Any, *, json_types: bool) -> Any:
    import datetime

    samples: list[Any] = [True, 7, -3.5, "text", [], [1, "two"], {}, {"k": 1}, [{"a": 1}], [[1]]]
    # TOML has dates and no null; JSON has null and no dates.
    samples += [None, None] if json_types else [datetime.datetime(2026, 1, 1, 12, 0), datetime.date(2026, 1, 1)]
    choices = [s for s in samples if _kind_of(s) != _kind_of(value)]
    return copy.deepcopy(rng.choice(choices))


class TreeMutator:
    """Applies one named mutation to a copy of a valid tree; returns (tree, key path, note).

    `names` lists the key paths of subject names (for duplicate-names); `json_types` says the tree
    is written as JSON (null, no dates) rather than TOML (dates, no null).
    """

    def __init__(self, base: Tree, *, names: list[KeyPath], json_types: bool) -> None:
        self.base = base
        self.names = names
        self.json_types = json_types
        self.paths = node_paths(base)
        self.numeric = [p for p in self.paths if _kind_of(get(base, p)) == "number"]
        self.strings = [p for p in self.paths if isinstance(get(base, p), str)]
        self.quantities = [p for p in self.strings if any(ch.isdigit() for ch in get(base, p))]
        self.deletable = [p for p in self.paths if not isinstance(p[-1], int) or len(get(base, p[:-1])) > 1]

    def mutate(self, mutation: str, rng: random.Random) -> tuple[Tree, KeyPath | None, str]:
        tree = copy.deepcopy(self.base)
        if mutation == "wrong-type":
            path = rng.choice(self.paths)
            value = _other_type(rng, get(tree, path), json_types=self.json_types)
            put(tree, path, value)
            return tree, path, f"= {_short(value)}"
        if mutation == "missing-key":
            path = rng.choice(self.deletable)
            remove(tree, path)
            return tree, path, "removed"
        if mutation == "unknown-key":
            table = rng.choice(table_paths(tree))
            key = rng.choice(UNKNOWN_KEYS)
            get(tree, table)[key] = rng.choice([1, "x", {"a": 1}, [1]])
            return tree, table + (key,), "added"
        if mutation == "number":
            if self.quantities and rng.random() < 0.5:
                path = rng.choice(self.quantities)
                value = rng.choice(HOSTILE_QUANTITIES)
            else:
                path = rng.choice(self.numeric or self.paths)
                value = rng.choice(HOSTILE_NUMBERS)
            put(tree, path, value)
            return tree, path, f"= {_short(value)}"
        if mutation == "huge-string":
            path = rng.choice(self.strings)
            value = rng.choice(["a", "9", "é", "{", "%"]) * rng.choice([10_000, 200_000])
            put(tree, path, value)
            return tree, path, f"= {len(value)} characters"
        if mutation == "control-chars":
            path = rng.choice(self.strings)
            text = get(tree, path)
            at = rng.randrange(len(text) + 1)
            char = rng.choice(CONTROL)
            put(tree, path, text[:at] + char + text[at:])
            return tree, path, f"{char!r} inserted"
        if mutation == "deep-nesting":
            path = rng.choice(self.paths)
            put(tree, path, DEEP_MARK)
            return tree, path, f"{DEEP}-deep nesting"
        if mutation == "duplicate-names":
            first, second = rng.sample(self.names, 2)
            put(tree, second, get(tree, first))
            return tree, second, f"= the name at {format_key(first)}"
        raise ValueError(mutation)


DEEP_MARK = "\x01deep\x01"


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:40] + "…"


def mutate_bytes(data: bytes, mutation: str, rng: random.Random) -> tuple[bytes, str]:
    if mutation == "truncated":
        at = rng.randrange(1, max(2, len(data)))
        return data[:at], f"cut at byte {at}"
    if mutation == "empty":
        return b"", "empty file"
    if mutation == "garbage":
        return rng.randbytes(rng.choice([1, 100, 5000])), "random bytes"
    if mutation == "not-utf8":
        at = rng.randrange(len(data) + 1)
        bad = rng.choice([b"\xff", b"\xfe\xfe", b"\xc3", b"\xed\xa0\x80", b"\x80"])
        return data[:at] + bad + data[at:], f"{bad!r} at byte {at}"
    if mutation == "byte-flip":
        at = rng.randrange(len(data))
        flipped = bytes([data[at] ^ (1 << rng.randrange(8))])
        return data[:at] + flipped + data[at + 1:], f"bit flipped at byte {at}"
    raise ValueError(mutation)


# ------------------------------------------------------------------ serialising


def toml_bytes(tree: Tree) -> bytes:
    text = tomli_w.dumps(tree)
    return text.replace('"\\u0001deep\\u0001"', "[" * DEEP + "]" * DEEP).encode()


def json_bytes(tree: Tree) -> bytes:
    text = json.dumps(tree, ensure_ascii=False)
    return text.replace('"\\u0001deep\\u0001"', '{"a": ' * DEEP + "1" + "}" * DEEP).encode()


def generate(kind: str, base: Tree, serialise: Callable[[Tree], bytes], *, names: list[KeyPath],
             per_mutation: dict[str, int]) -> list[Case]:
    """`per_mutation[m]` cases of each mutation m of `base`, seeded by kind, mutation and index."""
    mutator = TreeMutator(base, names=names, json_types=serialise is json_bytes)
    valid = serialise(base)
    cases: list[Case] = []
    for mutation, count in per_mutation.items():
        for i in range(count):
            rng = random.Random(f"{SEED}-{kind}-{mutation}-{i}")
            if mutation in BYTE_MUTATIONS:
                data, note = mutate_bytes(valid, mutation, rng)
                cases.append(Case(kind, mutation, i, None, data, note))
            else:
                tree, key, note = mutator.mutate(mutation, rng)
                cases.append(Case(kind, mutation, i, key, serialise(tree), note))
    return cases


# ------------------------------------------------------------------ checking outcomes


def key_words(key: KeyPath | None) -> list[str]:
    """Ways a message may name `key`: its last two names, as written or escaped and cut."""
    if key is None:
        return []
    names = [str(part) for part in key if not isinstance(part, int)][-2:]
    words: list[str] = []
    for name in names:
        words += [name, repr(name)[1:-1][:60]]
    return [w for w in words if w]


def check_sentence(message: str, file_words: list[str], case: Case, *, name_key: bool = True) -> str | None:
    """None if `message` is one sentence naming the file (and the key); else what is wrong."""
    if "\n" in message.strip() or "\r" in message:
        return f"more than one line: {message[:300]!r}"
    if len(message) > 600:
        return f"not one sentence: {len(message)} characters: {message[:200]!r}"
    if not any(word in message for word in file_words):
        return f"does not name the file ({file_words[0]}): {message[:300]!r}"
    words = key_words(case.key)
    if name_key and words and not any(word in message for word in words):
        return f"does not name the key {format_key(case.key or ())}: {message[:300]!r}"
    return None


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every item in a dataclass / dict / list tree, containers included; a walk
    with its own stack, so that a tree nested deeper than Python's recursion limit is walked too."""
    import dataclasses

    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        yield where, item
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend((f"{where}.{f.name}", getattr(item, f.name)) for f in dataclasses.fields(item))
        elif isinstance(item, dict):
            stack.extend((f"{where}.{k}", v) for k, v in item.items())
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(item))


def non_finite_numbers(value: Any, path: str = "") -> Iterator[str]:
    """Paths of floats that are NaN or infinite anywhere in a dataclass / dict / list tree."""
    return (where for where, item in leaves(value, path) if isinstance(item, float) and not math.isfinite(item))


def summarise(failures: list[tuple[Case, str]], limit: int = 25) -> str:
    lines = [f"{len(failures)} hostile input(s) mishandled:"]
    lines += [f"  {case.describe()} -> {what}" for case, what in failures[:limit]]
    if len(failures) > limit:
        lines.append(f"  ... and {len(failures) - limit} more")
    return "\n".join(lines)


def assert_handled(cases: Sequence[Case], check: Callable[[Case], str | None], *, threads: int = 1) -> None:
    """Check every case (on `threads` threads: runs of the real command wait on a subprocess) and
    fail with a summary of each one mishandled."""
    if threads > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            wrongs = list(pool.map(check, cases))
    else:
        wrongs = [check(case) for case in cases]
    failures = [(case, wrong) for case, wrong in zip(cases, wrongs, strict=True) if wrong]
    assert not failures, summarise(failures)


# ------------------------------------------------------------------ the real command


@dataclass(frozen=True)
class CliOutcome:
    code: int
    stdout: str
    stderr: str


def run_cli(args: list[str], cwd: Path, timeout: float = 120) -> CliOutcome:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CI": "true"}
    env.pop("GITHUB_ACTIONS", None)
    proc = subprocess.run([sys.executable, "-m", "lightprof", *args], cwd=cwd, capture_output=True, text=True,
                          errors="backslashreplace", timeout=timeout, stdin=subprocess.DEVNULL, env=env)
    return CliOutcome(proc.returncode, proc.stdout, proc.stderr)


def check_cli(outcome: CliOutcome, file_words: list[str], case: Case, *, name_key: bool = True) -> str | None:
    """The real command's outcome: no traceback, a documented exit code, one sentence on exit 2."""
    if "Traceback" in outcome.stderr:
        return "traceback: " + outcome.stderr.strip().splitlines()[-1][:200]
    if outcome.code not in (0, 1, 2, 3):
        return f"exit {outcome.code}: {outcome.stderr.strip()[-200:]!r}"
    if outcome.code == 2:
        return check_sentence(outcome.stderr.strip().removeprefix("lightprof: "), file_words, case, name_key=name_key)
    return None


def every_nth(cases: list[Case], count: int) -> list[Case]:
    """`count` cases spread evenly over `cases` (every mutation class gets its share)."""
    if count >= len(cases):
        return list(cases)
    step = len(cases) / count
    return [cases[int(i * step)] for i in range(count)]
