"""Krippendorff's alpha against published worked examples, a second simple implementation and properties."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_annotate.core.agreement import (
    Ratings,
    alpha,
    alpha_from_counts,
    bootstrap_alpha,
)
from tui_annotate.core.diagnostics import cohen_kappa, disputed, pairwise, per_annotator

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# four observers, twelve units, values 1-5, missing values.
K2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}
K2011_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# Wikipedia, "Krippendorff's alpha", the worked example (three coders, fifteen units).
WIKI = {
    "A": [None] * 5 + [3, 4, 1, 2, 1, 1, 3, 3, None, 3],
    "B": [1, None, 2, 1, 3, 3, 4, 3] + [None] * 7,
    "C": [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
}
WIKI_ALPHA = {"nominal": 0.691, "interval": 0.811}


def triples(table: dict[str, list[int | None]]) -> list[tuple[int, str, int]]:
    return [(u, a, v) for a, row in table.items() for u, v in enumerate(row) if v is not None]


def naive_alpha(
    rows: list[tuple[int, str, float]], level: str, domain: list[float]
) -> float | None:
    """A second, deliberately plain implementation: every ordered pair within each unit."""
    by_unit: dict[int, list[float]] = defaultdict(list)
    for unit, _, value in rows:
        by_unit[unit].append(value)
    units = [vals for vals in by_unit.values() if len(vals) >= 2]
    if not units:
        return None
    pairs_o: dict[tuple[float, float], float] = defaultdict(float)
    for vals in units:
        for i, j in itertools.permutations(range(len(vals)), 2):
            pairs_o[(vals[i], vals[j])] += 1.0 / (len(vals) - 1)
    n_c = {c: sum(w for (a, _), w in pairs_o.items() if a == c) for c in domain}
    n = sum(n_c.values())

    def delta(c: float, k: float) -> float:
        if level == "nominal":
            return 0.0 if c == k else 1.0
        if level == "interval":
            return (c - k) ** 2
        if level == "ratio":
            return ((c - k) / (c + k)) ** 2 if c + k else 0.0
        lo, hi = sorted((domain.index(c), domain.index(k)))
        between = sum(n_c[domain[g]] for g in range(lo, hi + 1))
        return (between - (n_c[c] + n_c[k]) / 2) ** 2

    d_o = sum(w * delta(c, k) for (c, k), w in pairs_o.items()) / n
    d_e = sum(n_c[c] * n_c[k] * delta(c, k) for c in domain for k in domain) / (n * (n - 1))
    return None if d_e == 0 else 1 - d_o / d_e


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_2011_worked_example(level: str) -> None:
    result = alpha(Ratings.from_triples(triples(K2011), domain=[1, 2, 3, 4, 5]), level)
    assert result.alpha == pytest.approx(K2011_ALPHA[level], abs=0.0005)
    assert result.units == 11  # unit 12 has one value: not pairable
    assert result.pairable_values == 40
    assert result.annotators == 4


@pytest.mark.parametrize("level", ["nominal", "interval"])
def test_wikipedia_worked_example(level: str) -> None:
    result = alpha(Ratings.from_triples(triples(WIKI), domain=[1, 2, 3, 4]), level)
    assert result.alpha == pytest.approx(WIKI_ALPHA[level], abs=0.0005)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_three_implementations_agree_on_the_worked_example(level: str) -> None:
    rows = triples(K2011)
    ratings = Ratings.from_triples(rows, domain=[1, 2, 3, 4, 5])
    reference = alpha(ratings, level).alpha
    assert alpha_from_counts(ratings.value_counts(), ratings.domain, level) == pytest.approx(
        reference
    )
    assert naive_alpha(rows, level, [1, 2, 3, 4, 5]) == pytest.approx(reference)


def test_domain_order_is_the_scale_order_not_sorted_labels() -> None:
    """Ordinal alpha over labels must follow the scale; alphabetical order would change it."""
    scale = ["Misaligned", "Partially aligned", "Aligned"]
    rows = [
        (1, "a", "Aligned"),
        (1, "b", "Partially aligned"),
        (2, "a", "Misaligned"),
        (2, "b", "Misaligned"),
        (3, "a", "Aligned"),
        (3, "b", "Aligned"),
        (4, "a", "Partially aligned"),
        (4, "b", "Misaligned"),
    ]
    by_scale = alpha(Ratings.from_triples(rows, domain=scale), "ordinal").alpha
    by_alpha = alpha(Ratings.from_triples(rows, domain=sorted(scale)), "ordinal").alpha
    numeric = {"Misaligned": 1, "Partially aligned": 2, "Aligned": 3}
    as_numbers = alpha(
        Ratings.from_triples([(u, a, numeric[v]) for u, a, v in rows], domain=[1, 2, 3]), "ordinal"
    ).alpha
    assert by_scale == pytest.approx(as_numbers)
    assert by_scale != pytest.approx(by_alpha)


def test_missing_values_are_missing_not_zero() -> None:
    rows = triples(K2011)
    with_zero = [*rows, (11, "A", 0), (11, "C", 0)]  # what treating blanks as 0 would do
    clean = alpha(Ratings.from_triples(rows, domain=[1, 2, 3, 4, 5]), "interval").alpha
    zeroed = alpha(Ratings.from_triples(with_zero, domain=[0, 1, 2, 3, 4, 5]), "interval").alpha
    assert clean == pytest.approx(0.849, abs=0.0005)
    assert zeroed != pytest.approx(clean, abs=0.01)


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([(1, "a", 3), (1, "b", 3), (2, "a", 3), (2, "b", 3)], "no variation"),
        ([(1, "a", 3), (2, "b", 4), (3, "c", 5)], "no unit"),
        ([], "no unit"),
    ],
)
def test_undefined_alpha_is_null_with_a_reason(rows, reason: str) -> None:
    result = alpha(Ratings.from_triples(rows, domain=[1, 2, 3, 4, 5]), "ordinal", bootstrap=200)
    assert result.alpha is None
    assert result.reason is not None and reason in result.reason
    assert result.ci is None


def test_value_off_the_scale_is_an_error() -> None:
    with pytest.raises(ValueError, match="not on the scale"):
        Ratings.from_triples([(1, "a", 7)], domain=[1, 2, 3])


# -- properties -------------------------------------------------------------------

units_st = st.lists(
    st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=3, max_size=3),
    min_size=2,
    max_size=25,
)


def to_rows(units: list[list[int | None]]) -> list[tuple[int, str, int]]:
    return [
        (u, f"r{j}", v) for u, vals in enumerate(units) for j, v in enumerate(vals) if v is not None
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=30), st.integers(2, 4))
def test_perfect_agreement_with_variation_is_one(values: list[int], raters: int) -> None:
    rows = [(u, f"r{j}", v) for u, v in enumerate(values) for j in range(raters)]
    result = alpha(Ratings.from_triples(rows, domain=[1, 2, 3, 4, 5]), "ordinal")
    if len(set(values)) > 1:
        assert result.alpha == pytest.approx(1.0)
    else:
        assert result.alpha is None


@settings(max_examples=60, deadline=None)
@given(units_st, st.permutations([1, 2, 3, 4, 5]))
def test_relabelling_nominal_values_changes_nothing(units, perm) -> None:
    rows = to_rows(units)
    mapping = dict(zip([1, 2, 3, 4, 5], perm, strict=True))
    a = alpha(Ratings.from_triples(rows, domain=[1, 2, 3, 4, 5]), "nominal").alpha
    b = alpha(
        Ratings.from_triples([(u, r, mapping[v]) for u, r, v in rows], domain=[1, 2, 3, 4, 5]),
        "nominal",
    ).alpha
    assert (a is None) == (b is None)
    if a is not None:
        assert a == pytest.approx(b)


@settings(max_examples=60, deadline=None)
@given(units_st, st.integers(1, 5))
def test_single_coded_units_do_not_matter(units, lone_value) -> None:
    rows = to_rows(units)
    extra = [*rows, (10000, "r0", lone_value)]
    a = alpha(Ratings.from_triples(rows, domain=[1, 2, 3, 4, 5]), "ordinal")
    b = alpha(Ratings.from_triples(extra, domain=[1, 2, 3, 4, 5]), "ordinal")
    assert a.units == b.units
    assert (a.alpha is None) == (b.alpha is None)
    if a.alpha is not None:
        assert a.alpha == pytest.approx(b.alpha)


@settings(max_examples=60, deadline=None)
@given(units_st, st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_package_and_naive_implementation_agree(units, level) -> None:
    rows = to_rows(units)
    ratings = Ratings.from_triples(rows, domain=[1, 2, 3, 4, 5])
    ours = alpha(ratings, level).alpha
    naive = naive_alpha(rows, level, [1, 2, 3, 4, 5])
    if ours is None:
        assert naive is None or math.isnan(naive)
    else:
        assert naive == pytest.approx(ours, abs=1e-9)


# -- bootstrap ------------------------------------------------------------------


def simulated(units: int, raters: int = 5, seed: int = 0) -> Ratings:
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, units)
    noise = rng.integers(-1, 2, (raters, units))
    values = np.clip(truth + noise, 1, 5)
    rows = [(u, f"r{j}", int(values[j, u])) for u in range(units) for j in range(raters)]
    return Ratings.from_triples(rows, domain=[5, 4, 3, 2, 1])


def test_bootstrap_is_reproducible_by_seed() -> None:
    ratings = simulated(200)
    a = alpha(ratings, "ordinal", bootstrap=300, seed=7)
    b = alpha(ratings, "ordinal", bootstrap=300, seed=7)
    c = alpha(ratings, "ordinal", bootstrap=300, seed=8)
    assert a.bootstrap == b.bootstrap
    assert a.ci != c.ci


def test_bootstrap_interval_contains_the_estimate_and_narrows_with_more_units() -> None:
    small = alpha(simulated(50), "ordinal", bootstrap=500, seed=1)
    large = alpha(simulated(2000), "ordinal", bootstrap=500, seed=1)
    for result in (small, large):
        assert result.ci is not None and result.alpha is not None
        assert result.ci[0] <= result.alpha <= result.ci[1]
    assert (large.ci[1] - large.ci[0]) < (small.ci[1] - small.ci[0]) / 3  # type: ignore[index]


def test_bootstrap_matches_a_naive_resampling_loop() -> None:
    """Same resampled units, recomputed the slow way, give the same alphas."""
    ratings = simulated(40, raters=3)
    counts = ratings.value_counts()
    boot = bootstrap_alpha(counts, ratings.domain, "ordinal", replicates=50, seed=3)
    rng = np.random.default_rng(3)
    pairable = counts[counts.sum(axis=1) >= 2]
    picks = rng.integers(0, len(pairable), size=(50, len(pairable)))
    slow = [alpha_from_counts(pairable[p], ratings.domain, "ordinal") for p in picks]
    values = np.array([v for v in slow if v is not None])
    assert boot.undefined == sum(v is None for v in slow)
    assert boot.ci == pytest.approx(tuple(np.percentile(values, [2.5, 97.5])))
    assert boot.p_below == pytest.approx(float((values < 0.8).mean()))


def test_bootstrap_blocks_draw_like_one_big_draw() -> None:
    """More replicates than one block: still the same resamples as a single draw."""
    ratings = simulated(30, raters=3)
    counts = ratings.value_counts()
    boot = bootstrap_alpha(counts, ratings.domain, "ordinal", replicates=300, seed=9)
    rng = np.random.default_rng(9)
    pairable = counts[counts.sum(axis=1) >= 2]
    picks = rng.integers(0, len(pairable), size=(300, len(pairable)))
    slow = [alpha_from_counts(pairable[p], ratings.domain, "ordinal") for p in picks]
    values = np.array([v for v in slow if v is not None])
    assert boot.ci == pytest.approx(tuple(np.percentile(values, [2.5, 97.5])))


def test_bootstrap_counts_undefined_replicates() -> None:
    # Two units only, one with variation: many replicates draw the constant unit twice.
    rows = [(1, "a", 1), (1, "b", 2), (2, "a", 3), (2, "b", 3)]
    ratings = Ratings.from_triples(rows, domain=[1, 2, 3])
    boot = bootstrap_alpha(
        ratings.value_counts(), ratings.domain, "ordinal", replicates=400, seed=0
    )
    assert 50 < boot.undefined < 200  # about a quarter draw (2, 2)
    assert boot.replicates == 400


def test_probability_below_threshold() -> None:
    good = alpha(simulated(500), "ordinal", bootstrap=400, seed=2, threshold=0.2)
    bad = alpha(simulated(500), "ordinal", bootstrap=400, seed=2, threshold=0.99)
    assert good.bootstrap is not None and bad.bootstrap is not None
    assert good.bootstrap.p_below == 0.0
    assert bad.bootstrap.p_below == 1.0


# -- diagnostics ----------------------------------------------------------------


def test_per_annotator_finds_the_outlier() -> None:
    rows = [
        (u, r, v) for u, v in enumerate([1, 2, 3, 4, 5, 1, 2, 3, 4, 5]) for r in ("a", "b", "c")
    ]
    rows = [(u, r, (6 - v) if r == "c" else v) for u, r, v in rows]  # c reverses the scale
    diag = {
        d.annotator: d
        for d in per_annotator(Ratings.from_triples(rows, [1, 2, 3, 4, 5]), "ordinal")
    }
    assert diag["c"].alpha_without == pytest.approx(1.0)
    assert diag["a"].alpha_without is not None and diag["a"].alpha_without < 0
    assert diag["a"].labels == 10


def test_bias_is_own_minus_others_mean() -> None:
    rows = [(1, "a", 5), (1, "b", 3), (1, "c", 3), (2, "a", 4), (2, "b", 2), (2, "c", 2)]
    diag = {
        d.annotator: d
        for d in per_annotator(Ratings.from_triples(rows, [1, 2, 3, 4, 5]), "ordinal")
    }
    assert diag["a"].bias == pytest.approx(2.0)
    assert diag["b"].bias == pytest.approx(-1.0)
    nominal = per_annotator(Ratings.from_triples(rows, [1, 2, 3, 4, 5]), "nominal")
    assert all(d.bias is None for d in nominal)


def test_pairwise_and_disputed() -> None:
    rows = [(1, "a", 5), (1, "b", 5), (2, "a", 1), (2, "b", 5), (3, "a", 3), (3, "b", 4)]
    ratings = Ratings.from_triples(rows, [1, 2, 3, 4, 5])
    (pair,) = pairwise(ratings)
    assert (pair.a, pair.b, pair.units) == ("a", "b", 3)
    assert pair.agreement == pytest.approx(1 / 3)
    ranked = disputed(ratings, "ordinal")
    assert [d.unit for d in ranked] == [2, 3]  # unit 1 agrees, so it is not disputed
    assert ranked[0].scores == {"a": 1, "b": 5}


def test_cohen_kappa_known_value() -> None:
    # A textbook 2x2 table: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> kappa = 0.4
    a = ["y"] * 25 + ["n"] * 25
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    result = cohen_kappa(a, b)
    assert result.units == 50
    assert result.percent == pytest.approx(0.7)
    assert result.kappa == pytest.approx(0.4)


def test_cohen_kappa_undefined_and_missing() -> None:
    assert cohen_kappa(["p", "p"], ["p", "p"]).kappa is None
    assert cohen_kappa([None, "p"], ["f", None]).percent is None
    result = cohen_kappa(["p", None, "f"], ["p", "f", "f"])
    assert result.units == 2 and result.percent == 1.0
