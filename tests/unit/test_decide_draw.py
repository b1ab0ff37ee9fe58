"""The interval bar and the sparkline: exact strings, fixed widths, undefined drawn as nothing."""

from __future__ import annotations

import math

import pytest

from tui_annotate.core.decide.draw import SPARK, SPARK_ASCII, interval_bar, sparkline


def test_bar_whisker_dot_and_ends() -> None:
    # Width 11: columns are tenths of the 0..1 axis.
    assert interval_bar(0.2, 0.6, 0.4, 11) == "  ├─●─┤    "
    assert interval_bar(0.2, 0.6, 0.4, 11, ascii=True) == "  [-o-]    "


def test_bar_threshold_on_and_off_the_whisker() -> None:
    assert interval_bar(0.2, 0.6, 0.4, 11, threshold=0.8) == "  ├─●─┤ │  "
    assert interval_bar(0.2, 0.6, 0.4, 11, threshold=0.5) == "  ├─●┼┤    "
    assert interval_bar(0.2, 0.6, 0.4, 11, threshold=0.5, ascii=True) == "  [-o+]    "


def test_dot_wins_its_column() -> None:
    assert interval_bar(0.0, 0.3, 0.0, 11, threshold=0.0) == "●──┤       "


@pytest.mark.parametrize("width", [1, 5, 20, 57])
def test_bar_is_exactly_width(width: int) -> None:
    assert len(interval_bar(0.1, 0.95, 0.5, width, threshold=0.7)) == width
    assert len(interval_bar(None, None, None, width)) == width


def test_undefined_draws_nothing_not_zero() -> None:
    assert interval_bar(None, None, None, 8) == " " * 8
    assert interval_bar(math.nan, math.nan, math.nan, 8, threshold=0.5) == "    │   "
    assert interval_bar(0.0, 0.0, 0.0, 1) == "●"
    assert interval_bar(0.1, 0.2, 0.1, 0) == ""


def test_custom_axis_and_clamping() -> None:
    # A difference axis −1..1; out-of-axis values pin to the edge.
    assert interval_bar(-0.2, 0.2, 0.0, 11, lo_axis=-1.0, hi_axis=1.0) == "    ├●┤    "
    assert interval_bar(-3.0, 0.5, None, 5) == "├─┤  "


def test_sparkline_levels_and_gaps() -> None:
    assert sparkline([0.0, 0.5, 1.0]) == SPARK[0] + SPARK[4] + SPARK[-1]
    assert sparkline([0.0, None, math.nan, 1.0], ascii=True) == SPARK_ASCII[0] + "  " + "#"
    assert sparkline([]) == ""
    assert sparkline([None, None]) == "  "


def test_sparkline_scaled_to_data() -> None:
    assert sparkline([0.8, 0.9], lo=None, hi=None) == SPARK[0] + SPARK[-1]
    # One distinct value has no range: drawn mid-height, not at the floor.
    assert sparkline([0.7, 0.7], lo=None, hi=None) == SPARK[4] * 2
