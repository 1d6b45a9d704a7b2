"""End to end: the gate against stored baselines, a git base revision and another target.

Real processes and a real git repository made in the test. Verdicts are asserted only where the
effect is large (a target ~2-3x slower, a machine "twice as fast" at baseline), so that a loaded
machine cannot flip them; the rates at 5-20% are bench/bench_gate.py's to measure.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import tomli_w
import tomllib

from lightprof.session.targets import calibration_commands
from tests.headless_support import free_port, output_of, write

PY = sys.executable
TIMEOUT_S = 180
BASE_WORK = 100_000  # loop iterations: a few ms beside ~8 ms of interpreter start
SLOW_WORK = 1_500_000  # ~2-3x the whole run of BASE_WORK


def run_lightprof(cwd: Path, *args: str, env: Mapping[str, str] | None = None,
                  timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1"}
    for key in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "CI"):
        full_env.pop(key, None)
    full_env.update(env or {})
    return subprocess.run([PY, "-m", "lightprof", "--headless", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def work(n: int) -> list[str]:
    return ["{python}", "-S", "-c", f"for i in range({n}): pass"]


def profile_with(tmp_path: Path, command: list[str], *, extra: str = "", runs: int = 12,
                 budget: str = 'cold_start_p50 = "30s"\ncold_start_p95 = "30s"\n',
                 file: str = "lightprof.toml") -> Path:
    """A one-target profile named "gate"; `extra` holds more [defaults] lines."""
    path = tmp_path / file
    path.write_text(
        f'version = 1\nname = "gate"\n[defaults]\nruns = {runs}\nwarmup = 1\n{extra}\n'
        f'[[target]]\nname = "t"\ncommand = {json.dumps(command)}\n[target.budget]\n{budget}\n',
        encoding="utf-8",
    )
    return path


def report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def rows(data: Mapping[str, Any], metric: str) -> list[dict[str, Any]]:
    return [row for row in data["budgets"] if row["metric"] == metric]


# --------------------------------------------------------------------------- stored baselines


def take_baseline(tmp_path: Path, **kwargs: Any) -> Path:
    profile = profile_with(tmp_path, work(BASE_WORK), **kwargs)
    proc = run_lightprof(tmp_path, "-p", str(profile), "--update-baseline")
    assert proc.returncode == 0, output_of(proc)
    return tmp_path / "gate.baseline.toml"


def test_update_baseline_keeps_each_targets_sample_beside_its_calibration(tmp_path: Path) -> None:
    baseline = take_baseline(tmp_path)

    data = tomllib.loads(baseline.read_text("utf-8"))
    sample = data["samples"]["t"]
    assert len(sample["runs_s"]) == len(sample["calibration_s"]) >= 12
    assert all(v > 0 for v in sample["runs_s"] + sample["calibration_s"])
    assert tuple(sample["calibration"]) in calibration_commands()
    assert len(data["conditions"]["load_average"]) == 3
    assert data["figures"]["t"]["cold_start_p50"] > 0


def test_a_short_target_slow_once_is_still_calibrated_with_true(tmp_path: Path) -> None:
    """The calibration is picked from the fastest lone warm-up: a first start slowed to 30 ms (as
    a busy machine can) does not make a ~1 ms target's calibration a Python start."""
    profile = profile_with(tmp_path, ["/bin/sh", "-c", "[ -e first ] || { touch first; sleep 0.03; }"])
    proc = run_lightprof(tmp_path, "-p", str(profile), "--update-baseline")
    assert proc.returncode == 0, output_of(proc)

    sample = tomllib.loads((tmp_path / "gate.baseline.toml").read_text("utf-8"))["samples"]["t"]
    assert tuple(sample["calibration"]) == calibration_commands()[0]


def test_unchanged_program_against_its_calibrated_baseline_passes(tmp_path: Path) -> None:
    take_baseline(tmp_path, extra='tolerance = "50%"')

    proc = run_lightprof(tmp_path, "-p", "lightprof.toml", "--json", "out.json")

    assert proc.returncode == 0, output_of(proc)
    target = report(tmp_path / "out.json")["targets"][0]
    comparison = target["comparison"]
    assert comparison["mode"] == "baseline" and tuple(comparison["calibration"]) in calibration_commands()
    assert comparison["n"] >= 12 and len(comparison["ratios"]) == comparison["n"]
    assert target["calibration"]["command"] == comparison["calibration"]
    assert "against the baseline (calibrated)" in proc.stdout


def test_a_program_much_slower_than_its_baseline_does_not_pass(tmp_path: Path) -> None:
    """A regression; or, if this machine drifted between the two sessions (a loaded machine can),
    inconclusive, which this profile makes fail the build too."""
    take_baseline(tmp_path, extra='inconclusive = "fail"')
    profile_with(tmp_path, work(SLOW_WORK), file="slow.toml", extra='inconclusive = "fail"')

    proc = run_lightprof(tmp_path, "-p", "slow.toml", "--json", "out.json")

    assert proc.returncode == 1, output_of(proc)
    data = report(tmp_path / "out.json")
    [row] = rows(data, "cold_start_p50")
    drift = data["targets"][0]["comparison"]["drift"]
    if abs(drift) <= 0.10:
        assert row["verdict"] == "regression" and "REGRESSION" in proc.stdout
        assert row["ratio"] > 1.3 and row["ratio_ci"][0] > 1.0
    elif row["verdict"] == "inconclusive":
        assert "drifted" in row["note"]
    else:
        assert row["verdict"] == "regression" and row["ratio_ci"][0] > 1.1  # beyond tolerance, wholly


def test_drift_is_reported_not_blamed_on_the_program(tmp_path: Path) -> None:
    """The baseline says the machine was four times as fast: raw times quadrupled, the calibrated
    ratio did not. (Twice as fast was too little: a baseline taken while the machine was busy,
    compared in a quiet moment, read a drift of only +17%.)"""
    baseline = take_baseline(tmp_path, extra='tolerance = "50%"')
    data = tomllib.loads(baseline.read_text("utf-8"))
    for key in ("runs_s", "calibration_s"):
        data["samples"]["t"][key] = [v / 4 for v in data["samples"]["t"][key]]
    data["figures"]["t"] = {k: v / 4 for k, v in data["figures"]["t"].items()}
    baseline.write_text(tomli_w.dumps(data), encoding="utf-8")

    proc = run_lightprof(tmp_path, "-p", "lightprof.toml", "--json", "out.json")

    assert proc.returncode == 0, output_of(proc)
    data = report(tmp_path / "out.json")
    assert data["targets"][0]["comparison"]["drift"] > 0.3
    [row] = rows(data, "cold_start_p50")
    # Raw time: far above the quartered baseline (about +300% on a steady machine), which a
    # baseline without its calibration would call a regression. Judged: the calibrated ratio,
    # which passes; or, on a machine so busy that the calibration moved unlike the target,
    # inconclusive: a warning, never a regression.
    assert row["delta"] > 0 and row["verdict"] in ("pass", "inconclusive")
    assert "warning:" in proc.stdout and "machine drift" in proc.stdout


def test_undecided_check_is_inconclusive_a_warning_or_a_failure_as_the_profile_says(tmp_path: Path) -> None:
    """A baseline whose ratio sample has two far-apart halves: the ratio is beyond tolerance but
    its interval reaches below 1, however many runs are added."""
    baseline = take_baseline(tmp_path, runs=31, extra="max_runs = 40")
    data = tomllib.loads(baseline.read_text("utf-8"))
    sample = data["samples"]["t"]
    ratios = sorted(r / c for r, c in zip(sample["runs_s"], sample["calibration_s"], strict=True))
    typical = ratios[len(ratios) // 2]
    sample["runs_s"] = [c * (typical / 3 if i < 16 else typical * 3) for i, c in enumerate(sample["calibration_s"])]
    baseline.write_text(tomli_w.dumps(data), encoding="utf-8")

    warned = run_lightprof(tmp_path, "-p", "lightprof.toml", "--json", "out.json", "--junit", "out.xml")

    assert warned.returncode == 0, output_of(warned)
    [row] = rows(report(tmp_path / "out.json"), "cold_start_p50")
    assert row["verdict"] == "inconclusive" and not row["fails_build"]
    assert "INCONCLUSIVE" in warned.stdout and "warning:" in warned.stdout
    assert "<skipped" in (tmp_path / "out.xml").read_text()

    profile_with(tmp_path, work(BASE_WORK), runs=31, extra='max_runs = 40\ninconclusive = "fail"')
    failed = run_lightprof(tmp_path, "-p", "lightprof.toml")
    assert failed.returncode == 1, output_of(failed)


def test_an_old_one_number_baseline_still_loads_and_is_called_weak(tmp_path: Path) -> None:
    from lightprof.measure.machine import current_machine

    machine = current_machine()
    profile = profile_with(tmp_path, work(BASE_WORK))
    # As lightprof wrote baselines before samples were kept; 1 µs: far below what the target takes.
    (tmp_path / "gate.baseline.toml").write_text(tomli_w.dumps({
        "version": 1, "profile": "gate", "taken_at": "2026-01-01T00:00:00Z", "lightprof": "0.1.0",
        "machine": {"cpu": machine.cpu, "cores": machine.cores, "os": machine.os, "python": machine.python},
        "figures": {"t": {"cold_start_p50": 0.000001, "cold_start_p95": 0.000001}},
    }), encoding="utf-8")

    proc = run_lightprof(tmp_path, "-p", str(profile), "--json", "out.json")

    assert proc.returncode == 1, output_of(proc)
    assert "weak" in proc.stdout and "--update-baseline" in proc.stdout
    data = report(tmp_path / "out.json")
    [row] = rows(data, "cold_start_p50")
    assert row["verdict"] == "regression" and row["baseline"] == pytest.approx(0.000001)
    assert data["targets"][0]["comparison"] is None


# --------------------------------------------------------------------------- bad baselines (exit 2)


def bad_baseline(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    profile = profile_with(tmp_path, work(10))
    (tmp_path / "gate.baseline.toml").write_text(text, encoding="utf-8")
    return run_lightprof(tmp_path, "-p", str(profile))


@pytest.mark.parametrize(("text", "says"), [
    ("version = 99\n", "baseline version 99"),
    ("version = 1\n[figures.t]\ncold_start_p50 = nan\n", "gate.baseline.toml:3: 'figures.t.cold_start_p50'"),
    ("version = 1\n[figures.t]\ncold_start_p50 = inf\n", "must be a finite number"),
    ("version = 1\n[figures.t]\ncold_start_p50 = -1\n", "at least 0, got -1"),
    ("version = 1\n[samples.t]\nruns_s = [0.01, 0.0]\n", "'samples.t.runs_s' holds a run time of 0"),
    ("version = 1\n[samples.t]\nruns_s = [0.01]\ncalibration_s = [0.01, 0.02]\n", "one run beside each"),
    ("version = 1\nx = " + "[" * 500 + "]" * 500 + "\n", "nests tables or arrays too deeply"),
    ("version = 1\n[figures]\nt = 3\n", "'figures.t' must be a table"),
])
def test_a_bad_baseline_is_one_sentence_and_exit_2(tmp_path: Path, text: str, says: str) -> None:
    proc = bad_baseline(tmp_path, text)

    assert proc.returncode == 2, output_of(proc)
    assert says in proc.stderr
    assert "Traceback" not in output_of(proc)
    assert proc.stderr.count("\n") == 1


def test_a_fifo_as_the_baseline_is_refused_without_blocking(tmp_path: Path) -> None:
    profile = profile_with(tmp_path, work(10))
    os.mkfifo(tmp_path / "gate.baseline.toml")

    proc = run_lightprof(tmp_path, "-p", str(profile), timeout=30)

    assert proc.returncode == 2, output_of(proc)
    assert "FIFO" in proc.stderr


def test_update_baseline_into_a_folder_that_cannot_be_written_fails_before_measuring(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    marker = tmp_path / "ran.log"
    profile_with(folder, ["{python}", "-S", "-c", f"open({str(marker)!r}, 'a').write('x')"])
    if os.geteuid() == 0:  # root ignores permission bits; an immutable folder refuses even root
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not available here")
    else:
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        proc = run_lightprof(tmp_path, "-p", str(folder / "lightprof.toml"), "--update-baseline")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(stat.S_IRWXU)

    assert proc.returncode == 2, output_of(proc)
    assert "--update-baseline: cannot write" in proc.stderr and "not writable" in proc.stderr
    assert not marker.exists()  # nothing was measured
    assert "Traceback" not in output_of(proc)


# --------------------------------------------------------------------------- a budget with no figure (exit 3)


PORT_SERVER = """
import socket, sys
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", int(sys.argv[1])))
sock.listen()
while True:
    sock.accept()[0].close()
"""


def server_with_steady_budget(tmp_path: Path, server: str) -> None:
    """A profile of one server, ready by its port, stopped at ready (no hold), with rss_steady."""
    port = free_port()
    (tmp_path / "server.py").write_text(server)
    write(tmp_path / "lightprof.toml", f"""
        version = 1
        name = "server"
        [[target]]
        name = "srv"
        command = ["{{python}}", "server.py", "{port}"]
        ready = {{ port = {port} }}
        runs = 2
        warmup = 0
        [target.budget]
        rss_steady = "1GiB"
    """)


def test_a_budget_without_a_figure_is_exit_3_in_every_report_format(tmp_path: Path) -> None:
    server_with_steady_budget(tmp_path, PORT_SERVER)
    summary = tmp_path / "summary.md"

    proc = run_lightprof(tmp_path, "--json", "out.json", "--junit", "out.xml", "--markdown", "out.md",
                         env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})

    assert proc.returncode == 3, output_of(proc)
    hint = 'set hold = "1s"'
    assert "UNMEASURED" in proc.stdout and hint in proc.stdout and "exit 3" in proc.stdout
    assert report(tmp_path / "out.json")["exit_code"] == 3
    assert rows(report(tmp_path / "out.json"), "rss_steady")[0]["verdict"] == "unmeasured"
    junit = (tmp_path / "out.xml").read_text()
    assert 'errors="1"' in junit and "hold" in junit
    markdown = (tmp_path / "out.md").read_text()
    assert "could not measure everything" in markdown and "unmeasured" in markdown
    assert "::error" in proc.stdout and "hold" in proc.stdout.split("::error", 1)[1]
    assert "could not measure everything" in summary.read_text()


def test_a_server_stopped_at_ready_has_no_steady_memory_however_long_it_took_to_start(tmp_path: Path) -> None:
    """Samples of a slow start-up are not a steady state: without hold, rss_steady is unmeasured."""
    server_with_steady_budget(tmp_path, "import time\ntime.sleep(0.4)\n" + PORT_SERVER)

    proc = run_lightprof(tmp_path, "--json", "out.json")

    assert proc.returncode == 3, output_of(proc)
    [row] = rows(report(tmp_path / "out.json"), "rss_steady")
    assert row["verdict"] == "unmeasured" and row["measured"] is None and 'hold = "1s"' in row["note"]


# --------------------------------------------------------------------------- against


def test_against_compares_two_targets_run_interleaved(tmp_path: Path) -> None:
    write(tmp_path / "lightprof.toml", f"""
        version = 1
        name = "ab"
        [defaults]
        runs = 12
        warmup = 1
        [[target]]
        name = "old"
        command = {json.dumps(work(BASE_WORK))}
        [[target]]
        name = "new"
        command = {json.dumps(work(SLOW_WORK))}
        against = "old"
        [target.budget]
        cold_start_p50 = "30s"
        max_slowdown = "10%"
    """)

    proc = run_lightprof(tmp_path, "--json", "out.json", "--markdown", "out.md")

    assert proc.returncode == 1, output_of(proc)
    data = report(tmp_path / "out.json")
    assert [t["name"] for t in data["targets"]] == ["old", "new"]
    comparison = data["targets"][1]["comparison"]
    assert comparison["mode"] == "against" and comparison["against"] == "old"
    assert comparison["ratio_p50"] > 1.3 and comparison["ratio_p50_ci"][0] > 1.0
    assert len(comparison["head_runs_s"]) == len(comparison["base_runs_s"]) == comparison["n"] >= 12
    assert data["targets"][0]["cold_start_s"]["n"] == comparison["n"]  # the reference's runs are the pairs'
    verdicts = {row["metric"]: row["verdict"] for row in data["budgets"]}
    assert verdicts == {"cold_start_p50": "regression", "max_slowdown": "fail"}
    markdown = (tmp_path / "out.md").read_text()
    assert "| reference → head |" in markdown and "×" in markdown


def test_against_an_equal_target_passes(tmp_path: Path) -> None:
    write(tmp_path / "lightprof.toml", f"""
        version = 1
        name = "aa"
        [defaults]
        runs = 12
        warmup = 1
        tolerance = "50%"
        [[target]]
        name = "a"
        command = {json.dumps(work(BASE_WORK))}
        [[target]]
        name = "b"
        command = {json.dumps(work(BASE_WORK))}
        against = "a"
        [target.budget]
        cold_start_p50 = "30s"
        max_slowdown = "50%"
    """)

    proc = run_lightprof(tmp_path, "--json", "out.json")

    assert proc.returncode == 0, output_of(proc)
    comparison = report(tmp_path / "out.json")["targets"][1]["comparison"]
    assert 0.6 < comparison["ratio_p50"] < 1.5


def test_against_judges_memory_on_its_own_budget_not_against_the_other_program(tmp_path: Path) -> None:
    """The reference is another program: a target holding 20 MiB more than `python -c pass` is
    within its rss_peak budget, not a memory regression against the reference."""
    write(tmp_path / "lightprof.toml", f"""
        version = 1
        name = "mem"
        [defaults]
        runs = 5
        warmup = 1
        [[target]]
        name = "bare"
        command = {json.dumps(work(10))}
        [[target]]
        name = "holds"
        command = ["{{python}}", "-S", "-c", "b = bytearray(20 << 20); b[::4096] = b'x' * len(b[::4096])"]
        against = "bare"
        [target.budget]
        rss_peak = "1GiB"
    """)

    proc = run_lightprof(tmp_path, "--json", "out.json")

    assert proc.returncode == 0, output_of(proc)
    [row] = rows(report(tmp_path / "out.json"), "rss_peak")
    assert row["verdict"] == "pass" and row["baseline"] is None
    assert row["measured"] > 20 * 2**20


def test_against_a_target_that_is_not_in_the_profile_is_exit_2(tmp_path: Path) -> None:
    profile_with(tmp_path, work(10), budget='cold_start_p50 = "1s"')
    text = (tmp_path / "lightprof.toml").read_text().replace('name = "t"\n', 'name = "t"\nagainst = "nope"\n')
    (tmp_path / "lightprof.toml").write_text(text)

    proc = run_lightprof(tmp_path)

    assert proc.returncode == 2, output_of(proc)
    assert "lightprof.toml:" in proc.stderr and "'against' names no target" in proc.stderr


# --------------------------------------------------------------------------- --base


GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost", "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def worktrees(repo: Path) -> list[str]:
    return [line.split(" ", 1)[1] for line in git(repo, "worktree", "list", "--porcelain").splitlines()
            if line.startswith("worktree ")]


def make_repo(tmp_path: Path, base_work: int, head_work: int, build: str) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "work.py").write_text(f"for i in range({base_work}): pass\n")
    write(repo / "lightprof.toml", f"""
        version = 1
        name = "repo"
        [defaults]
        runs = 12
        warmup = 1
        [build]
        command = {json.dumps(build)}
        [[target]]
        name = "work"
        command = ["{{python}}", "-S", "work.py"]
        [target.budget]
        cold_start_p50 = "30s"
        cold_start_p95 = "30s"
    """)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    (repo / "work.py").write_text(f"for i in range({head_work}): pass\n# head\n")
    git(repo, "commit", "-qam", "head")
    return repo


def test_base_builds_both_trees_runs_them_interleaved_and_removes_the_worktree(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    repo = make_repo(tmp_path, BASE_WORK, SLOW_WORK, f"pwd >> {log}")

    proc = run_lightprof(repo, "--base", "HEAD~1", "--json", str(tmp_path / "out.json"),
                         "--markdown", str(tmp_path / "out.md"))

    assert proc.returncode == 1, output_of(proc)
    built = log.read_text().split()
    assert len(built) == 2 and str(repo) in built  # the working tree, and the base worktree
    [base_tree] = [path for path in built if path != str(repo)]
    assert not Path(base_tree).exists()
    assert worktrees(repo) == [str(repo)]
    data = report(tmp_path / "out.json")
    assert data["base"].startswith("HEAD~1")
    comparison = data["targets"][0]["comparison"]
    assert comparison["mode"] == "base" and comparison["base"] == data["base"]
    assert comparison["ratio_p50"] > 1.3 and comparison["base_cold_start_s"]["n"] == comparison["n"]
    assert {row["verdict"] for row in data["budgets"]} == {"regression"}
    assert "against base HEAD~1" in proc.stdout
    markdown = (tmp_path / "out.md").read_text()
    assert "(base HEAD~1" in markdown and "| base → head |" in markdown


def test_base_with_the_same_code_passes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, BASE_WORK, BASE_WORK, "true")
    text = (repo / "lightprof.toml").read_text().replace("warmup = 1", 'warmup = 1\ntolerance = "50%"')
    (repo / "lightprof.toml").write_text(text)

    proc = run_lightprof(repo, "--base", "HEAD~1", "--json", str(tmp_path / "out.json"))

    assert proc.returncode == 0, output_of(proc)
    assert 0.6 < report(tmp_path / "out.json")["targets"][0]["comparison"]["ratio_p50"] < 1.5
    assert worktrees(repo) == [str(repo)]


def test_base_that_does_not_exist_or_outside_git_is_exit_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, 10, 10, "true")
    proc = run_lightprof(repo, "--base", "no-such-rev")
    assert proc.returncode == 2 and "no such revision" in proc.stderr, output_of(proc)

    outside = tmp_path / "plain"
    outside.mkdir()
    profile_with(outside, work(10))
    proc = run_lightprof(outside, "--base", "HEAD")
    assert proc.returncode == 2 and "not in a git repository" in proc.stderr, output_of(proc)


def test_a_failing_build_is_exit_3_with_its_output(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, 10, 10, "echo compiler says no; exit 7")

    proc = run_lightprof(repo, "--base", "HEAD~1")

    assert proc.returncode == 3, output_of(proc)
    assert "[build] in the base HEAD~1" in proc.stderr and "exited with code 7" in proc.stderr
    assert "compiler says no" in proc.stderr
    assert worktrees(repo) == [str(repo)]


def test_ctrl_c_during_base_removes_the_worktree_and_the_build(tmp_path: Path) -> None:
    marker = tmp_path / "building"
    repo = make_repo(tmp_path, 10, 10, f"touch {marker}; exec sleep 60")
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen([PY, "-m", "lightprof", "--headless", "--base", "HEAD~1"], cwd=repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the build never started"
    assert len(worktrees(repo)) == 2

    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)

    assert proc.returncode == 130, out + err
    assert worktrees(repo) == [str(repo)]
    sleepers = subprocess.run(["pgrep", "-f", "exec sleep 60|^sleep 60$"], capture_output=True, text=True).stdout
    assert not [pid for pid in sleepers.split() if _cwd_in(int(pid), tmp_path)]


def _cwd_in(pid: int, folder: Path) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/cwd").startswith(str(folder)) or "lightprof-base-" in os.readlink(
            f"/proc/{pid}/cwd")
    except OSError:
        return False


def test_base_and_update_baseline_together_are_refused(tmp_path: Path) -> None:
    profile_with(tmp_path, work(10))
    proc = run_lightprof(tmp_path, "--base", "HEAD", "--update-baseline")
    assert proc.returncode == 2 and "either --base or --update-baseline" in proc.stderr

