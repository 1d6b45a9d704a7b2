"""Imports: a real program whose own module spends ~80 ms at import, under -X importtime.

Each test runs lightprof headless on it (real processes, real py-spy) and reads the JSON report.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from attribution_support import (
    PY,
    attribution_of,
    budget_rows,
    output,
    profile,
    program,
    run_headless,
)

from lightprof.measure.attribution import importtime


def test_real_importtime_output_is_a_tree_with_the_interpreter_start_up_apart() -> None:
    proc = subprocess.run([PY, "-X", "importtime", "-c", "import json"], capture_output=True, text=True, check=True)

    rows = {row.module: row for row in importtime.parse(proc.stderr)}

    assert rows["json"].depth == 0 and not rows["json"].startup
    assert rows["json.decoder"].parent == "json" and rows["json.decoder"].depth == 1
    assert rows["encodings"].startup and rows["site"].startup
    assert not any(row.startup for row in rows.values() if row.parent == "json")


def test_the_slow_module_ranks_first_and_is_a_lazy_candidate_when_unused_before_ready(tmp_path: Path) -> None:
    program(tmp_path, calls_heavy=False)
    profile(tmp_path, ["{python}", "prog.py"])

    proc = run_headless(tmp_path, "--attribute", "--json", "r.json")

    assert proc.returncode == 0, output(proc)
    attribution = attribution_of(tmp_path / "r.json")
    own = [row for row in attribution["imports"] if not row["startup"]]
    assert own[0]["module"] == "heavy"
    assert own[0]["self_s"] >= 0.07
    assert {"csv", "decimal", "json"} <= {row["module"] for row in own}
    assert attribution["runs"] == 5
    assert attribution["import_time_s"] >= own[0]["cumulative_s"]
    assert "heavy" in attribution["lazy_candidates"]
    saved = {c["module"]: c["saves_s"] for c in attribution["lazy"]}
    assert saved["heavy"] >= 0.07
    assert "lazy-load candidates: heavy" in proc.stdout


def test_a_module_the_program_calls_before_ready_is_not_a_lazy_candidate(tmp_path: Path) -> None:
    program(tmp_path, calls_heavy=True)
    profile(tmp_path, ["{python}", "prog.py"])

    proc = run_headless(tmp_path, "--attribute", "--json", "r.json")

    assert proc.returncode == 0, output(proc)
    attribution = attribution_of(tmp_path / "r.json")
    assert attribution["imports"][0]["module"] == "heavy"
    assert "heavy" not in attribution["lazy_candidates"]
    assert attribution["sampler_error"] is None


def test_forbid_imports_fails_when_the_module_is_imported(tmp_path: Path) -> None:
    program(tmp_path, calls_heavy=False)
    profile(tmp_path, ["{python}", "prog.py"], budget='forbid_imports = ["heavy", "numpy"]')

    proc = run_headless(tmp_path, "--json", "r.json")

    assert proc.returncode == 1, output(proc)
    row = budget_rows(tmp_path / "r.json")["forbid_imports"]
    assert row["verdict"] == "fail" and row["measured"] == 1
    assert "imported: heavy" in row["note"]


def test_forbid_imports_of_a_module_not_imported_passes(tmp_path: Path) -> None:
    program(tmp_path, calls_heavy=False)
    profile(tmp_path, ["{python}", "prog.py"], budget='forbid_imports = ["numpy", "xml.dom"]')

    proc = run_headless(tmp_path, "--json", "r.json")

    assert proc.returncode == 0, output(proc)
    assert budget_rows(tmp_path / "r.json")["forbid_imports"]["verdict"] == "pass"


def test_import_time_budget_passes_above_and_fails_below_the_measured_figure(tmp_path: Path) -> None:
    program(tmp_path, calls_heavy=False)
    profile(tmp_path, ["{python}", "prog.py"], budget='import_time = "10s"')
    first = run_headless(tmp_path, "--json", "r.json")
    assert first.returncode == 0, output(first)
    measured = budget_rows(tmp_path / "r.json")["import_time"]["measured"]
    assert measured >= 0.07  # heavy alone spins 80 ms

    profile(tmp_path, ["{python}", "prog.py"], budget=f'import_time = "{measured * 3 * 1000:.0f}ms"')
    above = run_headless(tmp_path, "--json", "above.json")
    profile(tmp_path, ["{python}", "prog.py"], budget=f'import_time = "{measured / 3 * 1000:.0f}ms"')
    below = run_headless(tmp_path, "--json", "below.json")

    assert above.returncode == 0, output(above)
    assert budget_rows(tmp_path / "above.json")["import_time"]["verdict"] == "pass"
    assert below.returncode == 1, output(below)
    assert budget_rows(tmp_path / "below.json")["import_time"]["verdict"] == "fail"


def test_import_budgets_on_a_target_that_is_not_python_are_unmeasured(tmp_path: Path) -> None:
    profile(tmp_path, ["true"], budget='import_time = "1s"')

    proc = run_headless(tmp_path, "--json", "r.json")

    assert proc.returncode == 3, output(proc)
    row = budget_rows(tmp_path / "r.json")["import_time"]
    assert row["verdict"] == "unmeasured" and "Python target" in row["note"]


def test_import_time_against_a_stored_baseline_holds_unchanged_and_regresses_when_tripled(tmp_path: Path) -> None:
    program(tmp_path, calls_heavy=False)
    # 50%: the stdlib imports beside heavy's 80 ms spin are CPU work, which a loaded machine slows
    # by more than 10% between two sessions; tripling the spin is +160 ms, far beyond it.
    profile(tmp_path, ["{python}", "prog.py"], budget='import_time = "10s"', extra='tolerance = "50%"')
    recorded = run_headless(tmp_path, "--update-baseline")
    assert recorded.returncode == 0, output(recorded)

    unchanged = run_headless(tmp_path, "--json", "same.json")
    heavy = tmp_path / "heavy.py"
    heavy.write_text(heavy.read_text().replace("< 0.08", "< 0.24"), encoding="utf-8")
    slower = run_headless(tmp_path, "--json", "slower.json")

    assert unchanged.returncode == 0, output(unchanged)
    assert budget_rows(tmp_path / "same.json")["import_time"]["verdict"] == "pass"
    assert slower.returncode == 1, output(slower)
    row = budget_rows(tmp_path / "slower.json")["import_time"]
    assert row["verdict"] == "regression" and row["measured_ci"][0] > row["baseline"] * 1.1


def test_a_script_started_by_its_shebang_is_attributed_too(tmp_path: Path) -> None:
    """PYTHONPROFILEIMPORTTIME reaches an interpreter that lightprof does not start itself."""
    program(tmp_path, calls_heavy=False)
    tool = tmp_path / "tool"
    tool.write_text(f"#!{PY}\n" + (tmp_path / "prog.py").read_text(), encoding="utf-8")
    tool.chmod(0o755)
    profile(tmp_path, ["./tool"], budget='forbid_imports = ["heavy"]')

    proc = run_headless(tmp_path, "--json", "r.json")

    assert proc.returncode == 1, output(proc)
    assert budget_rows(tmp_path / "r.json")["forbid_imports"]["note"] == "imported: heavy"


def test_a_server_ready_on_stdout_counts_only_the_imports_before_its_line(tmp_path: Path) -> None:
    program(tmp_path, calls_heavy=False)
    (tmp_path / "server.py").write_text(
        "import sys\nimport time\n\nimport heavy\n\nprint('time to serve', flush=True)\n"
        "import decimal\n\ntime.sleep(60)\n", encoding="utf-8")
    # "import time" would match the interpreter's own import lines if they were taken for output.
    profile(tmp_path, ["{python}", "server.py"], extra='ready = { stdout = "import time|to serve" }',
            budget='forbid_imports = ["decimal"]')

    proc = run_headless(tmp_path, "--json", "r.json")

    assert proc.returncode == 0, output(proc)
    modules = {row["module"] for row in attribution_of(tmp_path / "r.json", "prog")["imports"]}
    assert "heavy" in modules and "decimal" not in modules
    assert budget_rows(tmp_path / "r.json")["forbid_imports"]["verdict"] == "pass"
