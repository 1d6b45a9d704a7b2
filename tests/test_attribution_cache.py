"""cache = "cold": every run gets its own empty bytecode cache folder, and none is left behind."""

from __future__ import annotations

import json
from pathlib import Path

from attribution_support import output, profile, run_headless

# Each start notes the bytecode cache folder it was given and what that folder held at its start.
WITNESS = """
import json
import os
import sys

prefix = sys.pycache_prefix
held = sorted(os.listdir(prefix)) if prefix and os.path.isdir(prefix) else None
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "starts.log"), "a") as log:
    log.write(json.dumps({"prefix": prefix, "held": held,
                          "node": os.environ.get("NODE_COMPILE_CACHE")}) + "\\n")
"""


def starts(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / "starts.log").read_text().splitlines()]


def test_cold_gives_every_run_a_fresh_empty_cache_folder_and_removes_it(tmp_path: Path) -> None:
    (tmp_path / "witness.py").write_text(WITNESS, encoding="utf-8")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    profile(tmp_path, ["{python}", "witness.py"], extra='cache = "cold"')

    proc = run_headless(tmp_path, "--attribute", "--json", "r.json", env={"TMPDIR": str(temporary)})

    assert proc.returncode == 0, output(proc)
    seen = starts(tmp_path)
    assert len(seen) >= 3 + 1 + 5 + 1  # timed runs, memory run, import starts, the sampled start
    prefixes = [s["prefix"] for s in seen]
    assert all(isinstance(p, str) and p.startswith(str(temporary)) for p in prefixes)
    assert len(set(prefixes)) == len(prefixes)  # a new folder for every start
    assert all(s["held"] == [] for s in seen)  # empty when the start began
    assert all(isinstance(s["node"], str) and s["node"].startswith(str(temporary)) for s in seen)
    assert list(temporary.iterdir()) == []  # every folder removed
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["targets"][0]["cache"] == data["targets"][0]["attribution"]["cache"] == "cold"
    assert "(exit, cache cold)" in proc.stdout


def test_warm_leaves_the_caches_alone(tmp_path: Path) -> None:
    (tmp_path / "witness.py").write_text(WITNESS, encoding="utf-8")
    profile(tmp_path, ["{python}", "witness.py"])

    proc = run_headless(tmp_path, env={"PYTHONPYCACHEPREFIX": "", "NODE_COMPILE_CACHE": ""})

    assert proc.returncode == 0, output(proc)
    assert {(s["prefix"], s["node"]) for s in starts(tmp_path)} == {(None, "")}


def test_a_cache_state_that_is_neither_is_refused_with_its_line(tmp_path: Path) -> None:
    profile(tmp_path, ["true"], extra='cache = "hot"')

    proc = run_headless(tmp_path)

    assert proc.returncode == 2, output(proc)
    assert "lightprof.toml:8" in proc.stderr and "'cache' must be \"warm\"" in proc.stderr


def test_forbid_imports_that_is_not_a_list_of_module_names_is_refused(tmp_path: Path) -> None:
    profile(tmp_path, ["true"], budget='forbid_imports = ["numpy", "not a module"]')

    proc = run_headless(tmp_path)

    assert proc.returncode == 2, output(proc)
    assert "forbid_imports" in proc.stderr and "module names" in proc.stderr


def test_the_session_attributes_one_target_cold_and_warm_for_the_tui(tmp_path: Path) -> None:
    from lightprof.profile.load import load_profile
    from lightprof.session import attribute_target

    (tmp_path / "witness.py").write_text(WITNESS, encoding="utf-8")
    spec = load_profile(profile(tmp_path, ["{python}", "witness.py"])).targets[0]

    warm = attribute_target(spec, cache="warm", sample=False)
    cold = attribute_target(spec, cache="cold", sample=False)

    assert (warm.cache, cold.cache) == ("warm", "cold")
    assert warm.runs == cold.runs == 5 and warm.import_time_s is not None and cold.import_time_s is not None
    seen = starts(tmp_path)
    assert [s["prefix"] is None for s in seen] == [True] * 5 + [False] * 5
