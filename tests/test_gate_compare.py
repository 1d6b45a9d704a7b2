"""The gate's comparisons: ratios with bootstrap intervals, the rules that turn them into verdicts,
and the interleaved runner (real processes; no assertion on how fast anything is)."""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lightprof.gate import compare
from lightprof.gate.figures import Figure
from lightprof.gate.judge import exit_code, judge_figure
from lightprof.measure.target.interleave import Side, measure_interleaved
from lightprof.profile.spec import TargetSpec
from lightprof.stats import bootstrap_median_ci, bootstrap_ratio_ci, median

PY = sys.executable


@pytest.fixture(scope="module", autouse=True)
def not_a_subreaper_afterwards() -> Iterator[None]:
    """The runner tests spawn in this process, which makes it a child subreaper (as lightprof is);
    afterwards it stops being one, so orphans of later tests' subprocesses go to init as before."""
    yield
    import ctypes

    from lightprof.measure.target import process

    ctypes.CDLL(None, use_errno=True).prctl(36, 0, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER off
    process._subreaper_done = False
    while True:  # reap what was adopted meanwhile
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break


def noisy(rng: random.Random, centre: float, n: int = 30) -> list[float]:
    return [centre * rng.lognormvariate(0, 0.08) for _ in range(n)]


# --------------------------------------------------------------------------- statistics


def test_median_of_odd_and_even_counts() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    with pytest.raises(ValueError):
        median([])


def test_bootstrap_interval_brackets_the_estimate_and_is_reproducible() -> None:
    rng = random.Random(1)
    values = noisy(rng, 1.0)
    low, high = bootstrap_median_ci(values)
    assert low <= median(values) <= high
    assert bootstrap_median_ci(values) == (low, high)  # a fixed seed: same samples, same verdict


def test_bootstrap_ratio_interval_covers_one_for_two_samples_of_one_distribution() -> None:
    rng = random.Random(2)
    covered = 0
    for _ in range(60):
        low, high = bootstrap_ratio_ci(noisy(rng, 1.0), noisy(rng, 1.0))
        covered += low <= 1.0 <= high
    assert covered >= 51  # ~95% nominal; a loose floor, the bench measures the real rate


def test_bootstrap_ratio_interval_excludes_one_for_a_large_shift() -> None:
    rng = random.Random(3)
    low, high = bootstrap_ratio_ci(noisy(rng, 1.5), noisy(rng, 1.0))
    assert 1.0 < low < 1.5 < high


# --------------------------------------------------------------------------- comparisons


def pairs(rng: random.Random, ratio: float, n: int = 30) -> tuple[list[float], list[float]]:
    base = noisy(rng, 0.01, n)
    return [b * ratio * rng.lognormvariate(0, 0.02) for b in base], base


def test_pair_comparison_judges_the_median_of_per_pair_ratios() -> None:
    rng = random.Random(4)
    head, base = pairs(rng, 1.3)
    comparison = compare.pair_comparison(head, base, mode="against", tolerance=0.10, against="old")
    assert comparison.verdict == "regression"
    assert comparison.ratio_p50 == pytest.approx(1.3, rel=0.03)
    assert comparison.ratio_p50_ci[0] > 1.0
    assert comparison.n == 30 and comparison.ratios and comparison.against == "old"
    assert comparison.head_runs_s == head and comparison.base_runs_s == base


def test_pair_comparison_within_tolerance_passes() -> None:
    rng = random.Random(5)
    head, base = pairs(rng, 1.0)
    assert compare.pair_comparison(head, base, mode="base", tolerance=0.10, base="main").verdict == "pass"


def test_machine_drift_cancels_in_the_calibrated_baseline_ratio() -> None:
    """The machine got 40% slower between the sessions: target and calibration alike."""
    rng = random.Random(6)
    then_t, then_c = pairs(rng, 2.0)
    now_c = [c * 1.4 for c in noisy(rng, 0.01)]
    now_t = [c * 2.0 * rng.lognormvariate(0, 0.02) for c in now_c]
    comparison = compare.baseline_comparison(now_t, now_c, baseline_head_s=then_t, baseline_calibration_s=then_c,
                                             calibration=["true"], tolerance=0.10)
    assert comparison.verdict == "pass"
    assert comparison.drift == pytest.approx(0.4, abs=0.08)
    assert "drift" in comparison.note
    raw = compare.baseline_comparison(now_t, [], baseline_head_s=then_t, baseline_calibration_s=None,
                                      calibration=None, tolerance=0.10)
    assert raw.verdict == "regression"  # what a baseline without its calibration would have said
    assert "no calibration" in raw.note


def test_beyond_tolerance_but_interval_reaching_one_is_inconclusive() -> None:
    comparison = compare.pair_comparison([1.0], [1.0], mode="base", tolerance=0.10)
    comparison.ratio_p50, comparison.ratio_p50_ci = 1.2, (0.95, 1.4)
    assert compare.ratio_verdict(comparison) == "inconclusive"
    assert compare.undecided(comparison, None)


def test_p95_never_decides_alone() -> None:
    rng = random.Random(7)
    head, base = pairs(rng, 1.0)
    comparison = compare.pair_comparison(head, base, mode="base", tolerance=0.10)
    verdict, note = compare.row_verdict(comparison, "p95", 1.5)
    assert verdict == "pass" and "does not decide alone" in note
    comparison.verdict = "regression"
    assert compare.row_verdict(comparison, "p95", 1.5)[0] == "regression"
    assert compare.row_verdict(comparison, "p95", 1.02)[0] == "pass"  # the median moved, the tail did not


# --------------------------------------------------------------------------- verdicts


def compared_figure(comparison: compare.Comparison, *, stat: str = "p50", fails: bool = False) -> Figure:
    return Figure("t", f"cold_start_{stat}", 0.012, 1.0, "s", ci=(0.011, 0.013), comparison=comparison,
                  stat=stat, reference=0.010, inconclusive_fails=fails)


def test_comparison_decides_a_timing_row_and_exit_code() -> None:
    rng = random.Random(8)
    comparison = compare.pair_comparison(*pairs(rng, 1.3), mode="base", tolerance=0.10, base="main")
    row = judge_figure(compared_figure(comparison), None)
    assert row.verdict == "regression" and row.fails_build
    assert row.baseline == 0.010 and row.delta == pytest.approx(0.2)  # delta stays measured/reference - 1
    assert row.ratio == comparison.ratio_p50 and row.ratio_ci == comparison.ratio_p50_ci
    assert exit_code([row]) == 1


def test_inconclusive_warns_unless_the_profile_says_fail() -> None:
    comparison = compare.pair_comparison([1.0], [1.0], mode="base", tolerance=0.10)
    comparison.ratio_p50, comparison.ratio_p50_ci, comparison.verdict = 1.2, (0.95, 1.4), "inconclusive"
    warned = judge_figure(compared_figure(comparison), None)
    assert warned.verdict == "inconclusive" and not warned.fails_build and exit_code([warned]) == 0
    failed = judge_figure(compared_figure(comparison, fails=True), None)
    assert failed.verdict == "inconclusive" and failed.fails_build and exit_code([failed]) == 1


def test_max_slowdown_holds_the_upper_bound_and_is_inconclusive_when_only_the_bound_is_over() -> None:
    def slowdown(estimate: float, upper: float) -> str:
        figure = Figure("t", "max_slowdown", upper, 0.05, "ratio", estimate=estimate)
        return judge_figure(figure, None).verdict

    assert slowdown(0.01, 0.04) == "pass"
    assert slowdown(0.08, 0.11) == "fail"
    assert slowdown(0.03, 0.07) == "inconclusive"


def test_one_number_baseline_is_weak_for_a_noisy_figure() -> None:
    """Against one number the whole interval must be beyond baseline × (1 + tolerance)."""
    beyond_by_estimate = Figure("t", "cold_start_p50", 0.125, 1.0, "s", ci=(0.105, 0.15), tolerance=0.1)
    row = judge_figure(beyond_by_estimate, 0.10)
    assert row.verdict == "pass" and "noise" in row.note
    wholly_beyond = Figure("t", "cold_start_p50", 0.125, 1.0, "s", ci=(0.115, 0.15), tolerance=0.1)
    assert judge_figure(wholly_beyond, 0.10).verdict == "regression"


# --------------------------------------------------------------------------- the interleaved runner


def spec(tmp_path: Path, name: str, code: str, **kwargs: object) -> TargetSpec:
    fields: dict[str, object] = {"runs": 6, "warmup": 1, "max_runs": 6}
    fields.update(kwargs)
    return TargetSpec(name=name, command=(PY, "-S", "-c", code), cwd=tmp_path, **fields)  # type: ignore[arg-type]


def test_interleaved_runs_pair_both_sides_in_both_orders(tmp_path: Path) -> None:
    log = tmp_path / "order.log"
    head = spec(tmp_path, "head", f"open({str(log)!r}, 'a').write('h')", runs=20, max_runs=20)
    base = spec(tmp_path, "base", f"open({str(log)!r}, 'a').write('b')")
    home = os.getcwd()

    out = measure_interleaved(Side(head, "head"), Side(base, "base", memory=False), seed=11)

    assert os.getcwd() == home
    assert out.head.error is None and out.base.error is None
    assert len(out.head_s) == len(out.base_s) == 20
    order = log.read_text()
    # 1 warm-up pair + 20 pairs, then the head's memory measure (the engine's; base has none here).
    pairs_written = [order[i:i + 2] for i in range(0, 42, 2)]
    assert set(pairs_written) == {"hb", "bh"}  # each pair both sides, in random order
    assert order[42:] and set(order[42:]) == {"h"}
    assert out.head.memory is not None and out.base.memory is None
    assert out.head.cold_start_s is not None and out.head.cold_start_s.n == 20


def test_more_pairs_stop_at_max_runs_and_max_time(tmp_path: Path) -> None:
    asked: list[int] = []

    def always(head_s: list[float], base_s: list[float]) -> int:
        asked.append(len(head_s))
        return 3

    head = spec(tmp_path, "head", "pass", runs=4, max_runs=10)
    out = measure_interleaved(Side(head, "h", memory=False), Side(spec(tmp_path, "base", "pass"), "b", memory=False),
                              more_pairs=always)
    assert len(out.head_s) == 10 and out.extra_pairs == 6 and out.stopped_by == "max_runs"
    assert asked[0] == 4

    timed = spec(tmp_path, "head", "pass", runs=4, max_runs=1000, max_time=0.0)
    out = measure_interleaved(Side(timed, "h", memory=False), Side(spec(tmp_path, "base", "pass"), "b", memory=False),
                              more_pairs=always)
    assert len(out.head_s) == 4 and out.stopped_by == "max_time"


def test_a_failing_side_stops_the_pairs_and_carries_the_error(tmp_path: Path) -> None:
    head = spec(tmp_path, "head", "pass")
    base = spec(tmp_path, "base", "raise SystemExit(4)")
    out = measure_interleaved(Side(head, "h"), Side(base, "b"))
    assert out.base.error is not None and "exited with code 4" in out.base.error
    assert out.head.error is None and out.head.memory is None  # no memory run after a failure


def test_each_side_runs_in_its_own_folder(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    code = "import os; open('where.log', 'a').write(os.getcwd() + '\\n')"
    out = measure_interleaved(Side(spec(a, "a", code), "a", memory=False), Side(spec(b, "b", code), "b", memory=False))
    assert out.head.error is None and out.base.error is None
    assert set((a / "where.log").read_text().split()) == {str(a)}
    assert set((b / "where.log").read_text().split()) == {str(b)}


def test_a_report_with_a_comparison_loads_back(tmp_path: Path) -> None:
    """--open reads what --json wrote: the comparison, both sides' runs and the new row fields."""
    from lightprof.model.report_file import load_report
    from lightprof.model.target import Calibration, TargetResult
    from lightprof.model.verdict import BudgetRow
    from lightprof.profile.spec import Profile
    from lightprof.session import new_result
    from lightprof.stats import summarize

    rng = random.Random(9)
    head, base = pairs(rng, 1.2)
    comparison = compare.pair_comparison(head, base, mode="base", tolerance=0.05, base="main (abc)",
                                         base_summary=summarize(base))
    result = new_result(Profile(name="p", path=None, origin="adhoc"))
    result.base = "main (abc)"
    result.targets.append(TargetResult(name="t", command=["x"], ready="exit", cold_start_s=summarize(head),
                                       comparison=comparison, calibration=Calibration(["true"], base)))
    result.budgets.append(BudgetRow(subject="t", metric="cold_start_p50", limit=1.0, measured=0.012, baseline=0.01,
                                    delta=0.2, verdict="regression", ratio=1.2, ratio_ci=(1.1, 1.3), fails_build=True))
    path = tmp_path / "report.json"
    path.write_text(result.to_json())

    loaded = load_report(path)

    assert loaded.base == "main (abc)"
    back = loaded.targets[0].comparison
    assert back is not None and back.mode == "base" and back.ratio_p50 == comparison.ratio_p50
    assert back.ratio_p50_ci == comparison.ratio_p50_ci and back.head_runs_s == head and back.base_runs_s == base
    assert back.base_cold_start_s is not None and back.base_cold_start_s.n == 30
    assert loaded.targets[0].calibration == Calibration(["true"], base)
    assert loaded.budgets[0].ratio_ci == (1.1, 1.3) and loaded.budgets[0].fails_build
