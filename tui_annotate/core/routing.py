"""Hand the judge's hard cases to people: low confidence, disagreement, and a check sample."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from typing import TYPE_CHECKING

from tui_annotate.core.models import Rubric
from tui_annotate.core.names import JUDGE_PREFIX, judge_name
from tui_annotate.core.results.route import RouteSummary
from tui_annotate.errors import InputError

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


def only_judge(repo: Repository, rubric: Rubric, model: str | None) -> str:
    """MODEL, or the one judge that labelled RUBRIC (an error naming them when ambiguous)."""
    if model:
        return model.removeprefix(JUDGE_PREFIX)
    # Who has labels on the rubric: one index seek each, where reading every current label
    # to find them took seconds and a gigabyte at three million labels.
    judges = [name for name in repo.annotators(rubric.name) if name.startswith(JUDGE_PREFIX)]
    if len(judges) != 1:
        raise InputError(
            f"name the judge with --model (judges on {rubric.name}: {', '.join(judges) or 'none'})"
        )
    return judges[0].removeprefix(JUDGE_PREFIX)


def human_consensus(repo: Repository, rubric: Rubric) -> dict[int, int]:
    """Each item's human consensus: the median of current human scores, ties to the lower."""
    scores: dict[int, list[int]] = defaultdict(list)
    for label in repo.current_labels(rubric.name):
        scores[label.item_id].append(label.score)
    return {item: int(statistics.median_low(s)) for item, s in scores.items()}


def route(
    repo: Repository,
    rubric: Rubric,
    *,
    model: str | None,
    confidence_below: float,
    sample: float,
    seed: int = 0,
) -> RouteSummary:
    """Route items and report what was routed, and why."""
    model = only_judge(repo, rubric, model)
    judged = repo.judge.labels(rubric.name, model)
    if not judged:
        raise InputError(
            f"{judge_name(model)} has no labels on {rubric.name}; run tui-annotate judge first"
        )
    humans = human_consensus(repo, rubric)
    reasons: dict[int, str] = {}
    unknown = 0
    rest: list[int] = []
    for label, meta in judged:
        confidence = meta.get("confidence")
        human = humans.get(label.item_id)
        if confidence is not None and confidence < confidence_below:
            reasons[label.item_id] = "low_confidence"
        elif human is not None and rubric.verdict(human) != rubric.verdict(label.score):
            reasons[label.item_id] = "disagreement"
        else:
            if confidence is None:
                unknown += 1
            if human is None:
                rest.append(label.item_id)
    rng = random.Random(seed)
    for item in rng.sample(sorted(rest), round(sample * len(rest))):
        reasons[item] = "sample"
    before = set(repo.judge.routes(rubric.name))
    routed = repo.judge.route(rubric.name, model, sorted(reasons.items()))
    by_reason: dict[str, int] = defaultdict(int)
    for item, reason in reasons.items():
        if item not in before:
            by_reason[reason] += 1
    return RouteSummary(
        rubric=rubric.name,
        model=model,
        judged=len(judged),
        routed=routed,
        already_routed=len(set(reasons) & before),
        routed_by_reason=dict(by_reason),
        confidence_unknown=unknown,
        confidence_below=confidence_below,
        sample=sample,
    )
