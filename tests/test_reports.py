"""Every renderer against one fixed Result (as hyperfine tests its exporters on fixed data)."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from lightprof.model.result import Machine, ProfileRef, Result
from lightprof.model.target import Memory, Run, TargetResult
from lightprof.model.verdict import BudgetRow
from lightprof.report.github import annotation_commands
from lightprof.report.junit import render_junit
from lightprof.report.markdown import render_markdown
from lightprof.report.table import render_table
from lightprof.stats import summarize


def fixed_result() -> Result:
    runs = [Run(warmup=False, ready_s=0.1 + i / 1000, wall_s=0.2, user_s=0.05, sys_s=0.01, peak_rss_bytes=60_000_000,
                exit_code=0, index=i) for i in range(10)]
    target = TargetResult(name="server", command=["node", "server.js"], ready="http http://127.0.0.1:3000/", runs=runs,
                          cold_start_s=summarize([r.ready_s for r in runs if r.ready_s is not None]),
                          memory=Memory(steady_rss_bytes=58_000_000, peak_rss_bytes=61_234_176,
                                        timeline=[(0.05, 31_000_000), (0.1, 58_000_000)]))
    budgets = [
        BudgetRow("server", "cold_start_p95", 0.25, 0.109, 0.1, 0.09, "pass", unit="s", line=12),
        BudgetRow("server", "rss_peak", 50_000_000, 61_234_176, None, None, "fail", unit="bytes", line=14),
        BudgetRow("bundle", "size", 150_000, 180_000, 150_000, 0.2, "regression", unit="bytes", kind="artifact"),
    ]
    return Result(schema=1, lightprof="0.1.0", profile=ProfileRef("api", "/repo/lightprof.toml"),
                  machine=Machine("Test CPU", 2, "Linux 6.1", "3.11.7"), started_at="2026-11-24T21:00:00Z",
                  exit_code=1, targets=[target], budgets=budgets)


def test_json_round_trips_through_the_schema() -> None:
    result = fixed_result()
    data = json.loads(result.to_json())
    assert data["schema"] == 1
    assert data["targets"][0]["cold_start_s"]["p95_ci"][0] <= data["targets"][0]["cold_start_s"]["p95"]
    assert data["targets"][0]["runs"][0]["peak_rss_bytes"] == 60_000_000
    again = Result.from_dict(data)
    assert again == result


def test_table_shows_every_budget_and_the_exit_code() -> None:
    text = render_table(fixed_result())
    assert "cold_start_p95" in text and "✓ pass" in text and "✗ FAIL" in text and "✗ REGRESSION" in text
    assert "180.0 kB" in text and "+20.0% (+30.0 kB)" in text
    assert "exit 1" in text
    assert "\x1b[" not in text


def test_table_is_coloured_only_when_asked() -> None:
    assert "\x1b[31m" in render_table(fixed_result(), colour=True)


def test_markdown_has_a_row_per_budget() -> None:
    text = render_markdown(fixed_result())
    assert text.startswith("## lightprof: api failed")
    assert text.count("| server |") == 2 + 1  # two budgets and the target summary
    assert "❌ regression" in text


def test_junit_has_one_testcase_per_budget() -> None:
    root = ET.fromstring(render_junit(fixed_result()))
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["cold_start_p95", "rss_peak", "size"]
    assert root.find("testsuite").get("failures") == "2"  # type: ignore[union-attr]
    assert cases[1].find("failure") is not None and cases[0].find("failure") is None


def test_github_annotations_point_at_budget_lines() -> None:
    text = annotation_commands(fixed_result())
    lines = text.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::error file=") and ",line=14," in lines[0]
    assert "over its budget" in lines[0]
