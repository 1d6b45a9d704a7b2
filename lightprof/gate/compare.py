"""Comparisons: a target against a reference, judged on a ratio with its bootstrap interval.

Three references, one rule. With `--base REV` the reference is the same target built from REV;
with `against` another target of the profile; both run interleaved with the target in one
session, so the ratio of each pair cancels the machine's drift. With a stored baseline that kept
its sample, both sessions ran the target interleaved with the same calibration command; the
ratio target/calibration of this session over the baseline's cancels drift between the sessions.

The check (FIELD-NOTES.md, "Which gate survives noise"): the p50 ratio regresses when it is beyond
1 + tolerance *and* its 95% interval lies wholly above 1. So a threshold equal to an effect
catches it about half the time; set `tolerance` to about half the slowdown you must catch. A p95
of 30 runs cannot decide (its interval has no finite upper bound), so a p95 row regresses only
together with the p50 check. `max_slowdown` is a budget on the interval's upper bound.
"""

from __future__ import annotations

from collections.abc import Sequence

from lightprof.model.target import Comparison, Summary
from lightprof.stats import bootstrap_median_ci, bootstrap_ratio_ci, median, percentile

# The machine is said to have drifted when the calibration moved by more than this since the
# baseline; the judged ratio is corrected for it, and the report says so.
DRIFT_NOTICE = 0.10


def pair_comparison(
    head_s: Sequence[float],
    base_s: Sequence[float],
    *,
    mode: str,
    tolerance: float,
    against: str | None = None,
    base: str | None = None,
    base_summary: Summary | None = None,
) -> Comparison:
    """Head against base run in pairs: the median of the per-pair ratios and its interval."""
    ratios = [h / b for h, b in zip(head_s, base_s, strict=True) if b > 0]
    ratio = median(ratios)
    half = len(base_s) // 2
    drift = median(base_s[half:]) / median(base_s[:half]) - 1 if half >= 2 else None
    comparison = Comparison(
        mode=mode, n=len(ratios), ratio_p50=ratio, ratio_p50_ci=bootstrap_median_ci(ratios),
        ratio_p95=_p95(head_s) / _p95(base_s), drift=drift, against=against, base=base,
        tolerance=tolerance, head_runs_s=list(head_s), base_runs_s=list(base_s), ratios=ratios,
        base_cold_start_s=base_summary,
    )
    comparison.verdict = ratio_verdict(comparison)
    return comparison


def baseline_comparison(
    head_s: Sequence[float],
    calibration_s: Sequence[float],
    *,
    baseline_head_s: Sequence[float],
    baseline_calibration_s: Sequence[float] | None,
    calibration: list[str] | None,
    tolerance: float,
) -> Comparison:
    """This session against a stored sample, corrected by the calibration run in both sessions.

    Without a calibration in the baseline (written from the TUI), the two samples' medians are
    compared as they are: the report says that drift is then not separated.
    """
    if baseline_calibration_s and calibration_s:
        now = [h / c for h, c in zip(head_s, calibration_s, strict=True) if c > 0]
        then = [h / c for h, c in zip(baseline_head_s, baseline_calibration_s, strict=True) if c > 0]
        drift = median(calibration_s) / median(baseline_calibration_s) - 1
        comparison = Comparison(
            mode="baseline", n=len(now), ratio_p50=median(now) / median(then),
            ratio_p50_ci=bootstrap_ratio_ci(now, then),
            ratio_p95=(_p95(head_s) / _p95(baseline_head_s)) / (1 + drift), drift=drift,
            calibration=calibration, tolerance=tolerance, head_runs_s=list(head_s),
            base_runs_s=list(calibration_s), ratios=now,
        )
        if abs(drift) > DRIFT_NOTICE:
            comparison.note = (
                f"machine drift: the calibration ({' '.join(calibration or [])}) is {drift * 100:+.0f}% "
                "against the baseline's session: only a change whose whole interval is beyond the tolerance is "
                "a regression; compare with --base to decide the rest"
            )
    else:
        comparison = Comparison(
            mode="baseline", n=len(head_s), ratio_p50=median(head_s) / median(baseline_head_s),
            ratio_p50_ci=bootstrap_ratio_ci(head_s, baseline_head_s),
            ratio_p95=_p95(head_s) / _p95(baseline_head_s), tolerance=tolerance,
            head_runs_s=list(head_s),
            note="the baseline has no calibration sample: a machine that got slower looks like a slower program",
        )
    comparison.verdict = ratio_verdict(comparison)
    return comparison


def _p95(values: Sequence[float]) -> float:
    return percentile(sorted(values), 0.95)


def drifted(comparison: Comparison) -> bool:
    """The machine's own speed moved beyond DRIFT_NOTICE since the stored baseline."""
    return comparison.mode == "baseline" and comparison.drift is not None and abs(comparison.drift) > DRIFT_NOTICE


def ratio_verdict(comparison: Comparison) -> str:
    """pass, regression, or inconclusive: beyond tolerance, but its interval still reaches 1.

    When the machine drifted since the stored baseline, the calibration's correction is itself in
    doubt (a busier machine does not slow every program alike: bench/bench_gate.py, conditions
    bursty and hog), so only an interval wholly beyond the tolerance is a regression there; a
    change beyond it by the estimate alone is inconclusive, said as drift. `--base` and
    `against` compare within one session and are not affected.
    """
    if comparison.ratio_p50 <= 1 + comparison.tolerance:
        return "pass"
    floor = 1 + comparison.tolerance if drifted(comparison) else 1.0
    return "regression" if comparison.ratio_p50_ci[0] > floor else "inconclusive"


def undecided(comparison: Comparison, max_slowdown: float | None) -> bool:
    """Would more pairs settle a check? True when the interval straddles the regression
    threshold, or reaches over `max_slowdown` while the estimate is within it."""
    low, high = comparison.ratio_p50_ci
    if low <= 1 + comparison.tolerance <= high:
        return True
    return max_slowdown is not None and comparison.ratio_p50 <= 1 + max_slowdown < high


def metric_ratio(comparison: Comparison, stat: str, measured: float, reference: float | None) -> float | None:
    """The ratio a row of `stat` (p50, p95, ...) is judged on: the p50 check's own ratio, else the
    figure over its reference, corrected for drift against a stored baseline."""
    if stat == "p50":
        return comparison.ratio_p50
    if reference is None or reference <= 0:
        return None
    ratio = measured / reference
    if comparison.mode == "baseline" and comparison.drift is not None:
        ratio /= 1 + comparison.drift
    return ratio


def row_verdict(comparison: Comparison, stat: str, ratio: float | None) -> tuple[str, str]:
    """The verdict of a timing row and a note: the p50 check decides; a p95 (or p99, mean) row
    follows it only when its own ratio is beyond tolerance too, and never decides alone."""
    check = comparison.verdict
    threshold = 1 + comparison.tolerance
    if check == "inconclusive" and (stat == "p50" or (ratio is not None and ratio > threshold)):
        return check, _why_inconclusive(comparison)
    if stat == "p50" or check == "pass":
        if check == "pass" and stat != "p50" and ratio is not None and ratio > threshold:
            return "pass", (
                f"{stat} is {(ratio - 1) * 100:+.0f}% but the median did not move beyond tolerance; "
                f"a {stat} of {comparison.n} runs does not decide alone"
            )
        return check, ""
    if ratio is None or ratio <= threshold:
        moved = (comparison.ratio_p50 - 1) * 100
        return "pass", f"the median moved ({moved:+.1f}%) but the {stat} stayed within tolerance"
    return check, ""


def _why_inconclusive(comparison: Comparison) -> str:
    if drifted(comparison):
        drift = comparison.drift or 0.0
        return (f"the machine drifted {drift * 100:+.0f}% since the baseline (its calibration), so only a "
                "change whose whole interval is beyond the tolerance counts as a regression")
    low, high = comparison.ratio_p50_ci
    stopped = f" ({comparison.stopped_by} reached)" if comparison.stopped_by else ""
    return f"beyond tolerance, but its 95% interval {low:.3f}–{high:.3f} still reaches 1{stopped}"
