"""Hand the judge's hard cases to people: low confidence, disagreement, and a check sample."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tui_annotate.core.consensus import human_consensus
from tui_annotate.core.judge.ratings import judge_ratings
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


def passing(rubric: Rubric) -> Callable[[npt.NDArray[np.int64]], npt.NDArray[np.bool_]]:
    """Rubric.passes over an array of scores: the same comparison with the threshold, so a
    score off the scale (a label of an older version) gets the verdict it always got."""
    threshold, lower = rubric.pass_threshold, rubric.direction == "lower"
    return lambda scores: scores <= threshold if lower else scores >= threshold


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
    judged = judge_ratings(repo, rubric.name, model)
    if not len(judged.items):
        raise InputError(
            f"{judge_name(model)} has no labels on {rubric.name}; run tui-annotate judge first"
        )
    # Arrays over the judge's labels, a million of them in a few MB: each label is low
    # confidence, or else a disagreement with people's consensus on its PASS/FAIL, or else
    # one of the rest (no consensus) the sample is drawn from.
    has_human, human = human_consensus(repo, rubric).lookup(judged.items)
    passes = passing(rubric)
    unsure = judged.confidence < confidence_below  # NaN (no confidence): False
    disagree = ~unsure & has_human
    disagree[disagree] = passes(human[disagree]) != passes(judged.scores[disagree])
    other = ~unsure & ~disagree
    unknown = int((other & np.isnan(judged.confidence)).sum())
    rest = judged.items[other & ~has_human].tolist()
    flagged = unsure | disagree
    reasons: dict[int, str] = {  # in item order, as the summary counts them
        item: "low_confidence" if low else "disagreement"
        for item, low in zip(judged.items[flagged].tolist(), unsure[flagged].tolist(), strict=True)
    }
    rng = random.Random(seed)
    for item in rng.sample(rest, round(sample * len(rest))):  # rest is sorted, by item
        reasons[item] = "sample"
    before = set(repo.routing.routes(rubric.name))
    routed = repo.routing.route(rubric.name, model, sorted(reasons.items()))
    by_reason: dict[str, int] = defaultdict(int)
    for item, reason in reasons.items():
        if item not in before:
            by_reason[reason] += 1
    return RouteSummary(
        rubric=rubric.name,
        model=model,
        judged=len(judged.items),
        routed=routed,
        already_routed=len(set(reasons) & before),
        routed_by_reason=dict(by_reason),
        confidence_unknown=unknown,
        confidence_below=confidence_below,
        sample=sample,
    )
