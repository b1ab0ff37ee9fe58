"""Which version an annotator sees on the left of a pair: blind, seeded and balanced.

The pair's base side (pairing.balanced_sides) is for its first annotator;
the second sees it mirrored, the third as the first, and so on. "First" is
the annotator's place in the task's `--annotators` list, or, for a task open
to whoever comes, the order in which people took the pair. So:

- with named annotators, each sees every pair, and over their pairs each
  version is on the left as often as on the right, within one (the base
  sides are balanced, and a mirror of a balanced set is balanced);
- over any two consecutive annotators of a pair, it is seen both ways round.

For an open task an annotator sees some of the pairs, so the balance holds
over the task rather than exactly over each person's share; the results
report every annotator's left share, whatever happened.
"""

from __future__ import annotations

from collections.abc import Sequence

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
