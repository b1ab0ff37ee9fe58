"""An item's resolved label: the one score every report agrees to call the item's label.

Export writes it and scorecards (issue 13) count it, so both must resolve the
same way, in one place: the adjudicated golden label when there is one (a lead
settled the question), else the human consensus (the low median of the
annotators' current scores), else — only when the caller asks for it — the
LLM judge's score. A judge never outvotes a person: it fills in items nobody
has labelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple, TypeVar

LabelSource = Literal["golden", "human", "judge"]
T = TypeVar("T")


class ResolvedLabel(NamedTuple):
    """The score an item is counted with, and which kind of label it came from."""

    score: int
    source: LabelSource


def consensus(scores: Sequence[int]) -> int:
    """The median of the current scores; with an even count, the lower middle (the stricter)."""
    if not scores:
        raise ValueError("no scores to take a consensus of")
    ordered = sorted(scores)
    return int(ordered[(len(ordered) - 1) // 2])  # statistics.median_low, without its overhead


def resolved_label(
    *, golden: int | None, human_scores: Sequence[int], judge: int | None = None
) -> ResolvedLabel | None:
    """Golden, else human consensus, else the judge's score; None when there is nothing.

    Pass JUDGE only when judge labels are wanted (export --include-judge);
    with several judges on one item, choose it with `latest_judge`.
    """
    if golden is not None:
        return ResolvedLabel(golden, "golden")
    if human_scores:
        return ResolvedLabel(consensus(human_scores), "human")
    if judge is not None:
        return ResolvedLabel(judge, "judge")
    return None


def latest_judge(judgements: Sequence[tuple[int, T]]) -> T | None:
    """Of several judges' (label id, label) pairs on one item, the label with the highest id.

    Deterministic whatever order they come in: a re-run with a newer model or
    a revised prompt supersedes the earlier judgement, as a person's
    re-rating does.
    """
    if len(judgements) < 2:
        return judgements[0][1] if judgements else None
    return max(judgements, key=lambda pair: pair[0])[1]
