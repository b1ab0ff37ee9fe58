"""The item times of a decision table, parsed as a block of digits, against Python's datetime."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest

from tui_annotate.store.decide_items import parse_times


def test_random_times_match_datetime() -> None:
    rng = random.Random(13)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    stamps = [epoch + dt.timedelta(seconds=rng.randrange(0, 4_000_000_000)) for _ in range(5000)]
    # Leap days, the turn of a century and of a year: where day counts go wrong.
    stamps += [
        dt.datetime(2000, 2, 29, 23, 59, 59, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
        dt.datetime(2100, 3, 1, tzinfo=dt.UTC),
        dt.datetime(1999, 12, 31, 12, 0, 0, tzinfo=dt.UTC),
        epoch,
    ]
    text = "".join(s.strftime("%Y-%m-%dT%H:%M:%S") for s in stamps)
    want = np.array([int(s.timestamp()) for s in stamps]).astype("datetime64[s]")
    assert np.array_equal(parse_times(text, len(stamps)), want)


@pytest.mark.parametrize(
    "text",
    [
        "2026-13-01T00:00:00",  # month 13
        "2026-01-00T00:00:00",  # day 0
        "2026-01-01 00:00:00",  # not the stored form: read a row at a time instead
        "2026-0a-01T00:00:00",
        "2026-01-01T00:00:0",  # one character short
    ],
)
def test_anything_else_is_left_to_the_slow_path(text: str) -> None:
    assert parse_times(text, 1) is None
