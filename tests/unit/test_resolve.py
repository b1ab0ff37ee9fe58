"""The resolved label: golden, else the human low median, else the judge's score when asked."""

from __future__ import annotations

import statistics

from hypothesis import given
from hypothesis import strategies as st

from tui_annotate.core.resolve import ResolvedLabel, consensus, latest_judge, resolved_label


def test_golden_wins_over_humans_and_judge() -> None:
    assert resolved_label(golden=1, human_scores=[5, 5], judge=5) == ResolvedLabel(1, "golden")


def test_humans_win_over_the_judge() -> None:
    assert resolved_label(golden=None, human_scores=[4, 3], judge=5) == ResolvedLabel(3, "human")


def test_the_judge_only_when_nothing_else() -> None:
    assert resolved_label(golden=None, human_scores=[], judge=2) == ResolvedLabel(2, "judge")
    assert resolved_label(golden=None, human_scores=[]) is None


def test_a_golden_zero_is_a_label() -> None:
    assert resolved_label(golden=0, human_scores=[1], judge=1) == ResolvedLabel(0, "golden")


@given(st.lists(st.integers(min_value=-5, max_value=10), min_size=1, max_size=9))
def test_consensus_is_the_low_median(scores: list[int]) -> None:
    assert consensus(scores) == statistics.median_low(scores)


def test_latest_judge_is_the_highest_event_whatever_the_order() -> None:
    assert latest_judge([(7, "judge:b"), (9, "judge:a"), (3, "judge:c")]) == "judge:a"
    assert latest_judge([(9, "judge:a"), (7, "judge:b")]) == "judge:a"
    assert latest_judge([]) is None
