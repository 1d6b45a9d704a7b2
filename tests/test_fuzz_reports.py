"""Fuzz: 350 hostile reports for `--open`, seeded. Every one is either refused with one sentence
naming the file and the field (exit 2), or loads into a Result that every renderer draws and that
survives a round trip through --json; a share goes through the real `lightprof --open`, and
reports that load are opened in the TUI (tests/test_fuzz_tui.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from lightprof.errors import ProfileError
from lightprof.model.report_file import load_report
from lightprof.model.result import Result
from lightprof.report.github import annotation_commands
from lightprof.report.junit import render_junit
from lightprof.report.markdown import render_markdown
from lightprof.report.table import render_table
from tests.fuzz_support import (
    BYTE_MUTATIONS,
    MUTATIONS,
    Case,
    assert_handled,
    check_cli,
    check_sentence,
    every_nth,
    generate,
    json_bytes,
    non_finite_numbers,
    run_cli,
)

FIXTURE = Path(__file__).parent / "fixtures" / "report.json"
BASE: dict[str, Any] = json.loads(FIXTURE.read_text())
NAMES = [(kind, i, "name") for kind in ("targets", "artifacts", "images", "kernels") for i in range(len(BASE[kind]))]
PER_MUTATION = {m: (35 if m not in BYTE_MUTATIONS else 14) for m in MUTATIONS}
CASES = generate("report", BASE, json_bytes, names=NAMES, per_mutation=PER_MUTATION)
CLI_SHARE = 24


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-reports")
    for case in CASES:
        (folder / f"{case.id}.json").write_bytes(case.data)
    return folder


def drawn_everywhere(result: Result) -> str | None:
    """Render a loaded report every way lightprof renders one; what goes wrong, or None."""
    if bad := next(non_finite_numbers(result), None):
        return f"loaded a non-finite number at {bad}"
    render_table(result, colour=True)
    render_table(result, colour=False, unicode=False)
    render_markdown(result)
    annotation_commands(result)
    try:
        ElementTree.fromstring(render_junit(result).split("\n", 1)[1])
    except ElementTree.ParseError as exc:
        return f"JUnit XML does not parse: {exc}"
    again = Result.from_dict(json.loads(result.to_json()))
    if again.to_dict() != result.to_dict():
        return "changed in a round trip through --json"
    return None


def outcome_in_process(path: Path, case: Case) -> tuple[str | None, str | None]:
    """(what is wrong or None, the refusal message or None)."""
    try:
        result = load_report(path)
    except ProfileError as exc:
        return check_sentence(exc.message, [path.name], case), exc.message
    except Exception as exc:  # noqa: BLE001 - the point: nothing else may escape
        return f"uncaught {type(exc).__name__} on load: {str(exc)[:200]}", None
    try:
        return drawn_everywhere(result), None
    except Exception as exc:  # noqa: BLE001
        return f"uncaught {type(exc).__name__} rendering: {str(exc)[:200]}", None


def test_at_least_350_reports_are_generated_from_every_mutation() -> None:
    assert len(CASES) >= 350
    assert {case.mutation for case in CASES} == set(MUTATIONS)


def test_the_base_report_loads_and_renders() -> None:
    assert drawn_everywhere(load_report(FIXTURE)) is None


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_every_hostile_report_is_one_sentence_or_renders_everywhere(case_dir: Path, mutation: str) -> None:
    assert_handled([c for c in CASES if c.mutation == mutation],
                   lambda case: outcome_in_process(case_dir / f"{case.id}.json", case)[0])


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("deep-100k", '{"schema": 1, "targets": ' + "[" * 100_000 + "]" * 100_000 + "}", ["nest too deeply"]),
        ("nan-literal", FIXTURE.read_text().replace('"wall_s": 0.2,', '"wall_s": NaN,', 1), ["wall_s", "finite"]),
        ("infinity-literal", FIXTURE.read_text().replace('"cores": 2', '"cores": Infinity', 1), ["cores", "integer"]),
        ("huge-integer", FIXTURE.read_text().replace('"cores": 2', '"cores": ' + "9" * 400, 1), ["cores", "64 bits"]),
        ("budgets-null", FIXTURE.read_text().replace('"budgets": [', '"budgets": [null, ', 1), ["budgets[0]"]),
        ("schema-true", FIXTURE.read_text().replace('"schema": 1', '"schema": true', 1), ["schema"]),
        ("not-an-object", "[1, 2, 3]", ["not a lightprof JSON report"]),
    ],
)
def test_handmade_hostile_reports_are_one_sentence(tmp_path: Path, name: str, text: str, words: list[str]) -> None:
    path = tmp_path / f"{name}.json"
    path.write_text(text)
    with pytest.raises(ProfileError) as caught:
        load_report(path)
    message = caught.value.message
    assert "\n" not in message and message.startswith(str(path))
    for word in words:
        assert word in message, message


def test_a_share_of_hostile_reports_through_the_real_command(case_dir: Path) -> None:
    """`lightprof --open` answers a refused report with exit 2 and the same sentence, and one that
    loads with the UI's own refusal to start without a terminal (those open through Pilot in
    tests/test_fuzz_tui.py)."""
    refused = [c for c in CASES if outcome_in_process(case_dir / f"{c.id}.json", c)[1] is not None]
    loaded = [c for c in CASES if c not in refused]

    def run(case: Case) -> str | None:
        folder = case_dir / f"cli-{case.id}"
        folder.mkdir()
        (folder / "r.json").write_bytes(case.data)
        _wrong, message = outcome_in_process(folder / "r.json", case)
        outcome = run_cli(["--open", "r.json"], cwd=folder)
        wrong = check_cli(outcome, ["r.json"], case) if message is not None else None
        expected = ("lightprof: " + message.replace(str(folder / "r.json"), "r.json") if message is not None
                    else "lightprof: the interactive UI needs a terminal; use --headless in scripts and CI")
        if wrong is None and (outcome.code, outcome.stderr.strip()) != (2, expected):
            wrong = f"exit {outcome.code}, {outcome.stderr.strip()[:200]!r}; expected {expected[:200]!r}"
        return wrong

    share = every_nth(refused, CLI_SHARE * 2 // 3) + every_nth(loaded, CLI_SHARE // 3)
    assert_handled(share, run, threads=2)
