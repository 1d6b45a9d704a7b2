from __future__ import annotations

import random

import numpy as np
import pytest

from lightprof.gate.figures import Figure
from lightprof.gate.judge import exit_code, judge_figure, undecided
from lightprof.stats import count_outliers, percentile, quantile_ci, summarize


def test_percentiles_match_numpy_linear_interpolation() -> None:
    rng = random.Random(4)
    values = sorted(rng.lognormvariate(0, 0.5) for _ in range(137))
    for q in (0.0, 0.5, 0.95, 0.99, 1.0):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q * 100)))


def test_quantile_ci_covers_the_true_median_about_95_percent_of_the_time() -> None:
    rng = random.Random(7)
    hits = 0
    trials = 400
    for _ in range(trials):
        sample = sorted(rng.expovariate(1.0) for _ in range(30))
        low, high = quantile_ci(sample, 0.5)
        hits += low <= 0.6931 <= high  # median of Exp(1) is ln 2
    assert 0.92 <= hits / trials <= 0.995


def test_p95_ci_brackets_p95() -> None:
    summary = summarize([float(i) for i in range(1, 101)])
    assert summary.p95_ci[0] <= summary.p95 <= summary.p95_ci[1]
    assert summary.n == 100 and summary.min == 1 and summary.max == 100


def test_outliers_use_modified_z_score() -> None:
    values = [1.0] * 10 + [1.1] * 10 + [50.0]
    assert count_outliers(values) == 1
    assert count_outliers([1.0, 1.1, 1.2, 1.3]) == 0


def test_over_limit_fails_and_within_passes() -> None:
    assert judge_figure(Figure("t", "cold_start_p95", 0.3, 0.25, "s"), None).verdict == "fail"
    assert judge_figure(Figure("t", "cold_start_p95", 0.2, 0.25, "s"), None).verdict == "pass"


def test_regression_needs_tolerance_and_confidence() -> None:
    slower = Figure("t", "cold_start_p95", 0.15, 1.0, "s", ci=(0.14, 0.16), tolerance=0.1)
    assert judge_figure(slower, 0.10).verdict == "regression"
    noisy = Figure("t", "cold_start_p95", 0.115, 1.0, "s", ci=(0.09, 0.14), tolerance=0.1)
    row = judge_figure(noisy, 0.10)
    assert row.verdict == "pass" and "noise" in row.note
    within = Figure("t", "cold_start_p95", 0.105, 1.0, "s", ci=(0.104, 0.106), tolerance=0.1)
    assert judge_figure(within, 0.10).verdict == "pass"


def test_exact_sizes_regress_by_bytes() -> None:
    grown = Figure("bundle", "size", 1_200, 10_000, "bytes", kind="artifact", tolerance=0.1)
    row = judge_figure(grown, 1_000)
    assert row.verdict == "regression"
    assert row.delta == pytest.approx(0.2)


def test_higher_is_better_figures_fail_below_their_floor() -> None:
    assert judge_figure(Figure("img", "efficiency", 0.8, 0.9, "ratio", higher_is_better=True), None).verdict == "fail"
    assert judge_figure(Figure("img", "efficiency", 0.95, 0.9, "ratio", higher_is_better=True), None).verdict == "pass"


def test_unmeasured_and_forced_verdicts() -> None:
    assert judge_figure(Figure("t", "rss_peak", None, 100, "bytes"), None).verdict == "unmeasured"
    forced = Figure("k", "wasm", None, None, "count", forced_verdict="fail", note="why")
    assert judge_figure(forced, None).verdict == "fail"


def test_undecided_when_interval_straddles_limit() -> None:
    assert undecided(Figure("t", "cold_start_p95", 0.24, 0.25, "s", ci=(0.23, 0.26)), None)
    assert not undecided(Figure("t", "cold_start_p95", 0.20, 0.25, "s", ci=(0.19, 0.21)), None)


def test_exit_code_is_1_on_any_failure() -> None:
    rows = [judge_figure(Figure("t", "m", 1, 2, "s"), None), judge_figure(Figure("t", "n", 3, 2, "s"), None)]
    assert exit_code(rows) == 1
    assert exit_code(rows[:1]) == 0
