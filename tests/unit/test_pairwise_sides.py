"""Pairing and sides: versions compared about equally often, each on the left half the time (±1)."""

from __future__ import annotations

import random
from collections import Counter
from itertools import combinations

import pytest

from tui_annotate.core.pairwise import pairing
from tui_annotate.core.pairwise.models import Candidate
from tui_annotate.core.pairwise.sides import left_for, slot


def candidates(cases: int, versions: tuple[str, ...], identical: int = 0) -> list[Candidate]:
    out = []
    for case in range(cases):
        for v in versions:
            text = "same" if case < identical else f"{v}:{case}"
            out.append(Candidate(len(out) + 1, v, f"case {case}", text))
    return out


def left_counts(pairs: list[tuple[str, str, bool]]) -> dict[str, tuple[int, int]]:
    """version -> (times on the left, times in a pair)."""
    left: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for a, b, a_left in pairs:
        left[a if a_left else b] += 1
        seen[a] += 1
        seen[b] += 1
    return {v: (left[v], seen[v]) for v in seen}


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("k", [2, 3, 4, 6])
def test_base_sides_put_each_version_left_half_the_time(seed: int, k: int) -> None:
    rng = random.Random(seed)
    versions = [f"v{i}" for i in range(k)]
    edges = [tuple(rng.sample(versions, 2)) for _ in range(rng.randint(1, 61))]
    sides = pairing.balanced_sides(edges, random.Random(seed))  # type: ignore[arg-type]
    counts = left_counts([(a, b, s) for (a, b), s in zip(edges, sides, strict=True)])
    for version, (left, n) in counts.items():
        assert abs(2 * left - n) <= 1, (version, left, n)


def test_two_versions_every_shared_case_is_a_pair() -> None:
    drawn = pairing.draw(candidates(20, ("1.0", "1.1"), identical=3), ["1.0", "1.1"], seed=1)
    assert len(drawn.pairs) == 17 and drawn.skipped_identical == 3
    assert all((p.version_a, p.version_b) == ("1.0", "1.1") for p in drawn.pairs)
    assert len({p.case for p in drawn.pairs}) == 17
    assert sum(p.a_left for p in drawn.pairs) in (8, 9)


def test_three_versions_are_compared_about_equally_often() -> None:
    versions = ("1.0", "1.1", "1.2", "2.0")
    drawn = pairing.draw(candidates(61, versions), list(versions), seed=4)
    per_pair = Counter((p.version_a, p.version_b) for p in drawn.pairs)
    assert set(per_pair) == set(combinations(versions, 2))
    assert max(per_pair.values()) - min(per_pair.values()) <= 1
    assert sum(per_pair.values()) == 61


def test_a_is_the_version_listed_first_and_items_caps_cases() -> None:
    drawn = pairing.draw(candidates(30, ("1.0", "1.1")), ["1.1", "1.0"], seed=0, items=7)
    assert len(drawn.pairs) == 7
    assert all(p.version_a == "1.1" for p in drawn.pairs)


def test_the_seed_decides_and_only_the_seed() -> None:
    data = candidates(25, ("a", "b", "c"))
    one = pairing.draw(data, ["a", "b", "c"], seed=5)
    assert pairing.draw(list(reversed(data)), ["a", "b", "c"], seed=5) == one
    assert pairing.draw(data, ["a", "b", "c"], seed=6) != one


@pytest.mark.parametrize("versions", [("a", "b"), ("a", "b", "c"), ("a", "b", "c", "d", "e")])
def test_named_annotators_each_see_every_version_left_half_the_time(
    versions: tuple[str, ...],
) -> None:
    drawn = pairing.draw(candidates(41, versions, identical=2), list(versions), seed=11)
    named = ("ana", "ben", "cy")
    for annotator in named:
        place = slot(annotator, named, taken_before=0)
        seen = [(p.version_a, p.version_b, left_for(p.a_left, place) == "a") for p in drawn.pairs]
        for version, (left, n) in left_counts(seen).items():
            assert abs(left - n / 2) <= 1, (annotator, version, left, n)
    # Over two annotators every pair is seen both ways round.
    for p in drawn.pairs:
        assert {
            left_for(p.a_left, slot("ana", named, 0)),
            left_for(p.a_left, slot("ben", named, 0)),
        } == {"a", "b"}


def test_open_tasks_mirror_the_second_person_to_take_a_pair() -> None:
    assert slot("zed", (), taken_before=0) == 0 and slot("zed", (), taken_before=1) == 1
    assert {left_for(True, 0), left_for(True, 1)} == {"a", "b"}
    assert left_for(False, 0) == "b" and left_for(False, 2) == "b"


def test_an_open_task_chooses_the_side_that_keeps_the_person_balanced() -> None:
    from tui_annotate.core.pairwise.sides import open_side

    pair = ("1.0", "1.1")
    # Fresh pair, balanced person: the seeded base side.
    assert open_side(pair, {}, True, []) == ("a", True)
    assert open_side(pair, {}, False, []) == ("b", True)
    # 1.0 was on the left once more: it goes right, whatever the base.
    assert open_side(pair, {"1.0": 1, "1.1": -1}, True, []) == ("b", True)
    # Seen by one person with 1.0 on the left: the mirror, when it keeps the balance...
    assert open_side(pair, {}, True, ["a"]) == ("b", True)
    # ... and flagged as not fitting when it would tip the person off by two.
    assert open_side(pair, {"1.0": -1, "1.1": 1}, True, ["a"]) == ("a", False)
    # Three versions: both ends already left once more; neither side fits.
    side, fits = open_side(("x", "y"), {"x": 1, "y": 1, "z": -2}, True, [])
    assert not fits and side in ("a", "b")
