"""Hot functions of a Node start: `node --cpu-prof`, parsed into functions and the modules they come from.

Node writes the .cpuprofile when it exits normally (process.exit or an empty event loop), not when a
signal kills it. `--cpu-prof` is refused in NODE_OPTIONS, so it is put on node's own command line,
with a preloaded script that turns SIGINT into process.exit() while the program has no SIGINT
handler of its own; a server is then stopped with SIGINT at ready and writes its profile.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from lightprof.model.attribution import FunctionRow, ModuleShare

EXIT_ON_SIGINT = """\
process.on('SIGINT', () => { if (process.listenerCount('SIGINT') === 1) process.exit(130); });
"""
_META = ("(root)", "(program)", "(idle)", "(garbage collector)")
MAX_FILE_BYTES = 256 * 1024 * 1024


def is_node(argv: list[str]) -> bool:
    return bool(argv) and os.path.basename(argv[0]) in ("node", "nodejs")


def profiled_argv(argv: list[str], folder: Path) -> list[str]:
    """node's argv with --cpu-prof writing into `folder` and the SIGINT preload (written there too)."""
    preload = folder / "exit-on-sigint.cjs"
    preload.write_text(EXIT_ON_SIGINT, encoding="utf-8")
    return [argv[0], "--cpu-prof", f"--cpu-prof-dir={folder / 'profiles'}", "--require", str(preload), *argv[1:]]


def profiles_in(folder: Path) -> list[Path]:
    where = folder / "profiles"
    return sorted(where.glob("*.cpuprofile")) if where.is_dir() else []


def parse(path: Path) -> tuple[list[FunctionRow], list[ModuleShare], int]:
    """(functions by self share, modules by self share, samples) of one .cpuprofile; ValueError if it is not one."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MiB")
    data = json.loads(path.read_text(encoding="utf-8"))
    nodes = data.get("nodes") if isinstance(data, dict) else None
    samples = data.get("samples") if isinstance(data, dict) else None
    if not isinstance(nodes, list) or not isinstance(samples, list):
        raise ValueError(f"{path.name} has no nodes and samples: not a V8 CPU profile")
    by_id = {node["id"]: node for node in nodes if isinstance(node, dict) and "id" in node}
    parent: dict[int, int] = {}
    for node in by_id.values():
        for child in node.get("children") or ():
            parent[child] = node["id"]
    hits = Counter(sample for sample in samples if sample in by_id)
    counted = {i: n for i, n in hits.items() if _frame(by_id[i])[0] not in ("(idle)", "(program)")}
    total = sum(counted.values())
    if total == 0:
        return [], [], len(samples)
    own: Counter[tuple[str, str, int]] = Counter()
    anywhere: Counter[tuple[str, str, int]] = Counter()
    modules: Counter[str] = Counter()
    for node_id, count in counted.items():
        key = _frame(by_id[node_id])
        own[key] += count
        modules[key[1] or key[0]] += count
        on_stack = set()
        current: int | None = node_id
        while current is not None:
            on_stack.add(_frame(by_id[current]))
            current = parent.get(current)
        for frame in on_stack:
            anywhere[frame] += count
    functions = [
        FunctionRow(name or "(anonymous)", url, line + 1 if line >= 0 else None, own[(name, url, line)] / total,
                    share / total)
        for (name, url, line), share in anywhere.items()
        if name not in _META
    ]
    functions.sort(key=lambda row: (-row.self_share, -row.total_share, row.name))
    shares = [ModuleShare(module, count / total) for module, count in modules.most_common()]
    return functions, shares, total


def _frame(node: dict[str, Any]) -> tuple[str, str, int]:
    call = node.get("callFrame") or {}
    url = str(call.get("url") or "").removeprefix("file://")
    return str(call.get("functionName") or ""), url, int(call.get("lineNumber", -1))
