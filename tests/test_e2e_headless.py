"""End to end: `python -m lightprof --headless` against real processes, servers and files.

Every test runs the CLI as a subprocess in its own tmp_path, with small run counts, and asserts
on behaviour (exit codes, report content, processes reaped), never on absolute speed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import psutil
import pytest
import tomli_w
import tomllib

PY = sys.executable
MiB = 2**20
TIMEOUT_S = 120


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def toml_str(text: str) -> str:
    """A TOML basic string holding `text`."""
    return json.dumps(text)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def run_lightprof(
    cwd: Path,
    *args: str,
    profile: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m lightprof --headless [-p profile] args...` in `cwd` and capture its output."""
    argv = [PY, "-m", "lightprof", "--headless"]
    if profile is not None:
        argv += ["-p", str(profile)]
    argv += list(args)
    full_env = {**os.environ, "NO_COLOR": "1"}
    for key in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "CI"):
        full_env.pop(key, None)
    full_env.update(env or {})
    return subprocess.run(argv, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def output_of(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + "\n" + proc.stderr


def load_report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def read_pids(path: Path) -> list[int]:
    """The pids a target script appended to `path`, one per line."""
    if not path.exists():
        return []
    return [int(line) for line in path.read_text().split() if line.strip()]


def alive(pid: int) -> bool:
    """True when `pid` is a running process (a zombie counts as dead: it holds no resources)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def still_alive(pids: Iterable[int], within: float = 5.0) -> list[int]:
    """The pids among `pids` still alive after waiting up to `within` seconds for them to go."""
    deadline = time.monotonic() + within
    left = [pid for pid in pids if alive(pid)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [pid for pid in left if alive(pid)]
    return left


def processes_running(marker: str) -> list[int]:
    """Pids of live processes whose command line mentions `marker` (a script path in tmp_path)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if any(marker in part for part in proc.info["cmdline"] or ()):
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found


def port_is_free(port: int) -> bool:
    """Nobody accepts connections on 127.0.0.1:port and a new listener can bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
    return True


def only_target(report: Mapping[str, Any]) -> dict[str, Any]:
    targets = report["targets"]
    assert len(targets) == 1, targets
    return targets[0]


def timed_runs(target: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The runs that count for cold start: not warm-ups, not the memory (hold) run."""
    return [r for r in target["runs"] if not r["warmup"] and not r.get("hold") and not r.get("memory_run")]


def budget_rows(report: Mapping[str, Any], metric: str) -> list[dict[str, Any]]:
    return [row for row in report["budgets"] if row["metric"] == metric]


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of `text` containing `needle`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in profile")


# Scripts the targets run. Each appends its pid to the file given as its last argument.

HTTP_SERVER = """
import http.server, os, sys, time
port, pidfile = int(sys.argv[1]), sys.argv[2]
with open(pidfile, "a") as f:
    f.write(f"{os.getpid()}\\n")
time.sleep(0.2)

class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

http.server.HTTPServer(("127.0.0.1", port), Health).serve_forever()
"""

PORT_SERVER = """
import os, socket, sys, time
port, pidfile = int(sys.argv[1]), sys.argv[2]
with open(pidfile, "a") as f:
    f.write(f"{os.getpid()}\\n")
time.sleep(0.05)
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", port))
sock.listen()
while True:
    conn, _ = sock.accept()
    conn.close()
"""

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


# A program that ends by itself after three children, each holding ~40 MiB, have run for 0.6 s.
TREE_THAT_EXITS = """
import subprocess, sys
child = "buf = bytearray(40 * 2**20)\\nfor i in range(0, len(buf), 4096): buf[i] = 1\\nimport time; time.sleep(0.6)"
kids = [subprocess.Popen([sys.executable, "-c", child]) for _ in range(3)]
for kid in kids:
    kid.wait()
"""


def target_profile(
    tmp_path: Path,
    command: list[str] | str,
    *,
    ready: str = '"exit"',
    runs: int = 3,
    warmup: int = 0,
    extra: str = "",
    budget: str = "",
    name: str = "e2e",
    file: str = "lightprof.toml",
) -> Path:
    """Write a profile with one target `t` to tmp_path/file and return its path."""
    cmd = toml_str(command) if isinstance(command, str) else "[" + ", ".join(toml_str(a) for a in command) + "]"
    text = (
        "version = 1\n"
        f"name = {toml_str(name)}\n"
        "\n"
        "[[target]]\n"
        'name = "t"\n'
        f"command = {cmd}\n"
        f"ready = {ready}\n"
        f"runs = {runs}\n"
        f"warmup = {warmup}\n"
        f"{extra}"
    )
    if budget:
        text += "[target.budget]\n" + budget
    path = tmp_path / file
    path.write_text(text, encoding="utf-8")
    return path


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
    script = write(tmp_path / "tree_that_exits.py", TREE_THAT_EXITS)
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


def _sleep_profile(tmp_path: Path, seconds: float, tolerance: str = "10%") -> Path:
    return target_profile(
        tmp_path, _sleep(seconds), runs=5, warmup=0, name="sleepy",
        extra=f'tolerance = "{tolerance}"\n', budget='cold_start_p95 = "30s"\n',
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
    profile = _sleep_profile(tmp_path, 0.15)

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 1, output_of(proc)
    [row] = budget_rows(load_report(tmp_path / "out.json"), "cold_start_p95")
    assert row["verdict"] == "regression"
    assert row["baseline"] is not None and row["measured"] > row["baseline"]
    assert row["measured"] < row["limit"]  # within the absolute budget: only the baseline fails it


def test_same_program_within_tolerance_of_baseline_exits_0(tmp_path: Path) -> None:
    _take_baseline(tmp_path)
    profile = _sleep_profile(tmp_path, 0.05, tolerance="50%")

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    [row] = budget_rows(load_report(tmp_path / "out.json"), "cold_start_p95")
    assert row["verdict"] == "pass"
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
