"""Which version an annotator sees on the left of a pair: blind, seeded and balanced.

With named annotators (`--annotators`), the pair's base side
(pairing.balanced_sides) is for the first of them; the second sees it
mirrored, the third as the first, and so on, by their place in the list. So:

- each sees every pair, and over their pairs each version is on the left as
  often as on the right, within one (the base sides are balanced, and a
  mirror of a balanced set is balanced);
- over any two consecutive annotators of a pair, it is seen both ways round.

A task open to whoever comes (no `--annotators`) can't fix sides in
advance: nobody knows which pairs a person will take, nor in which turn. So
the side is chosen when a person claims a pair (`open_side`), from their own
running balance: a version is put on the left only while that keeps every
version of theirs within one of half their pairs. A pair already seen by
someone else is offered mirrored (seen both ways round) and taken only when
the mirror keeps the balance too; the store looks a little further down the
queue for one that does. When no pair left fits (the very end of a task,
or a three-version task whose remaining pairs all tip the same version)
the balance goes first, as little off as can be, since the results measure
position bias per person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tui_annotate.core.pairwise.models import Side


def slot(annotator: str, named: Sequence[str], taken_before: int) -> int:
    """The annotator's place among the pair's annotators (named list first, else arrival)."""
    if annotator in named:
        return list(named).index(annotator)
    return taken_before


def left_for(a_left: bool, place: int) -> Side:
    """The version on the left for the annotator in PLACE: the base side, mirrored when odd."""
    first_sees_a = a_left if place % 2 == 0 else not a_left
    return "a" if first_sees_a else "b"


def other(side: Side) -> Side:
    return "b" if side == "a" else "a"


def _after(balance: Mapping[str, int], pair: tuple[str, str], left: Side) -> tuple[int, int]:
    """(the left version's, the right version's) balance once LEFT is put on the left."""
    on_left, on_right = pair if left == "a" else (pair[1], pair[0])
    return balance.get(on_left, 0) + 1, balance.get(on_right, 0) - 1


def open_side(
    pair: tuple[str, str], balance: Mapping[str, int], a_left: bool, others: Sequence[Side]
) -> tuple[Side, bool]:
    """The side for a person of an open task who claims PAIR (version a, version b), and
    whether it fits: keeps each version of theirs within one of half the time on the left.

    BALANCE: version -> times on the left minus times on the right, over the pairs they
    hold or voted on. A_LEFT: the pair's seeded base side. OTHERS: the sides other people
    have of this pair; while one side was seen more, only its mirror fits.
    """
    base: Side = "a" if a_left else "b"
    seen_a, seen_b = others.count("a"), others.count("b")
    if seen_a != seen_b:
        allowed: list[Side] = ["b" if seen_a > seen_b else "a"]
    else:
        allowed = [base, other(base)]
    for left in allowed:
        if all(abs(d) <= 1 for d in _after(balance, pair, left)):
            return left, True
    # Nothing fits: the side that tips this person least (the mirror, the base, on a tie).
    order = allowed + [s for s in (base, other(base)) if s not in allowed]
    return min(order, key=lambda s: max(abs(d) for d in _after(balance, pair, s))), False
