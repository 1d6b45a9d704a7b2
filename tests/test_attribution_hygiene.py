"""`--attribute` costs nothing when not asked for: a headless run of a Python target imports no
attribution code (no py-spy wrapper, no importtime parser); asked for, it does."""

from __future__ import annotations

from pathlib import Path

from attribution_support import profile
from test_import_hygiene import imported_modules, run_importtime

ATTRIBUTION = "lightprof.measure.attribution"


def attribution_modules(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m == ATTRIBUTION or m.startswith(ATTRIBUTION + ".")
                  or m == "lightprof.report.attribution")


def test_headless_without_attribute_imports_no_attribution_code(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text("import json\n", encoding="utf-8")
    profile(tmp_path, ["{python}", "prog.py"], budget='cold_start_p95 = "30s"')

    proc = run_importtime(tmp_path, "--headless", "--json", "r.json", "--markdown", "r.md")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    modules = imported_modules(proc.stderr)
    assert "lightprof.session" in modules
    assert attribution_modules(modules) == []


def test_headless_with_attribute_imports_it(tmp_path: Path) -> None:
    """The check above can fail: the same run with --attribute loads the attribution package."""
    (tmp_path / "prog.py").write_text("import json\n", encoding="utf-8")
    profile(tmp_path, ["{python}", "prog.py"])

    proc = run_importtime(tmp_path, "--headless", "--attribute")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    modules = attribution_modules(imported_modules(proc.stderr))
    assert f"{ATTRIBUTION}.pyspy" in modules and f"{ATTRIBUTION}.importtime" in modules
