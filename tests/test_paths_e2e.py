"""End to end: `lightprof --headless` sends a profile's paths to real servers on loopback.

Two servers written for these tests (tests/paths_servers.py): one on Python's http.server, one on
Node's own `http` module. Assertions are on behaviour and on figures checked against independent
readings (/proc, the server's own counters, RSS and CPU logs), never on absolute speed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.paths_servers import NODE, free_port, left_running, profile_text, run_headless, server_command

MiB = 2**20
KINDS = ["python", pytest.param("node", marks=pytest.mark.skipif(NODE is None, reason="node is not installed"))]
# Per-request work of /costly for each server, so the two routes differ by far more than noise.
COSTLY = {"python": "300000", "node": "10000000"}


def _paths(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in data["targets"][0]["paths"]}


def _rows(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["metric"]: row for row in data["budgets"]}


@pytest.mark.parametrize("kind", KINDS)
def test_paths_are_ranked_and_events_and_counters_match_the_requests_sent(tmp_path: Path, kind: str) -> None:
    port = free_port()
    paths = [
        {"name": "cheap", "url": "/cheap", "requests": 60},
        {"name": "costly", "url": "/costly", "requests": 15},
        {"name": "sum", "method": "POST", "url": "/sum", "body": {"size": "16KiB"}, "requests": 30, "warmup": 3,
         "concurrency": 2},
    ]
    profile = profile_text(server_command(tmp_path, kind, port), port, paths, env={"COSTLY_WORK": COSTLY[kind]},
                           telemetry={"events": True, "metrics": "/metrics"})
    code, data, output = run_headless(tmp_path, profile)
    assert code == 0, output
    got = _paths(data)
    cheap, costly, summed = got["cheap"], got["costly"], got["sum"]
    assert costly["latency_s"]["p50"] > 3 * cheap["latency_s"]["p50"]
    assert cheap["ops_per_cpu_s"] > 3 * costly["ops_per_cpu_s"]
    assert (cheap["requests"], cheap["sent"], costly["sent"]) == (60, 61, 16)
    assert (summed["requests"], summed["sent"], summed["errors"]) == (30, 34, 0)
    assert cheap["first_latency_s"] > 0 and summed["concurrency"] == 2
    events = data["targets"][0]["events"]
    assert [(e["event"], e["op"], e["impl"], e["n"]) for e in events] == [("op_latency", "sum", "js", 34)]
    assert events[0]["ms"]["n"] == 34
    counters = data["targets"][0]["counters"]
    assert counters['requests_total{route="/cheap"}']["delta"] == 61
    assert counters['requests_total{route="/costly"}']["delta"] == 16
    assert counters['requests_total{route="/sum"}'] == {"before": None, "after": 34, "delta": 34}
    assert counters["wasm_instantiates_total"] == {"before": 0, "after": 0, "delta": 0}
    assert "path costly: GET /costly" in output and "counter wasm_instantiates_total: 0 → 0 (+0)" in output
    assert not left_running(str(tmp_path))
    # --open: the saved report loads back whole and every renderer draws its paths again.
    from lightprof.model.report_file import load_report
    from lightprof.report.markdown import render_markdown
    from lightprof.report.table import render_table

    loaded = load_report(tmp_path / "report.json")
    assert loaded.targets[0].paths[2].latency_s is not None and loaded.targets[0].events[0].n == 34
    assert "path sum: POST /sum · 30 requests (+4 first/warm-up), concurrency 2" in render_table(loaded)
    assert "| server | sum (POST /sum) | 30 |" in render_markdown(loaded)


@pytest.mark.parametrize("kind", KINDS)
def test_latency_p95_fails_when_the_route_is_made_slower_and_passes_when_not(tmp_path: Path, kind: str) -> None:
    port = free_port()
    command = server_command(tmp_path, kind, port)
    paths = [{"name": "costly", "url": "/costly", "requests": 10, "budget": {"latency_p95": "60ms"}}]
    fast = {"python": "1000", "node": "10000"}[kind]
    slow = {"python": "3000000", "node": "200000000"}[kind]
    code, data, output = run_headless(tmp_path, profile_text(command, port, paths, env={"COSTLY_WORK": fast}))
    assert code == 0, output
    assert _rows(data)["latency_p95@costly"]["verdict"] == "pass"
    junit = tmp_path / "junit.xml"
    profile = profile_text(command, port, paths, env={"COSTLY_WORK": slow})
    code, data, output = run_headless(tmp_path, profile, "--junit", str(junit), env={"GITHUB_ACTIONS": "true"})
    assert code == 1, output
    row = _rows(data)["latency_p95@costly"]
    assert row["verdict"] == "fail" and row["measured"] > 0.06
    assert row["measured_ci"][0] <= row["measured"] <= row["measured_ci"][1]
    assert '<testcase classname="lightprof.server" name="latency_p95@costly"' in junit.read_text()
    budget_line = profile.splitlines().index('latency_p95 = "60ms"') + 1
    assert f"::error file=lightprof.toml,line={budget_line},title=lightprof fail%3A server latency_p95@costly" \
        in output
    assert "path costly: GET /costly" in output and not left_running(str(tmp_path))


def test_a_stored_baseline_is_shown_beside_path_rows_but_never_makes_a_regression(tmp_path: Path) -> None:
    port = free_port()
    command = server_command(tmp_path, "python", port)
    paths = [{"name": "costly", "url": "/costly", "requests": 10,
              "budget": {"latency_p95": "10s", "first_latency": "10s", "ops_per_cpu_s": 1}}]
    code, _, output = run_headless(tmp_path, profile_text(command, port, paths, env={"COSTLY_WORK": "1000"}),
                                   "--update-baseline")
    assert code == 0, output
    code, data, output = run_headless(tmp_path, profile_text(command, port, paths, env={"COSTLY_WORK": "300000"}))
    assert code == 0, output
    rows = _rows(data)
    assert rows["latency_p95@costly"]["delta"] > 1  # far slower than the baseline, and within its limit
    assert {row["verdict"] for row in rows.values()} == {"pass"}


@pytest.mark.parametrize("kind", KINDS)
def test_ops_per_cpu_second_agrees_with_an_independent_count_from_proc(tmp_path: Path, kind: str) -> None:
    port = free_port()
    command = server_command(tmp_path, kind, port)
    log = tmp_path / "cpu.log"
    env = {"COSTLY_WORK": COSTLY[kind], "CPU_LOG": str(log)}
    paths = [{"name": "costly", "url": "/costly", "requests": 60, "warmup": 10, "budget": {"ops_per_cpu_s": 10}}]
    code, data, output = run_headless(tmp_path, profile_text(command, port, paths, env=env))
    assert code == 0 and _rows(data)["ops_per_cpu_s@costly"]["verdict"] == "pass", output
    measured = _paths(data)["costly"]["ops_per_cpu_s"]
    # The independent count is taken over the same requests, not in a run of its own: the CPU a
    # request costs on a shared VM drifts within seconds (docs/paths.md, bench/bench_cpu_windows.py),
    # so a count taken just before or after lightprof's run can disagree with it by a third.
    # The server logs its utime + stime from /proc/self/stat once each request's work is done.
    ticks = [int(line.split()[1]) for line in log.read_text().splitlines()]
    assert len(ticks) == 71  # the first request, 10 warm-ups, 60 measured ones
    # From the end of the last unmeasured request's work to the end of the last measured one's.
    independent = 60 / ((ticks[-1] - ticks[-61]) / os.sysconf("SC_CLK_TCK"))
    print(f"{kind}: ops_per_cpu_s {measured:.1f}, independent count from the server's /proc/self/stat "
          f"in the same window {independent:.1f} ({measured / independent - 1:+.1%})")
    # Within 10% (the issue asks 15%): room for the ticks' 10 ms steps, while a window that took
    # in the 10 warm-ups would read 60/70 of the figure.
    assert abs(measured / independent - 1) <= 0.10, (measured, independent)
    log.unlink()
    code, data, output = run_headless(tmp_path, profile_text(
        command, port, [{**paths[0], "budget": {"ops_per_cpu_s": independent * 3}}], env=env))
    assert code == 1 and _rows(data)["ops_per_cpu_s@costly"]["verdict"] == "fail", output


@pytest.mark.parametrize("kind", KINDS)
def test_steady_rss_is_judged_under_load_and_matches_what_proc_shows(tmp_path: Path, kind: str) -> None:
    port = free_port()
    log = tmp_path / "rss.log"
    paths = [{"name": "grow", "url": "/grow", "requests": 40}]
    env = {"GROW_BYTES": str(MiB), "RSS_LOG": str(log)}
    profile = profile_text(server_command(tmp_path, kind, port), port, paths, env=env, budget={"rss_steady": "1GiB"})
    code, data, output = run_headless(tmp_path, profile)
    assert code == 0, output
    target = data["targets"][0]
    idle = target["telemetry"]["idle_rss_bytes"]
    loaded = target["memory"]["steady_rss_bytes"]
    logged = [int(line.split()[1]) for line in log.read_text().splitlines()]
    print(f"{kind}: RSS idle {idle / MiB:.1f} MiB (server's /proc before its first /grow: "
          f"{(logged[0] - MiB) / MiB:.1f} MiB), under load {loaded / MiB:.1f} MiB (server's /proc after its last: "
          f"{logged[-1] / MiB:.1f} MiB)")
    assert len(logged) == 41  # the first request and 40 measured ones, each logged by the server
    # The server's own /proc/self/statm after its last request, and before its first one.
    assert abs(loaded - logged[-1]) <= 2 * MiB, (loaded, logged[-1])
    assert abs(idle - (logged[0] - MiB)) <= 3 * MiB, (idle, logged[0])
    assert loaded - idle >= 35 * MiB
    grow = _paths(data)["grow"]
    assert abs(grow["rss_after_bytes"] - logged[-1]) <= 2 * MiB and grow["rss_peak_bytes"] >= grow["rss_after_bytes"]
    # A budget between the idle and the loaded figure: an idle reading would pass it, traffic breaks it.
    between = f"{(idle + loaded) // 2 // MiB}MiB"
    log.unlink()
    code, data, output = run_headless(tmp_path, profile_text(server_command(tmp_path, kind, port), port, paths,
                                                             env=env, budget={"rss_steady": between}))
    assert code == 1 and _rows(data)["rss_steady"]["verdict"] == "fail", output
    assert "RSS idle" in output and "under load" in output


@pytest.mark.parametrize("kind", KINDS)
def test_a_wasm_impl_slower_than_js_fails_unless_justified_and_samples_the_shipped_module(
        tmp_path: Path, kind: str) -> None:
    port = free_port()
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "sum.wasm").write_bytes(b"\0asm\x01\0\0\0")
    artifact = '\n[[artifact]]\nname = "bundle"\npath = "dist"\n'
    paths = [{"name": name, "method": "POST", "url": url, "body": {"size": "64KiB"}, "requests": 12}
             for name, url in (("js", "/sum"), ("wasm", "/wasm/sum"))]
    command = server_command(tmp_path, kind, port)
    env = {"WASM_REPEAT": "25"}
    code, data, output = run_headless(tmp_path, profile_text(command, port, paths, env=env,
                                                             telemetry={"events": True}, extra=artifact))
    assert code == 1, output
    rows = _rows(data)
    assert rows["wasm_vs_js@sum"]["verdict"] == "fail"
    assert rows["wasm_vs_js@sum"]["measured"] > rows["wasm_vs_js@sum"]["limit"]
    assert "set [target.telemetry] justification" in output
    assert rows["wasm_kernel_sample"]["verdict"] == "pass"
    assert "by target 'server' op_latency events" in rows["wasm_kernel_sample"]["note"]

    code, data, output = run_headless(tmp_path, profile_text(
        command, port, paths, env=env, extra=artifact,
        telemetry={"events": True, "justification": "the Wasm build is checked for exactness, not speed"}))
    assert code == 0, output
    assert "kept because: the Wasm build is checked" in _rows(data)["wasm_vs_js@sum"]["note"]

    code, data, output = run_headless(tmp_path, profile_text(command, port, paths, env=env, extra=artifact))
    assert code == 1 and _rows(data)["wasm_kernel_sample"]["verdict"] == "fail", output
    assert "wasm_vs_js@sum" not in _rows(data)


@pytest.mark.parametrize("kind", KINDS)
def test_error_answers_are_counted_and_fail_the_path(tmp_path: Path, kind: str) -> None:
    port = free_port()
    paths = [{"name": "fail", "url": "/fail", "requests": 8, "budget": {"latency_p95": "10s"}},
             {"name": "missing", "url": "/nothing-here", "requests": 3}]
    code, data, output = run_headless(tmp_path, profile_text(server_command(tmp_path, kind, port), port, paths))
    assert code == 1, output
    rows = _rows(data)
    assert rows["errors@fail"]["verdict"] == "fail" and rows["errors@fail"]["measured"] == 9
    assert "9 of 9 requests failed (500 ×9)" in rows["errors@fail"]["note"]
    assert rows["latency_p95@fail"]["verdict"] == "pass"  # the time is still measured, and shown
    assert _paths(data)["missing"]["statuses"] == {"404": 4}
    assert not left_running(str(tmp_path))


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_that_dies_mid_path_is_exit_3_naming_the_path_and_nothing_is_left(tmp_path: Path,
                                                                                   kind: str) -> None:
    port = free_port()
    paths = [{"name": "cheap", "url": "/cheap", "requests": 50, "budget": {"latency_p95": "1s"}}]
    profile = profile_text(server_command(tmp_path, kind, port), port, paths, env={"DIE_AFTER": "10"})
    code, data, output = run_headless(tmp_path, profile)
    assert code == 3, output
    target = data["targets"][0]
    assert "exited with code 3 while path 'cheap' ran" in target["error"]
    cheap = _paths(data)["cheap"]
    assert cheap["errors"] >= 1 and cheap["stopped_by"] == "connection"
    assert any("refused" in f or "closed" in f for f in cheap["failures"]), cheap["failures"]
    assert _rows(data)["latency_p95@cheap"]["verdict"] == "unmeasured"
    assert not left_running(str(tmp_path))


def test_the_engine_streams_each_path_as_it_finishes_for_a_live_view(tmp_path: Path) -> None:
    from lightprof.measure.events import PathFinished, Progress
    from lightprof.measure.target.runner import measure_target
    from lightprof.profile.load import load_profile

    port = free_port()
    (tmp_path / "payload.bin").write_bytes(bytes(range(256)) * 4)
    paths = [{"name": "cheap", "url": "/cheap", "requests": 5},
             {"name": "grow", "url": f"http://localhost:{port}/grow", "requests": 3, "method": "HEAD"},
             {"name": "file", "url": "/sum", "method": "POST", "body": {"file": "payload.bin"}, "requests": 2},
             {"name": "text", "url": "/sum", "method": "POST", "body": {"text": "abc"}, "requests": 2}]
    # Ready by port: paths go to http://127.0.0.1:PORT.
    (tmp_path / "lightprof.toml").write_text(profile_text(server_command(tmp_path, "python", port), port, paths,
                                                          ready_port=True))
    spec = load_profile(tmp_path / "lightprof.toml").targets[0]
    seen: list[object] = []
    result = measure_target(spec, on_event=seen.append)
    assert result.error is None
    stream = [(type(e).__name__, getattr(e, "message", None) or getattr(getattr(e, "path", None), "name", None))
              for e in seen if isinstance(e, (PathFinished, Progress))]
    assert stream[:4] == [("Progress", "path cheap: 5 requests"), ("PathFinished", "cheap"),
                          ("Progress", "path grow: 3 requests"), ("PathFinished", "grow")]
    finished = [e.path for e in seen if isinstance(e, PathFinished)]
    assert finished == result.paths and [p.name for p in finished] == ["cheap", "grow", "file", "text"]
    # HEAD is answered 501 by http.server (it has no do_HEAD): counted, the connection kept.
    assert finished[1].statuses == {"501": 4} and finished[1].stopped_by is None
    assert finished[2].errors == 0 and finished[3].errors == 0
    assert not left_running(str(tmp_path))


def test_a_command_line_target_s_own_events_are_judged_by_the_wasm_rule(tmp_path: Path) -> None:
    import sys

    script = tmp_path / "bench.py"
    script.write_text(
        "import json, sys\n"
        "for i in range(40):\n"
        "    print(json.dumps({'event': 'op_latency', 'op': 'sum', 'impl': 'js', 'ms': 1.0 + i / 100}))\n"
        "    sys.stderr.write(json.dumps({'event': 'op_latency', 'op': 'sum', 'impl': 'wasm', 'ms': 2.0}) + '\\n')\n"
        "print('done, not an event')\n")
    profile = (f'version = 1\n[[target]]\nname = "bench"\ncommand = ["{sys.executable}", "{script}"]\n'
               "runs = 3\nwarmup = 1\n[target.telemetry]\nevents = true\n")
    code, data, output = run_headless(tmp_path, profile)
    assert code == 1, output
    target = data["targets"][0]
    # Only the memory run's output is read: 40 of each, not 40 per run.
    assert {(e["impl"], e["n"]) for e in target["events"]} == {("js", 40), ("wasm", 40)}
    assert target["telemetry"]["summary"]["skipped"] == 1
    row = _rows(data)["wasm_vs_js@sum"]
    assert row["verdict"] == "fail" and row["measured"] == 0.002 and abs(row["limit"] - 0.001195) < 1e-9
    code, data, output = run_headless(tmp_path, profile + 'justification = "the Wasm build checks exactness"\n')
    assert code == 0 and _rows(data)["wasm_vs_js@sum"]["verdict"] == "pass", output
