"""The closed-form statistics of deciding, against scipy and published examples."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest

from tui_annotate.core.decide import stats


@pytest.mark.parametrize(("k", "n"), [(0, 1), (17, 20), (850, 1000), (20, 20), (0, 30), (3, 7)])
def test_wilson_matches_scipy(k: int, n: int) -> None:
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert stats.wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-6)


def test_wilson_tells_17_of_20_from_850_of_1000() -> None:
    small, large = stats.wilson(17, 20), stats.wilson(850, 1000)
    assert small is not None and large is not None
    assert small[1] - small[0] > 4 * (large[1] - large[0])


def test_empty_evidence_is_undefined_not_zero() -> None:
    assert stats.wilson(0, 0) is None
    assert stats.rate(0, 0) is None
    assert stats.rule_of_three(0) is None
    assert stats.newcombe_diff(1, 2, 0, 0) is None
    assert stats.mcnemar_exact_p(0, 0) == 1.0


def test_rule_of_three() -> None:
    assert stats.rule_of_three(30) == pytest.approx(0.1)
    assert stats.rule_of_three(2) == 1.0


@pytest.mark.parametrize(("b", "c"), [(1, 0), (10, 2), (5, 5), (0, 7), (30, 12)])
def test_mcnemar_is_the_binomial_test_of_discordant_pairs(b: int, c: int) -> None:
    expected = binomtest(c, b + c, 0.5, alternative="two-sided").pvalue
    assert stats.mcnemar_exact_p(b, c) == pytest.approx(expected)


def test_holm_by_hand() -> None:
    # m = 3: sorted 0.01, 0.02, 0.04 → 0.03, 0.04, 0.04 (monotone), back in input order.
    assert stats.holm([0.04, 0.01, None, 0.02]) == pytest.approx([0.04, 0.03, None, 0.04])
    assert stats.holm([0.6, 0.9]) == [1.0, 1.0]


def test_newcombe_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II example (a): 56/70 vs 48/80,
    # method 10 gives 0.0524 to 0.3339 for p1 − p2 = 0.2.
    ci = stats.newcombe_diff(48, 80, 56, 70)
    assert ci == pytest.approx((0.0524, 0.3339), abs=5e-4)


@pytest.mark.parametrize("seed", range(5))
def test_exact_binomial_matches_scipy_on_random_cases(seed: int) -> None:
    import random

    rng = random.Random(seed)
    for _ in range(40):
        n = rng.choice([1, 2, 5, 13, 40, 101, 1000, 20000])
        k = rng.randint(0, n)
        p = rng.choice([0.5, 0.5, 0.3, 0.9])
        expected = binomtest(k, n, p, alternative="two-sided").pvalue
        assert stats.binom_two_sided_p(k, n, p) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_exact_binomial_symmetric_ties_and_extremes() -> None:
    assert stats.binom_two_sided_p(5, 10) == pytest.approx(1.0)
    assert stats.binom_two_sided_p(0, 10) == pytest.approx(2 * 0.5**10)
    assert stats.binom_two_sided_p(10, 10) == pytest.approx(2 * 0.5**10)
    with pytest.raises(ValueError):
        stats.binom_two_sided_p(1, 2, 1.0)
