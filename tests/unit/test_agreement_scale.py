"""Agreement at scale gives what the small-data code gives: arrays built without an object per
label, alpha summed over distinct count rows, and disputed units picked without a Python loop."""

from __future__ import annotations

import random
from collections.abc import Sequence

import krippendorff
import numpy as np
import pytest

from tui_annotate.core import agreement, diagnostics
from tui_annotate.core.agreement import Ratings
from tui_annotate.core.diagnostics import DisputedUnit

DOMAIN = [5, 4, 3, 2, 1]


def random_triples(seed: int, units: int, annotators: int = 3) -> list[tuple[int, str, int]]:
    rng = random.Random(seed)
    rows = []
    for u in range(1, units + 1):
        for a in range(annotators):
            if rng.random() < 0.7:
                # mostly agreeing, sometimes not: some spread, some ties
                base = (u * 7) % 5 + 1
                rows.append((u * 3, f"r{a}", base if rng.random() < 0.6 else rng.randint(1, 5)))
    return rows


def columns_of(rows: Sequence[tuple[int, str, int]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    by: dict[str, list[tuple[int, int]]] = {}
    for unit, annotator, value in rows:
        by.setdefault(annotator, []).append((unit, DOMAIN.index(value)))
    return {a: (np.array([u for u, _ in r]), np.array([v for _, v in r])) for a, r in by.items()}


def old_disputed(ratings: Ratings, level: str, limit: int = 10) -> list[DisputedUnit]:
    """The per-unit loop disputed() used to be: the oracle for the vectorised one."""
    values = diagnostics._values(ratings, level)
    ranked = []
    for u, unit in enumerate(ratings.units):
        col = values[:, u]
        present = ~np.isnan(col)
        if present.sum() < 2:
            continue
        if level == "nominal":
            spread = float(len(set(ratings.matrix[present, u].tolist())) - 1)
        else:
            spread = float(np.nanmax(col) - np.nanmin(col))
        std = float(np.nanstd(col))
        scores = {
            ratings.annotators[a]: ratings.domain[int(ratings.matrix[a, u])]
            for a in np.flatnonzero(present)
        }
        ranked.append((spread, std, DisputedUnit(unit, spread, scores)))
    ranked.sort(key=lambda r: (-r[0], -r[1]))
    return [r[2] for r in ranked[:limit] if r[0] > 0]


@pytest.mark.parametrize("seed", range(5))
def test_from_columns_is_from_triples(seed: int) -> None:
    rows = random_triples(seed, 300)
    a = Ratings.from_triples(rows, domain=DOMAIN)
    b = Ratings.from_columns(columns_of(rows), DOMAIN)
    assert a.units == b.units
    assert a.annotators == b.annotators
    np.testing.assert_array_equal(a.matrix, b.matrix)


def test_from_columns_refuses_a_value_off_the_scale() -> None:
    with pytest.raises(ValueError, match="not on the scale"):
        Ratings.from_columns({"a": (np.array([1]), np.array([7]))}, DOMAIN)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
@pytest.mark.parametrize("seed", range(4))
def test_disputed_matches_the_per_unit_loop(level: str, seed: int) -> None:
    ratings = Ratings.from_triples(random_triples(seed, 400), domain=DOMAIN)
    for limit in (1, 10, 1000):
        assert diagnostics.disputed(ratings, level, limit) == old_disputed(ratings, level, limit)


def test_many_units_alpha_is_the_reference_alpha() -> None:
    """Above MANY_UNITS alpha is summed over distinct count rows: the same number."""
    rows = random_triples(7, agreement.MANY_UNITS + 10_000)
    ratings = Ratings.from_triples(rows, domain=DOMAIN)
    counts = ratings.value_counts()
    pairable = counts.sum(axis=1) >= 2
    assert pairable.sum() > agreement.MANY_UNITS
    for level in ("nominal", "ordinal", "interval"):
        reference = krippendorff.alpha(
            value_counts=counts[pairable],
            value_domain=agreement.numeric_values(DOMAIN, level)
            if level == "interval"
            else np.arange(len(DOMAIN)),
            level_of_measurement=level,
        )
        got = agreement.alpha(ratings, level).alpha
        assert got == pytest.approx(reference, abs=1e-9)


def test_count_patterns_stand_for_every_unit() -> None:
    rows = random_triples(3, 2_000)
    counts = Ratings.from_triples(rows, domain=DOMAIN).value_counts()
    patterns, weights = agreement.count_patterns(counts)
    assert int(weights.sum()) == len(counts)
    assert len({tuple(r) for r in patterns.tolist()}) == len(patterns)
    rebuilt = sorted(
        tuple(r) for r, w in zip(patterns.tolist(), weights.tolist(), strict=True) for _ in range(w)
    )
    assert rebuilt == sorted(tuple(r) for r in counts.tolist())


def test_many_units_bootstrap_brackets_alpha_and_is_repeatable() -> None:
    rows = random_triples(11, agreement.MANY_UNITS + 10_000)
    ratings = Ratings.from_triples(rows, domain=DOMAIN)
    first = agreement.alpha(ratings, "ordinal", bootstrap=300, seed=4)
    again = agreement.alpha(ratings, "ordinal", bootstrap=300, seed=4)
    assert first.alpha is not None and first.bootstrap is not None
    assert first.bootstrap.ci is not None
    low, high = first.bootstrap.ci
    assert low < first.alpha < high
    assert high - low < 0.05  # tens of thousands of units: a narrow interval
    assert again.bootstrap == first.bootstrap
