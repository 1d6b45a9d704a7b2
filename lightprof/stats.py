"""Percentiles, confidence intervals, outliers: how a set of samples becomes a summary.

Percentiles interpolate linearly between order statistics (NumPy's default, "type 7"). The
confidence interval of a percentile is distribution-free: the pair of order statistics that
bracket the true quantile with at least 95% probability, from the binomial distribution of how
many samples fall below it. Outliers use hyperfine's rule: a modified Z-score above 14.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from lightprof.model.target import Summary

CONFIDENCE = 0.95
OUTLIER_Z = 14.0


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th quantile (0..1) of already sorted values, interpolated linearly."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    pos = (len(sorted_values) - 1) * q
    lower = math.floor(pos)
    upper = min(lower + 1, len(sorted_values) - 1)
    frac = pos - lower
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * frac


def _binom_cdfs(n: int, p: float) -> list[float]:
    """P(X <= k) for every k in 0..n, X ~ Binomial(n, p), in one pass (terms in log space, so
    large n stays exact enough). One pass, not one sum per k: that was O(n²), seconds at n=1000."""
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n_fact = math.lgamma(n + 1)
    cdfs: list[float] = []
    total = 0.0
    for i in range(n + 1):
        total += math.exp(log_n_fact - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q)
        cdfs.append(min(total, 1.0))
    return cdfs


def quantile_ci(sorted_values: Sequence[float], q: float, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """A distribution-free confidence interval for the q-th quantile.

    Picks ranks l < u, as symmetric around n*q as possible, with P(X_(l) <= Q_q <= X_(u)) >=
    confidence. With too few samples for that coverage the interval widens to [min, max].
    """
    n = len(sorted_values)
    if n == 0:
        raise ValueError("confidence interval of no values")
    if n == 1:
        return (sorted_values[0], sorted_values[0])
    alpha = (1 - confidence) / 2
    cdf = _binom_cdfs(n, q)
    # Lower rank: the largest l (1-based) with P(B <= l-1) <= alpha; upper: the smallest u with
    # P(B <= u-1) >= 1-alpha, where B ~ Binomial(n, q) counts samples below the quantile.
    lower = 1
    for rank in range(1, n + 1):
        if cdf[rank - 1] <= alpha:
            lower = rank
        else:
            break
    upper = n
    for rank in range(max(lower, 1), n + 1):
        if cdf[rank - 1] >= 1 - alpha:
            upper = rank
            break
    return (sorted_values[lower - 1], sorted_values[upper - 1])


def mean_ci(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Normal-approximation confidence interval of the mean."""
    n = len(values)
    mean = statistics.fmean(values)
    if n < 2:
        return (mean, mean)
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    half = z * statistics.stdev(values) / math.sqrt(n)
    return (mean - half, mean + half)


def count_outliers(values: Sequence[float]) -> int:
    """How many values have a modified Z-score above 14 (hyperfine's rule)."""
    if len(values) < 3:
        return 0
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    if mad == 0:
        return 0
    return sum(1 for v in values if abs(0.6745 * (v - median) / mad) > OUTLIER_Z)


def summarize(values: Sequence[float], failed: int = 0) -> Summary:
    """Summarise samples (at least one) into the figures reports and budgets use."""
    if not values:
        raise ValueError("cannot summarise zero samples")
    ordered = sorted(values)
    return Summary(
        n=len(ordered),
        failed=failed,
        min=ordered[0],
        p50=percentile(ordered, 0.50),
        p95=percentile(ordered, 0.95),
        p99=percentile(ordered, 0.99),
        max=ordered[-1],
        mean=statistics.fmean(ordered),
        stdev=statistics.stdev(ordered) if len(ordered) > 1 else 0.0,
        outliers=count_outliers(ordered),
        p50_ci=quantile_ci(ordered, 0.50),
        p95_ci=quantile_ci(ordered, 0.95),
        p99_ci=quantile_ci(ordered, 0.99),
        mean_ci=mean_ci(ordered),
    )


# --------------------------------------------------------------------------- ratios and bootstrap

BOOTSTRAP_RESAMPLES = 2000
# A fixed seed: the same samples always give the same interval, so a verdict can be reproduced
# from a saved report.
BOOTSTRAP_SEED = 20240611


def median(values: Sequence[float]) -> float:
    """The median (mean of the two middle values for an even count)."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of no values")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def bootstrap_median_ci(
    values: Sequence[float], confidence: float = CONFIDENCE, resamples: int = BOOTSTRAP_RESAMPLES
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of the median of `values` (e.g. per-pair ratios)."""
    return _percentile_interval(_bootstrap(values, None, resamples), confidence)


def bootstrap_ratio_ci(
    numerator: Sequence[float],
    denominator: Sequence[float],
    confidence: float = CONFIDENCE,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[float, float]:
    """Percentile-bootstrap interval of median(numerator) / median(denominator), two samples
    resampled independently: how far apart two medians are, with both samples' spread."""
    return _percentile_interval(_bootstrap(numerator, denominator, resamples), confidence)


def _bootstrap(a: Sequence[float], b: Sequence[float] | None, resamples: int) -> list[float]:
    import random  # only a comparison needs it

    if not a or (b is not None and not b):
        raise ValueError("bootstrap of no values")
    rng = random.Random(BOOTSTRAP_SEED)
    choices = rng.choices
    na, mid_a, even_a = len(a), len(a) // 2, len(a) % 2 == 0
    stats: list[float] = []
    for _ in range(resamples):
        sa = sorted(choices(a, k=na))
        stat = (sa[mid_a - 1] + sa[mid_a]) / 2 if even_a else sa[mid_a]
        if b is not None:
            nb = len(b)
            sb = sorted(choices(b, k=nb))
            mb = (sb[nb // 2 - 1] + sb[nb // 2]) / 2 if nb % 2 == 0 else sb[nb // 2]
            stat = stat / mb if mb else math.inf
        stats.append(stat)
    stats.sort()
    return stats


def _percentile_interval(ordered: Sequence[float], confidence: float) -> tuple[float, float]:
    alpha = (1 - confidence) / 2
    return (percentile(ordered, alpha), percentile(ordered, 1 - alpha))
