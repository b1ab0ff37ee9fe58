"""The vectorised bootstraps against plain loops that draw item indices, and PPI and the MDE
against their formulas written out by hand."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from tui_annotate.core.decide import bootstrap as boot
from tui_annotate.core.decide.power import paired_mde
from tui_annotate.core.decide.ppi import ppi


def loop_percentiles(stat: list[float]) -> tuple[float, float]:
    low, high = np.percentile([s for s in stat if not math.isnan(s)], [2.5, 97.5])
    return float(low), float(high)


def test_distinct_rows_are_numpys_unique_rows() -> None:
    rng = np.random.default_rng(3)
    x = np.column_stack(
        [rng.integers(-2, 3, 500), rng.integers(0, 2, 500), rng.random(500).round(1)]
    ).astype(float)
    rows, counts = boot.distinct_rows(x)
    want_rows, want_counts = np.unique(x, axis=0, return_counts=True)
    got = sorted(zip(map(tuple, rows.tolist()), counts.tolist(), strict=True))
    assert got == sorted(zip(map(tuple, want_rows.tolist()), want_counts.tolist(), strict=True))


def test_resample_sums_keep_the_total_and_the_seed() -> None:
    x = np.array([[1.0, 1.0], [0.0, 1.0], [1.0, 1.0], [5.0, 1.0]])
    a = boot.resample_sums(x, replicates=300, seed=7)
    assert a.shape == (300, 2)
    # Every replicate draws exactly n rows: the constant column sums to n.
    assert np.all(a[:, 1] == 4)
    assert np.array_equal(a, boot.resample_sums(x, replicates=300, seed=7))
    assert not np.array_equal(a, boot.resample_sums(x, replicates=300, seed=8))


def test_bootstrap_mean_agrees_with_an_index_drawing_loop() -> None:
    rng = np.random.default_rng(11)
    values = rng.integers(1, 6, 200).astype(float)
    ours = boot.bootstrap_mean(values, replicates=4000, seed=0)
    loop = np.random.default_rng(99)
    stats = [float(values[loop.integers(0, values.size, values.size)].mean()) for _ in range(4000)]
    want = loop_percentiles(stats)
    assert ours is not None
    # Two independent draws of the same resampling distribution: close, not equal.
    assert ours == pytest.approx(want, abs=0.04)
    assert ours[0] < values.mean() < ours[1]


def test_bootstrap_edges() -> None:
    assert boot.bootstrap_mean(np.array([]), replicates=100, seed=0) is None
    assert boot.bootstrap_mean(np.array([np.nan, np.nan]), replicates=100, seed=0) is None
    assert boot.bootstrap_mean(np.array([3.0, 3.0, 3.0]), replicates=100, seed=0) == (3.0, 3.0)
    assert boot.bootstrap_paired(np.zeros((0, 2)), replicates=10, seed=0) == [None, None]
    assert boot.bootstrap_composite(np.full((4, 2), np.nan), [1, 1], replicates=10, seed=0) is None


def test_paired_bootstrap_shares_one_draw_of_cases() -> None:
    d = np.array([[1.0, 2.0]] * 5 + [[0.0, 0.0]] * 15)
    ci_pass, ci_mean = boot.bootstrap_paired(d, replicates=2000, seed=0)
    assert ci_pass is not None and ci_mean is not None
    # The mean column is twice the pass column in every case, so in every replicate too.
    assert ci_mean == pytest.approx((2 * ci_pass[0], 2 * ci_pass[1]))
    assert 0.0 <= ci_pass[0] < 0.25 < ci_pass[1] <= 1.0


def test_composite_agrees_with_an_index_drawing_loop() -> None:
    rng = np.random.default_rng(5)
    n = 150
    passes = (rng.random((n, 3)) < [0.9, 0.6, 0.3]).astype(float)
    passes[rng.random((n, 3)) < 0.3] = np.nan
    weights = [2.0, 1.0, 1.0]
    ours = boot.bootstrap_composite(passes, weights, replicates=4000, seed=0)
    loop = np.random.default_rng(1)
    stats = []
    for _ in range(4000):
        draw = passes[loop.integers(0, n, n)]
        num = den = 0.0
        for r, w in enumerate(weights):
            col = draw[:, r][~np.isnan(draw[:, r])]
            if col.size:
                num += w * col.mean()
                den += w
        stats.append(num / den if den else math.nan)
    assert ours == pytest.approx(loop_percentiles(stats), abs=0.03)


def test_composite_value_weights_only_defined_rates() -> None:
    assert boot.composite_value([0.9, None, 0.5], [2, 5, 1]) == pytest.approx((1.8 + 0.5) / 3)
    assert boot.composite_value([None, None], [1, 1]) is None


def plain_ppi(
    f_n: Sequence[float], y: Sequence[float], f: Sequence[float]
) -> tuple[float, float, float]:
    big_n, n = len(f_n), len(y)
    mean_f = sum(f_n) / big_n
    rect = [a - b for a, b in zip(y, f, strict=True)]
    mean_r = sum(rect) / n
    var_f = sum((v - mean_f) ** 2 for v in f_n) / (big_n - 1)
    var_r = sum((v - mean_r) ** 2 for v in rect) / (n - 1)
    est = mean_f + mean_r
    half = 1.959964 * math.sqrt(var_f / big_n + var_r / n)
    return est, max(0.0, est - half), min(1.0, est + half)


def test_ppi_is_the_issues_formula() -> None:
    f_n = [1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0]
    y = [1, 0, 1, 0, 1, 0]
    f = [1, 1, 1, 0, 1, 1]
    got = ppi(np.array(f_n), np.array(y), np.array(f))
    est, low, high = plain_ppi(f_n, y, f)
    assert got.estimate == pytest.approx(est)
    assert got.ci == pytest.approx((low, high))
    assert (got.n_judge_only, got.n_both) == (12, 6)
    # A lenient judge (it passes what people fail) is corrected downward.
    assert got.estimate < sum(f_n) / len(f_n)


def test_ppi_clips_to_a_rate_and_is_undefined_on_too_little() -> None:
    clipped = ppi(np.ones(5), np.ones(3), np.zeros(3))
    assert clipped.estimate == 1.0 and clipped.ci is not None and clipped.ci[1] == 1.0
    assert ppi(np.ones(5), np.ones(1), np.ones(1)).ci is None
    assert ppi(np.ones(1), np.ones(4), np.ones(4)).ci is None
    assert ppi(np.array([]), np.ones(4), np.ones(4)).estimate is None
    assert ppi(np.ones(4), np.array([]), np.array([])).estimate is None
    unclipped = ppi(np.array([5.0, 4.0]), np.array([3.0, 3.0]), np.array([1.0, 2.0]), clip=None)
    assert unclipped.estimate == pytest.approx(4.5 + 1.5)


def test_paired_mde() -> None:
    assert paired_mde(0, 0) is None
    assert paired_mde(100, 20) == pytest.approx((1.959964 + 0.841621) * math.sqrt(0.2 / 100))
    # No discordant pair: the rule of three stands in for the unobserved share.
    assert paired_mde(100, 0) == pytest.approx((1.959964 + 0.841621) * math.sqrt(0.03 / 100))
    assert paired_mde(2, 2) == 1.0
    assert paired_mde(400, 40) < paired_mde(100, 10)  # type: ignore[operator]


def test_mean_interval_covers_the_truth_about_95_percent_of_the_time() -> None:
    # 300 seeded data sets of 80 draws from a known 5-point distribution: a fixed outcome.
    values = np.array([1, 2, 3, 4, 5], dtype=float)
    probs = np.array([0.1, 0.1, 0.2, 0.3, 0.3])
    truth = float(values @ probs)
    data = np.random.default_rng(2026)
    hits = 0
    for trial in range(300):
        sample = data.choice(values, size=80, p=probs)
        ci = boot.bootstrap_mean(sample, replicates=1000, seed=trial)
        assert ci is not None and ci[0] <= sample.mean() <= ci[1]
        hits += ci[0] <= truth <= ci[1]
    assert 0.90 <= hits / 300 <= 0.99


def test_ppi_composite_agrees_with_an_index_drawing_loop() -> None:
    rng = np.random.default_rng(8)
    n = 300
    judge = (rng.random((n, 2)) < [0.8, 0.6]).astype(float)
    human = np.where(rng.random((n, 2)) < 0.85, judge, 1 - judge)
    human[rng.random((n, 2)) < 0.6] = np.nan  # people labelled 40 %
    f_only = np.where(np.isnan(human), judge, np.nan)
    diff = human - judge
    weights = [1.0, 3.0]
    ours = boot.bootstrap_composite_ppi(f_only, diff, weights, replicates=4000, seed=0)
    loop = np.random.default_rng(2)
    stats = []
    for _ in range(4000):
        pick = loop.integers(0, n, n)
        f, d = f_only[pick], diff[pick]
        rates = []
        for r in range(2):
            fr, dr = f[:, r][~np.isnan(f[:, r])], d[:, r][~np.isnan(d[:, r])]
            rates.append(min(1.0, max(0.0, fr.mean() + dr.mean())))
        stats.append(float(np.dot(rates, weights) / sum(weights)))
    assert ours == pytest.approx(loop_percentiles(stats), abs=0.03)
