"""lightprof practises what it checks: its own budgets (profiles/lightprof.toml) hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROFILES = Path(__file__).resolve().parent.parent / "profiles"


def test_lightprofs_own_profile_holds(tmp_path: Path) -> None:
    report = tmp_path / "own.json"
    proc = subprocess.run(
        [
            sys.executable, "-m", "lightprof", "--headless",
            "-p", str(PROFILES / "lightprof.toml"), "--json", str(report),
        ],
        capture_output=True, text=True, cwd=PROFILES, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(report.read_text())
    assert {b["verdict"] for b in data["budgets"]} == {"pass"}
    assert {t["name"] for t in data["targets"]} >= {"lightprof --version", "lightprof --headless"}


def test_shipped_example_profiles_are_valid() -> None:
    from lightprof.profile import embedded_default, load_profile

    for path in sorted(PROFILES.rglob("*.toml")):
        assert load_profile(path).name
    assert [t.name for t in embedded_default().targets][0] == "true"
