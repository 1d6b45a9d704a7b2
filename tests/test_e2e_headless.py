"""End to end: `python -m lightprof --headless` against real processes, servers and files.

Every test runs the CLI as a subprocess in its own tmp_path, with small run counts, and asserts
on behaviour (exit codes, report content, processes reaped), never on absolute speed.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import tomli_w
import tomllib

from tests.headless_support import (
    HTTP_SERVER,
    SERVE_FOREVER,
    MiB,
    budget_rows,
    free_port,
    line_of,
    load_report,
    only_target,
    output_of,
    port_is_free,
    processes_running,
    read_pids,
    run_lightprof,
    still_alive,
    target_profile,
    timed_runs,
    tree_of_three,
    write,
)

# Scripts the targets run. Each appends its pid to the file given as its last argument.

PORT_SERVER = """
import os, socket, sys, time
port, pidfile = int(sys.argv[1]), sys.argv[2]
with open(pidfile, "a") as f:
    f.write(f"{os.getpid()}\\n")
time.sleep(0.05)
""" + SERVE_FOREVER

STDOUT_SERVER = """
import os, sys, time
with open(sys.argv[1], "a") as f:
    f.write(f"{os.getpid()}\\n")
time.sleep(0.05)
print("server listening on 127.0.0.1", flush=True)
time.sleep(60)
"""

NEVER_READY = """
import os, sys, time
with open(sys.argv[1], "a") as f:
    f.write(f"{os.getpid()}\\n")
time.sleep(60)
"""

# A parent that starts three children, each holding ~40 MiB of touched memory, then says so.
FORKING_PARENT = """
import os, subprocess, sys, time
pidfile = sys.argv[1]
child = '''
import os, sys, time
buf = bytearray(40 * 2**20)
for i in range(0, len(buf), 4096):
    buf[i] = 1
with open(sys.argv[1], "a") as f:
    f.write(f"{os.getpid()}\\\\n")
time.sleep(60)
'''
with open(pidfile, "a") as f:
    f.write(f"{os.getpid()}\\n")
kids = [subprocess.Popen([sys.executable, "-c", child, pidfile]) for _ in range(3)]
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    written = open(pidfile).read().split()
    if all(str(kid.pid) in written for kid in kids):
        break
    time.sleep(0.01)
time.sleep(0.05)
print("listening", flush=True)
time.sleep(60)
"""

# A parent whose child calls os.setsid(): it leaves the target's session and process group.
ESCAPING_PARENT = """
import os, subprocess, sys, time
pidfile, childfile = sys.argv[1], sys.argv[2]
with open(pidfile, "a") as f:
    f.write(f"{os.getpid()}\\n")
child = '''
import os, sys, time
os.setsid()
with open(sys.argv[1], "a") as f:
    f.write(f"{os.getpid()} {os.getsid(0)}\\\\n")
time.sleep(60)
'''
kid = subprocess.Popen([sys.executable, "-c", child, childfile])
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    if os.path.exists(childfile) and str(kid.pid) in open(childfile).read().split():
        break
    time.sleep(0.01)
time.sleep(0.05)
print("listening", flush=True)
time.sleep(60)
"""


# --------------------------------------------------------------------------- exit targets


def test_exit_target_passes_and_json_report_has_schema_runs_and_cold_start(tmp_path: Path) -> None:
    profile = target_profile(tmp_path, ["true"], runs=4, warmup=1, budget='cold_start_p95 = "10s"\n')

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    report = load_report(tmp_path / "out.json")
    assert report["schema"] == 1
    assert report["exit_code"] == 0
    assert report["profile"]["name"] == "e2e"
    assert set(report["machine"]) >= {"cpu", "cores", "os", "python"}
    target = only_target(report)
    assert target["name"] == "t"
    assert target["ready"] == "exit"
    runs = target["runs"]
    assert runs[0]["warmup"] is True
    assert sum(r["warmup"] for r in runs) == 1
    assert len(timed_runs(target)) == 4
    for run in runs:
        for key in ("warmup", "ready_s", "wall_s", "user_s", "sys_s", "peak_rss_bytes", "exit_code", "error"):
            assert key in run, key
        assert run["exit_code"] == 0
        assert run["error"] is None
        assert run["ready_s"] > 0
        assert run["wall_s"] >= run["ready_s"]
        assert run["user_s"] >= 0 and run["sys_s"] >= 0
    cold = target["cold_start_s"]
    assert cold["n"] == 4
    assert cold["failed"] == 0
    assert 0 < cold["min"] <= cold["p50"] <= cold["p95"] <= cold["p99"] <= cold["max"]
    low, high = cold["p95_ci"]
    assert low <= high
    assert [row["verdict"] for row in report["budgets"]] == ["pass"]


def test_json_to_stdout_is_the_report_and_table_goes_to_stderr(tmp_path: Path) -> None:
    profile = target_profile(tmp_path, ["true"], budget='cold_start_p95 = "10s"\n')

    proc = run_lightprof(tmp_path, "--json", "-", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    report = json.loads(proc.stdout)
    assert report["schema"] == 1
    assert "cold_start_p95" in proc.stderr


# --------------------------------------------------------------------------- ready probes


def test_http_ready_server_is_timed_to_health_and_fully_stopped(tmp_path: Path) -> None:
    port = free_port()
    script = write(tmp_path / "http_server.py", HTTP_SERVER)
    pidfile = tmp_path / "pids"
    profile = target_profile(
        tmp_path, ["{python}", str(script), str(port), str(pidfile)],
        ready=f'{{ http = "http://127.0.0.1:{port}/health" }}', runs=3,
    )

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    target = only_target(load_report(tmp_path / "out.json"))
    assert target["ready"].startswith("http")
    assert len(timed_runs(target)) == 3
    for run in target["runs"]:
        assert run["error"] is None
        assert run["ready_s"] >= 0.2  # the server sleeps 0.2 s before it listens
    pids = read_pids(pidfile)
    assert len(pids) == len(target["runs"])
    assert still_alive(pids) == []
    assert processes_running(str(script)) == []
    assert port_is_free(port)


def test_port_ready_server_is_measured_and_stopped(tmp_path: Path) -> None:
    port = free_port()
    script = write(tmp_path / "port_server.py", PORT_SERVER)
    pidfile = tmp_path / "pids"
    profile = target_profile(
        tmp_path, ["{python}", str(script), str(port), str(pidfile)], ready=f"{{ port = {port} }}", runs=3,
    )

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    target = only_target(load_report(tmp_path / "out.json"))
    assert target["ready"].startswith("port")
    assert target["cold_start_s"]["n"] == 3
    assert all(run["ready_s"] >= 0.05 for run in target["runs"])
    assert still_alive(read_pids(pidfile)) == []
    assert port_is_free(port)


def test_stdout_ready_target_is_ready_when_it_prints_the_pattern(tmp_path: Path) -> None:
    script = write(tmp_path / "stdout_server.py", STDOUT_SERVER)
    pidfile = tmp_path / "pids"
    profile = target_profile(
        tmp_path, ["{python}", str(script), str(pidfile)], ready='{ stdout = "listening" }', runs=3,
    )

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    target = only_target(load_report(tmp_path / "out.json"))
    assert target["ready"].startswith("stdout")
    assert target["cold_start_s"]["n"] == 3
    assert all(run["ready_s"] >= 0.05 and run["error"] is None for run in target["runs"])
    # It would sleep 60 s after printing: lightprof stopped it, it did not wait for it.
    assert all(run["wall_s"] < 30 for run in target["runs"])
    pids = read_pids(pidfile)
    assert len(pids) == len(target["runs"])
    assert still_alive(pids) == []


# --------------------------------------------------------------------------- targets that fail


def test_crashing_target_exits_3_with_reason_and_stderr_tail(tmp_path: Path) -> None:
    crash = "import sys; sys.stderr.write('fatal: config file missing\\n'); sys.exit(3)"
    profile = target_profile(tmp_path, ["{python}", "-c", crash], runs=3, budget='cold_start_p95 = "10s"\n')

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 3, output_of(proc)
    out = output_of(proc)
    assert "exited with code 3" in out
    assert "fatal: config file missing" in out
    assert "Traceback" not in out
    report = load_report(tmp_path / "out.json")
    assert report["exit_code"] == 3
    assert [row["verdict"] for row in report["budgets"]] == ["unmeasured"]


def test_target_that_never_gets_ready_times_out_with_exit_3_and_is_killed(tmp_path: Path) -> None:
    port = free_port()
    script = write(tmp_path / "never_ready.py", NEVER_READY)
    pidfile = tmp_path / "pids"
    profile = target_profile(
        tmp_path, ["{python}", str(script), str(pidfile)], ready=f"{{ port = {port} }}", runs=3,
        extra='timeout = "1s"\n',
    )

    proc = run_lightprof(tmp_path, profile=profile)

    assert proc.returncode == 3, output_of(proc)
    assert "never became ready" in output_of(proc)
    pids = read_pids(pidfile)
    assert pids, "the target never started"
    assert still_alive(pids) == []
    assert processes_running(str(script)) == []


def test_missing_program_is_exit_3_with_one_clear_sentence(tmp_path: Path) -> None:
    profile = target_profile(tmp_path, ["lightprof-no-such-program-xyz"])

    proc = run_lightprof(tmp_path, profile=profile)

    assert proc.returncode == 3, output_of(proc)
    assert "lightprof-no-such-program-xyz" in output_of(proc)
    assert "Traceback" not in output_of(proc)


# --------------------------------------------------------------------------- process trees


def test_forked_children_memory_is_summed_over_the_tree_and_all_are_reaped(tmp_path: Path) -> None:
    script = write(tmp_path / "forking_parent.py", FORKING_PARENT)
    pidfile = tmp_path / "pids"
    profile = target_profile(
        tmp_path, ["{python}", str(script), str(pidfile)], ready='{ stdout = "listening" }', runs=1,
        extra='hold = "1s"\ntimeout = "30s"\n', budget='rss_steady = "1GiB"\nrss_peak = "1GiB"\n',
    )

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    target = only_target(load_report(tmp_path / "out.json"))
    pids = read_pids(pidfile)
    assert len(pids) == 4 * len(target["runs"])  # parent + 3 children in every run
    assert still_alive(pids) == []
    assert processes_running(str(script)) == []

    memory = target["memory"]
    three_children = 3 * 40 * MiB
    assert memory["steady_rss_bytes"] >= three_children
    assert memory["peak_rss_bytes"] >= three_children
    # A single process holds one 40 MiB buffer: the figure is the tree's sum, not its largest member.
    single = max(p["rss_bytes"] for p in memory["processes"])
    assert len(memory["processes"]) >= 4
    assert single < 80 * MiB
    assert memory["steady_rss_bytes"] >= 2.5 * single


def test_grandchild_that_calls_setsid_is_still_killed(tmp_path: Path) -> None:
    script = write(tmp_path / "escaping_parent.py", ESCAPING_PARENT)
    pidfile = tmp_path / "pids"
    childfile = tmp_path / "child"
    profile = target_profile(
        tmp_path, ["{python}", str(script), str(pidfile), str(childfile)], ready='{ stdout = "listening" }',
        runs=1, extra='hold = "1s"\ntimeout = "30s"\n',
    )

    proc = run_lightprof(tmp_path, profile=profile)

    assert proc.returncode == 0, output_of(proc)
    parents = read_pids(pidfile)
    children = [tuple(map(int, line.split())) for line in childfile.read_text().splitlines() if line.strip()]
    assert len(parents) >= 1 and len(children) == len(parents)
    for pid, sid in children:
        assert sid == pid, "the child did not leave the target's session"
        assert sid not in parents
    assert still_alive(parents + [pid for pid, _ in children]) == []
    assert processes_running(str(childfile)) == []


def test_exit_target_peak_rss_is_the_sum_of_its_tree(tmp_path: Path) -> None:
    script = write(tmp_path / "tree_that_exits.py", tree_of_three(40))
    profile = target_profile(
        tmp_path, ["{python}", str(script)], runs=1, budget='rss_peak = "1GiB"\n',
    )

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    report = load_report(tmp_path / "out.json")
    memory = only_target(report)["memory"]
    assert memory["peak_rss_bytes"] >= 3 * 40 * MiB  # ru_maxrss alone would say ~50 MiB
    [row] = budget_rows(report, "rss_peak")
    assert row["measured"] == memory["peak_rss_bytes"]


def test_background_process_left_by_an_exit_target_is_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "bg.pids"
    profile = target_profile(tmp_path, f"sleep 60 & echo $! >> {pidfile}", runs=2)

    proc = run_lightprof(tmp_path, profile=profile)

    assert proc.returncode == 0, output_of(proc)
    pids = read_pids(pidfile)
    assert len(pids) >= 2
    assert still_alive(pids) == []


def test_exit_target_that_runs_past_its_timeout_is_exit_3_and_killed(tmp_path: Path) -> None:
    script = write(tmp_path / "sleeper.py", NEVER_READY)
    pidfile = tmp_path / "pids"
    profile = target_profile(tmp_path, ["{python}", str(script), str(pidfile)], runs=3, extra='timeout = "1s"\n')

    proc = run_lightprof(tmp_path, profile=profile)

    assert proc.returncode == 3, output_of(proc)
    assert "timed out" in output_of(proc)
    pids = read_pids(pidfile)
    assert len(pids) == 1  # the first failed run stops the target
    assert still_alive(pids) == []


def test_stdout_ready_pattern_is_also_found_on_stderr(tmp_path: Path) -> None:
    code = "import sys, time; sys.stderr.write('listening\\n'); sys.stderr.flush(); time.sleep(60)"
    profile = target_profile(tmp_path, ["{python}", "-c", code], ready='{ stdout = "listening" }', runs=2)

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    assert only_target(load_report(tmp_path / "out.json"))["cold_start_s"]["n"] == 2


def test_unwritable_report_path_is_exit_2_before_anything_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    profile = target_profile(tmp_path, f"touch {marker}")

    proc = run_lightprof(tmp_path, "--json", str(tmp_path / "no-such-dir" / "out.json"), profile=profile)

    assert proc.returncode == 2, output_of(proc)
    assert "no-such-dir" in proc.stderr
    assert not marker.exists()


# --------------------------------------------------------------------------- budgets


def test_failed_budget_exits_1_and_says_fail(tmp_path: Path) -> None:
    profile = target_profile(tmp_path, ["true"], budget='cold_start_p95 = "1us"\n')

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 1, output_of(proc)
    assert "FAIL" in proc.stdout
    [row] = budget_rows(load_report(tmp_path / "out.json"), "cold_start_p95")
    assert row["verdict"] == "fail"
    assert row["limit"] == pytest.approx(1e-6)
    assert row["measured"] > row["limit"]


def test_budget_that_holds_exits_0(tmp_path: Path) -> None:
    profile = target_profile(tmp_path, ["true"], budget='cold_start_p95 = "10s"\nrss_peak = "1GiB"\n')

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    assert "FAIL" not in proc.stdout
    assert {row["verdict"] for row in load_report(tmp_path / "out.json")["budgets"]} == {"pass"}


# --------------------------------------------------------------------------- baselines


def _sleep(seconds: float) -> list[str]:
    return ["{python}", "-c", f"import time; time.sleep({seconds})"]


def _sleep_profile(tmp_path: Path, seconds: float, tolerance: str = "10%", inconclusive: str = "warn") -> Path:
    return target_profile(
        tmp_path, _sleep(seconds), runs=5, warmup=0, name="sleepy",
        extra=f'tolerance = "{tolerance}"\ninconclusive = "{inconclusive}"\n', budget='cold_start_p95 = "30s"\n',
    )


def _take_baseline(tmp_path: Path) -> Path:
    profile = _sleep_profile(tmp_path, 0.05)
    proc = run_lightprof(tmp_path, "--update-baseline", profile=profile)
    assert proc.returncode == 0, output_of(proc)
    baseline = tmp_path / "sleepy.baseline.toml"
    assert baseline.exists(), sorted(p.name for p in tmp_path.iterdir())
    return baseline


def test_update_baseline_writes_name_baseline_toml_beside_the_profile(tmp_path: Path) -> None:
    baseline = _take_baseline(tmp_path)

    data = tomllib.loads(baseline.read_text("utf-8"))
    assert data["profile"] == "sleepy"
    assert set(data["machine"]) >= {"cpu", "cores", "os", "python"}
    assert data["figures"]["t"]["cold_start_p95"] >= 0.05


def test_regression_beyond_tolerance_against_baseline_exits_1(tmp_path: Path) -> None:
    _take_baseline(tmp_path)
    # A sleep is judged against a CPU-bound calibration: on a machine so busy that the
    # calibration's own time swings, the gate may not decide; this profile makes that fail too.
    profile = _sleep_profile(tmp_path, 0.15, inconclusive="fail")

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 1, output_of(proc)
    [row] = budget_rows(load_report(tmp_path / "out.json"), "cold_start_p95")
    assert row["verdict"] in ("regression", "inconclusive") and row["fails_build"]
    assert row["baseline"] is not None and row["measured"] > row["baseline"]
    assert row["measured"] < row["limit"]  # within the absolute budget: only the baseline fails it


def test_same_program_within_tolerance_of_baseline_exits_0(tmp_path: Path) -> None:
    _take_baseline(tmp_path)
    profile = _sleep_profile(tmp_path, 0.05, tolerance="50%")

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    [row] = budget_rows(load_report(tmp_path / "out.json"), "cold_start_p95")
    # Never a regression. A sleep is judged against a CPU-bound calibration: on a machine so busy
    # that the calibration's own time swings, the gate may say it cannot decide (a warning, exit 0).
    assert row["verdict"] in ("pass", "inconclusive")
    assert row["baseline"] is not None


def test_update_baseline_is_not_written_when_a_target_cannot_be_measured(tmp_path: Path) -> None:
    profile = target_profile(tmp_path, ["{python}", "-c", "raise SystemExit(3)"], name="broken",
                             budget='cold_start_p95 = "30s"\n')

    proc = run_lightprof(tmp_path, "--update-baseline", profile=profile)

    assert proc.returncode == 3, output_of(proc)
    assert not (tmp_path / "broken.baseline.toml").exists()
    assert "baseline not written" in proc.stderr


def test_baseline_from_another_machine_is_not_compared(tmp_path: Path) -> None:
    baseline = _take_baseline(tmp_path)
    data = tomllib.loads(baseline.read_text("utf-8"))
    data["machine"]["cpu"] = "Imaginary CPU 9000 @ 9.99GHz"
    baseline.write_text(tomli_w.dumps(data), encoding="utf-8")
    profile = _sleep_profile(tmp_path, 0.15)  # would be a regression on the same machine

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    assert "another machine" in output_of(proc)
    [row] = budget_rows(load_report(tmp_path / "out.json"), "cold_start_p95")
    assert row["verdict"] == "pass"


# --------------------------------------------------------------------------- report formats


def _two_budget_profile(tmp_path: Path) -> Path:
    return target_profile(tmp_path, ["true"], budget='cold_start_p95 = "1us"\ncold_start_p50 = "10s"\n')


def test_junit_has_one_testcase_per_budget_and_a_failure_for_the_failed_one(tmp_path: Path) -> None:
    profile = _two_budget_profile(tmp_path)

    proc = run_lightprof(tmp_path, "--junit", "out.xml", profile=profile)

    assert proc.returncode == 1, output_of(proc)
    root = ET.parse(tmp_path / "out.xml").getroot()
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert set(cases) == {"cold_start_p95", "cold_start_p50"}
    assert cases["cold_start_p95"].find("failure") is not None
    assert cases["cold_start_p50"].find("failure") is None
    suite = next(root.iter("testsuite"))
    assert suite.get("tests") == "2"
    assert suite.get("failures") == "1"


def test_junit_marks_budgets_of_an_unmeasured_target_as_errors(tmp_path: Path) -> None:
    profile = target_profile(tmp_path, ["{python}", "-c", "raise SystemExit(3)"], budget='cold_start_p95 = "30s"\n')

    proc = run_lightprof(tmp_path, "--junit", "out.xml", profile=profile)

    assert proc.returncode == 3, output_of(proc)
    [case] = ET.parse(tmp_path / "out.xml").getroot().iter("testcase")
    assert case.find("error") is not None
    assert case.find("failure") is None


def test_markdown_to_stdout_is_a_markdown_table(tmp_path: Path) -> None:
    profile = _two_budget_profile(tmp_path)

    proc = run_lightprof(tmp_path, "--markdown", "-", profile=profile)

    assert proc.returncode == 1, output_of(proc)
    lines = proc.stdout.splitlines()
    assert any(line.startswith("|") and "cold_start_p95" in line for line in lines)
    assert any(line.startswith("|---") for line in lines)
    # The terminal table went to stderr so that stdout is only Markdown.
    assert "exit 1" not in proc.stdout


def test_github_actions_mode_annotates_the_budget_line_and_writes_step_summary(tmp_path: Path) -> None:
    profile = _two_budget_profile(tmp_path)
    summary = tmp_path / "summary.md"
    summary.write_text("")
    line = line_of(profile.read_text(), 'cold_start_p95 = "1us"')

    proc = run_lightprof(
        tmp_path, profile=profile, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )

    assert proc.returncode == 1, output_of(proc)
    errors = [ln for ln in proc.stdout.splitlines() if ln.startswith("::error ")]
    assert len(errors) == 1, proc.stdout
    assert errors[0].startswith(f"::error file=lightprof.toml,line={line},")
    written = summary.read_text("utf-8")
    assert "cold_start_p95" in written
    assert "|---" in written


# --------------------------------------------------------------------------- profile discovery


def test_no_profile_anywhere_runs_the_embedded_default(tmp_path: Path) -> None:
    proc = run_lightprof(tmp_path, "--json", "out.json")

    assert proc.returncode == 0, output_of(proc)
    report = load_report(tmp_path / "out.json")
    assert report["profile"]["origin"] == "embedded"
    assert report["profile"]["name"] == "default"
    assert report["targets"]


PYPROJECT = """
[project]
name = "demo"
version = "0"

[tool.lightprof]
version = 1
name = "from-pyproject"

[[tool.lightprof.target]]
name = "py-true"
command = ["true"]
runs = 2
warmup = 0
"""

LIGHTPROF_TOML = """
version = 1
name = "from-lightprof-toml"

[[target]]
name = "toml-true"
command = ["true"]
runs = 2
warmup = 0
"""


def test_pyproject_tool_lightprof_is_used_without_lightprof_toml(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)

    proc = run_lightprof(tmp_path, "--json", "out.json")

    assert proc.returncode == 0, output_of(proc)
    report = load_report(tmp_path / "out.json")
    assert report["profile"]["origin"] == "pyproject"
    assert report["profile"]["name"] == "from-pyproject"
    assert [t["name"] for t in report["targets"]] == ["py-true"]


def test_lightprof_toml_wins_over_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    write(tmp_path / "lightprof.toml", LIGHTPROF_TOML)

    proc = run_lightprof(tmp_path, "--json", "out.json")

    assert proc.returncode == 0, output_of(proc)
    report = load_report(tmp_path / "out.json")
    assert report["profile"]["origin"] == "file"
    assert report["profile"]["name"] == "from-lightprof-toml"
    assert [t["name"] for t in report["targets"]] == ["toml-true"]


def test_invalid_profile_is_exit_2_naming_file_and_line(tmp_path: Path) -> None:
    profile = target_profile(tmp_path, ["true"], budget='cold_start_p95 = "fast"\n')

    proc = run_lightprof(tmp_path, profile=profile)

    assert proc.returncode == 2, output_of(proc)
    assert "lightprof.toml" in proc.stderr
    assert str(line_of(profile.read_text(), "cold_start_p95")) in proc.stderr
    assert "Traceback" not in proc.stderr
