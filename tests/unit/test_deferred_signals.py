"""Interrupts held back across a block that must not be cut (a parsing process's start)."""

from __future__ import annotations

import signal

import pytest

from tui_annotate.core.deferred_signals import interrupts_deferred


def test_an_interrupt_inside_the_block_is_raised_at_its_end() -> None:
    reached_the_end = False
    with pytest.raises(KeyboardInterrupt), interrupts_deferred():
        signal.raise_signal(signal.SIGINT)
        reached_the_end = True
    assert reached_the_end
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_no_interrupt_no_raise_and_the_handler_is_put_back() -> None:
    calls: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: calls.append(signum))
    try:
        with interrupts_deferred():
            pass
        assert calls == []
        with interrupts_deferred():
            signal.raise_signal(signal.SIGINT)
            assert calls == []  # held
        assert calls == [signal.SIGINT]  # then given to the handler that was there
    finally:
        signal.signal(signal.SIGINT, previous)
