"""core/read_ahead.py: items made in a thread, in order, errors where they happened, no leftovers."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from tui_annotate.core.read_ahead import ReadAhead


def test_items_come_in_order_and_the_thread_ends() -> None:
    switch = sys.getswitchinterval()
    with ReadAhead(iter(range(100))) as ahead:
        assert list(ahead) == list(range(100))
    assert sys.getswitchinterval() == switch
    assert not [t for t in threading.enumerate() if t.name == "read-ahead"]


def test_an_error_while_reading_is_raised_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("line 3 is bad")

    got: list[int] = []
    with pytest.raises(ValueError, match="line 3 is bad"), ReadAhead(items()) as ahead:
        for item in ahead:
            got.append(item)
    assert got == [1, 2]


def test_leaving_early_stops_the_reader_within_a_few_items() -> None:
    made: list[int] = []

    def items() -> Iterator[int]:
        for n in range(1_000_000):
            made.append(n)
            yield n

    with ReadAhead(items(), depth=2) as ahead:
        for item in ahead:
            if item == 3:
                break
    assert not [t for t in threading.enumerate() if t.name == "read-ahead"]
    assert len(made) <= 3 + 1 + 2 + 1  # the ones taken, the queue's two, the one in hand


def test_the_reader_runs_ahead_of_the_caller_by_at_most_depth() -> None:
    made: list[int] = []
    blocked = threading.Event()

    def items() -> Iterator[int]:
        for n in range(10):
            made.append(n)
            if len(made) == 4:  # one taken, two queued, this one waiting for room
                blocked.set()
            yield n

    taken = 0
    with ReadAhead(items(), depth=2) as ahead:
        for item in ahead:
            assert item == taken
            taken += 1
            if taken == 1:
                assert blocked.wait(10)  # it does read ahead …
            assert len(made) <= taken + 2 + 1  # … by at most two, and one in hand
    assert taken == 10
