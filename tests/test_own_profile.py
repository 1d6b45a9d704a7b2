"""lightprof practises what it checks: its own budgets (profiles/lightprof.toml) hold, and a heavy
import on the CLI path breaks them.

The profile budgets ratios against `python -c pass` run in the same session, so these tests hold
on a slow machine too; the heavy import (numpy, tens of ms) is far beyond any noise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROFILES = REPO / "profiles"


@pytest.fixture(scope="module")
def own_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """profiles/ beside a build/wheel/ holding the wheel built from this checkout, as .ci/run lays them out."""
    root = tmp_path_factory.mktemp("own")
    shutil.copytree(PROFILES, root / "profiles")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
         str(root / "build" / "wheel"), str(REPO)],
        capture_output=True, text=True, timeout=300,
    )
    if built.returncode != 0 and "No module named 'hatchling'" in built.stderr:
        pytest.skip("hatchling is not installed (the [test] extra installs it)")
    assert built.returncode == 0, built.stderr
    return root


def run_own_profile(root: Path, report: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full_env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        [sys.executable, "-m", "lightprof", "--headless", "-p", "lightprof.toml", "--json", str(report)],
        capture_output=True, text=True, cwd=root / "profiles", timeout=600, env=full_env,
    )


def test_lightprofs_own_profile_holds(own_tree: Path, tmp_path: Path) -> None:
    proc = run_own_profile(own_tree, tmp_path / "own.json")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((tmp_path / "own.json").read_text())
    assert not [row for row in data["budgets"] if row["fails_build"]]
    assert {row["verdict"] for row in data["budgets"]} <= {"pass", "inconclusive"}
    names = {t["name"]: t for t in data["targets"]}
    assert names["lightprof --version"]["comparison"]["against"] == "python -c pass"
    assert {b["subject"] for b in data["budgets"]} >= {"lightprof --version", "lightprof --headless", "wheel"}


def test_a_heavy_import_on_the_cli_path_fails_the_own_budget(own_tree: Path, tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    heavy = tmp_path / "heavy"
    shutil.copytree(REPO / "lightprof", heavy / "lightprof", ignore=shutil.ignore_patterns("__pycache__"))
    cli = heavy / "lightprof" / "cli.py"
    cli.write_text(cli.read_text().replace("import os\nimport sys\n", "import os\nimport sys\n\nimport numpy\n", 1))

    proc = run_own_profile(own_tree, tmp_path / "own.json", env={"PYTHONPATH": str(heavy)})

    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads((tmp_path / "own.json").read_text())
    verdicts = {(row["subject"], row["metric"]): row["verdict"] for row in data["budgets"]}
    assert verdicts[("lightprof --version", "max_slowdown")] == "fail"


def test_shipped_example_profiles_are_valid() -> None:
    from lightprof.profile.load import embedded_default, load_profile

    for path in sorted(PROFILES.rglob("*.toml")):
        assert load_profile(path).name
    assert [t.name for t in embedded_default().targets][0] == "true"
