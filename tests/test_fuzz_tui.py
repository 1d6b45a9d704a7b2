"""Fuzz: hostile reports that pass validation, opened in the real TUI (Textual's Pilot), every pane's
keys pressed: no exception, and `q` still quits with the report's exit code.

Extremes are applied to every field at once (each number negative, zero or huge; each list empty;
each string long or full of markup and control characters; hundreds of subjects), and a share of
the loadable fuzzed reports from tests/test_fuzz_reports.py is opened too.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lightprof.errors import ProfileError
from lightprof.model.report_file import load_report
from lightprof.model.result import Result
from lightprof.tui.app import LightprofApp
from tests.test_fuzz_reports import BASE, CASES, FIXTURE
from tests.tui_support import run_async

SIZE = (120, 40)
# Every pane on a target, then on an artifact, an image and a kernel, each pane's own keys, the
# keys a read-only session refuses, help. (Each key costs ~0.1 s of Pilot time: they are chosen.)
KEYS = ("2", "3", "enter", "4", "5", "1", "down", "down", "4", "f", "down", "down", "l", "w", "escape",
        "down", "5", "s", "S", "enter", "2", "r", "e", "question_mark", "escape")
# Fields whose values the report's own validation constrains (kept as they are).
KEEP = {"schema", "exit_code", "verdict"}


def each_leaf(tree: Any, change: Callable[[Any, str], Any], key: str = "") -> Any:
    if isinstance(tree, dict):
        return {k: v if k in KEEP else each_leaf(v, change, k) for k, v in tree.items()}
    if isinstance(tree, list):
        return [each_leaf(v, change, key) for v in tree]
    return change(tree, key)


def numbers(floats: float, ints: Callable[[], int]) -> Callable[[Any, str], Any]:
    def change(value: Any, _key: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value
        return floats if isinstance(value, float) else ints()
    return change


# Subject names, budget subjects and metrics must stay unique (and names printable) to load.
NAME_KEYS = ("name", "subject", "metric")


def strings(make: Callable[[str, int], str], names: Callable[[str, int], str] = lambda v, i: v,
            ) -> Callable[[Any, str], Any]:
    counter = itertools.count()

    def change(value: Any, key: str) -> Any:
        if not isinstance(value, str):
            return value
        return (names if key in NAME_KEYS else make)(value, next(counter))
    return change


def empty_lists(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: [] if isinstance(v, list) and k not in ("p50_ci", "p95_ci", "p99_ci", "mean_ci") else
                empty_lists(v) for k, v in tree.items()}
    return tree


def many_subjects(tree: dict[str, Any]) -> dict[str, Any]:
    tree = copy.deepcopy(tree)
    tree["targets"] = [dict(copy.deepcopy(tree["targets"][0]), name=f"t{i}") for i in range(300)]
    tree["budgets"] = [dict(row, subject=f"t{i}") for i in range(300) for row in BASE["budgets"][:1]]
    return tree


def counter_from(start: int, step: int) -> Callable[[], int]:
    numbers_ = itertools.count(start, step)
    return lambda: next(numbers_)


EXTREMES: dict[str, Callable[[], Any]] = {
    "every-number-negative": lambda: each_leaf(BASE, numbers(-1.5, counter_from(-1, -1))),
    "every-number-zero": lambda: each_leaf(BASE, numbers(0.0, counter_from(0, 1))),
    "every-number-huge": lambda: each_leaf(BASE, numbers(1e300, counter_from(2**62, 1))),
    "every-list-empty": lambda: empty_lists(BASE),
    "every-string-markup-and-control": lambda: each_leaf(BASE, strings(
        lambda v, i: f"[bold red]{v}[/] [link=x]\x1b[2J\x1b]0;t\x07\x00\r\n\u202e{i}",
        names=lambda v, i: f"[bold red]{v}{i}[/]")),
    "every-string-long": lambda: each_leaf(BASE, strings(lambda v, i: f"{i}-" + "w" * 20_000)),
    "every-string-empty": lambda: each_leaf(BASE, strings(lambda v, i: "")),
    "three-hundred-targets": lambda: many_subjects(BASE),
}
FUZZED_SHARE = 3


def loadable_fuzzed(tmp: Path) -> list[tuple[str, Result]]:
    reports = []
    for case in CASES:
        path = tmp / f"{case.id}.json"
        path.write_bytes(case.data)
        try:
            reports.append((case.describe(), load_report(path)))
        except ProfileError:
            continue
    return reports


async def open_and_press_every_key(report: Result) -> None:
    app = LightprofApp(report=report)
    async with app.run_test(size=SIZE) as pilot:
        for key in KEYS:
            await pilot.press(key)
        await pilot.pause(0.1)
        await pilot.press("escape", "escape", "q")
        await pilot.pause(0.1)
    assert app.return_value == report.exit_code


@pytest.mark.parametrize("name", list(EXTREMES))
@run_async
async def test_a_report_with_extreme_values_everywhere_opens_and_every_key_works(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(EXTREMES[name]()))
    report = load_report(path)  # valid: the extremes stay within what validation allows
    await open_and_press_every_key(report)


@run_async
async def test_a_share_of_loadable_fuzzed_reports_opens_and_every_key_works(tmp_path: Path) -> None:
    loadable = loadable_fuzzed(tmp_path)
    assert len(loadable) > 50
    for described, report in every_nth_pairs(loadable, FUZZED_SHARE):
        try:
            await open_and_press_every_key(report)
        except Exception as exc:
            raise AssertionError(f"{described}: {type(exc).__name__}: {exc}") from exc


def every_nth_pairs(items: list[tuple[str, Result]], count: int) -> list[tuple[str, Result]]:
    step = max(1, len(items) // count)
    return items[::step][:count]


class QuitsAtOnce(LightprofApp):
    """A `q` that arrives before the first refresh, as keys typed while a large report loads do."""

    def on_mount(self) -> None:
        super().on_mount()
        self.call_later(self.action_quit)


@run_async
async def test_quitting_before_the_hidden_panes_mount_is_clean() -> None:
    for _ in range(3):
        app = QuitsAtOnce(report=load_report(FIXTURE))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.2)
        assert app.return_value == load_report(FIXTURE).exit_code

