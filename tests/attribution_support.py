"""Programs and profiles for the attribution tests: a real module that spends ~80 ms at import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# A program with one known hot function: py-spy must rank `crunch` first.
HOT = """
def crunch():
    total = 0
    for i in range(4_000_000):
        total += i * i
    return total


crunch()
"""

PY = sys.executable
TIMEOUT_S = 240

# Spins on the clock, so it costs ~80 ms on a loaded machine too (never less).
HEAVY = """\
import time


def _build_table():
    started = time.perf_counter()
    n = 0
    while time.perf_counter() - started < 0.08:
        n += 1
    return n


TABLE = _build_table()


def lookup():
    # Long enough that py-spy sees the call even on a loaded machine (50 ms once went unseen).
    started = time.perf_counter()
    while time.perf_counter() - started < 0.2:
        pass
    return TABLE
"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def program(folder: Path, *, calls_heavy: bool, extra: str = "") -> Path:
    """prog.py: imports heavy and a few stdlib modules; calls heavy.lookup() before it ends or not."""
    write(folder / "heavy.py", HEAVY)
    body = "import csv\nimport decimal\nimport json\n\nimport heavy\n\n" + extra
    if calls_heavy:
        body += "heavy.lookup()\n"
    body += 'print(json.dumps({"ok": True}))\n'
    (folder / "prog.py").write_text(body, encoding="utf-8")
    return folder / "prog.py"


def profile(folder: Path, command: Sequence[str], *, budget: str = "", extra: str = "",
            name: str = "prog") -> Path:
    lines = ["version = 1", 'name = "attr"', "[[target]]", f'name = "{name}"',
             f"command = {json.dumps(list(command))}", "runs = 3", "warmup = 0", extra]
    if budget:
        lines += ["[target.budget]", budget]
    path = folder / "lightprof.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_headless(cwd: Path, *args: str, prefix: Sequence[str] = (),
                 env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    for key in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "CI"):
        full_env.pop(key, None)
    return subprocess.run([*prefix, PY, "-m", "lightprof", "--headless", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=TIMEOUT_S)


def attribution_of(report: Path, target: str = "prog") -> dict[str, Any]:
    data = json.loads(report.read_text(encoding="utf-8"))
    found = next(t for t in data["targets"] if t["name"] == target)
    assert found["attribution"] is not None, found
    return found["attribution"]


def budget_rows(report: Path) -> dict[str, dict[str, Any]]:
    data = json.loads(report.read_text(encoding="utf-8"))
    return {row["metric"]: row for row in data["budgets"]}


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + "\n" + proc.stderr
