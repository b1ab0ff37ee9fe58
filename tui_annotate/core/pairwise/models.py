"""The nouns of pairwise A/B: a task, a candidate output, a pair, a vote, and the keys' meanings.

A pair's `a` is always the version listed first in `--versions`; what the
annotator saw on the left is a separate fact (`left`), so every statistic
is computed relative to the versions and the position bias from the sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: A vote, relative to the pair's versions.
Choice = Literal["a", "b", "tie", "both_bad"]
CHOICES: tuple[Choice, ...] = ("a", "b", "tie", "both_bad")
#: Which of the pair's versions was shown on the left (or on top when narrow).
Side = Literal["a", "b"]
#: What the annotator pressed: Response 1 (left/top), Response 2, tie, both bad.
Shown = Literal["1", "2", "tie", "both_bad"]


def choice_of(shown: Shown, left: Side) -> Choice:
    """The vote relative to the versions, from the key pressed and the side shown."""
    if shown in ("tie", "both_bad"):
        return shown
    right: Side = "b" if left == "a" else "a"
    return left if shown == "1" else right


@dataclass(frozen=True)
class Task:
    """A pairwise task as stored: what is compared, and who compares it."""

    id: int
    prompt: str
    versions: tuple[str, ...]
    seed: int
    overlap: int = 1
    #: Named annotators judge every pair; empty: pairs go to whoever opens the task.
    annotators: tuple[str, ...] = ()
    rubric: str = ""
    skipped_identical: int = 0
    created_at: str = ""


@dataclass(frozen=True)
class Candidate:
    """One version's output for one case (an item of the prompt)."""

    item_id: int
    version: str
    case: str
    output: str


@dataclass(frozen=True)
class NewPair:
    """A pair drawn at start: the case, both items (a listed first), the base side."""

    position: int
    case: str
    version_a: str
    version_b: str
    item_a: int
    item_b: int
    #: The first annotator of the pair sees version a on the left; the next one, mirrored.
    a_left: bool


@dataclass(frozen=True)
class Drawn:
    """What `pairing.draw` returns: the pairs, and the candidate pairs left out as identical."""

    pairs: tuple[NewPair, ...]
    skipped_identical: int


@dataclass(frozen=True)
class ShownPair:
    """A pair as one annotator sees it: the two items in the order shown, never their versions."""

    pair_id: int
    position: int
    case: str
    left: Side
    input: str
    context: str
    response_1: str
    response_2: str
    #: The annotator's current vote on it, as shown keys ("1", "2", "tie", "both_bad").
    shown_choice: Shown | None = None
    tags: tuple[str, ...] = field(default=())
    comment: str = ""


@dataclass(frozen=True)
class VoteRow:
    """One current vote: the pair, who, its versions (a listed first), the choice, the side."""

    pair_id: int
    annotator: str
    version_a: str
    version_b: str
    choice: Choice
    left: Side
