"""How far a judge can be trusted: its agreement with people on the items both labelled."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tui_annotate.core import agreement, diagnostics
from tui_annotate.core.agreement_report import report
from tui_annotate.core.consensus import consensus, human_columns
from tui_annotate.core.judge.ratings import judge_ratings
from tui_annotate.core.models import Rubric
from tui_annotate.core.names import judge_name
from tui_annotate.core.results.agreement import Agreement
from tui_annotate.core.results.judge import Disagreement, JudgeReport, PassFail, TagHits
from tui_annotate.core.routing import only_judge, passing
from tui_annotate.errors import InputError

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


def judge_vs_humans(
    repo: Repository,
    rubric: Rubric,
    model: str | None,
    *,
    bootstrap: int,
    seed: int,
    threshold: float,
    min_kappa: float,
) -> JudgeReport:
    """Alpha judge vs consensus and with the judge as one more annotator, PASS/FAIL kappa
    and percent agreement, confusion matrices, per-tag hit rates, biggest disagreements.

    In arrays over the items both labelled (units are item ids; the few items a
    reader sees are named by their external ids at the end), with tags read only
    from the labels that carry some: at a million items with three million labels
    this took 45 s and 2.2 GB as objects per label.
    """
    model = only_judge(repo, rubric, model)
    name = judge_name(model)
    # Phase by phase, each one's arrays let go before the next grows: the peak is the
    # agreement reports', not the sum of everything read (under 500 MB at a million items).
    judged = judge_ratings(repo, rubric.name, model)
    humans = human_columns(repo, rubric)
    agreed = consensus(humans)
    shared = np.intersect1d(judged.items, agreed.items, assume_unique=True)
    if not len(shared):
        raise InputError(
            f"no item has both a human label and a judge:{model} label on "
            f"{rubric.name}; judge with --items all, or label some items"
        )
    judge_scores = judged.scores[np.searchsorted(judged.items, shared)]
    human_scores = agreed.scores[np.searchsorted(agreed.items, shared)]
    del judged, agreed
    position = _positions(rubric)
    judge_column = (shared, position(judge_scores))
    with_judge: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = {
        name: judge_column
    }
    people = list(humans)
    for person in people:
        ids, given = humans.pop(person)
        keep = np.isin(ids, shared, assume_unique=True)
        with_judge[person] = (ids[keep], position(given[keep]))
        del ids, given, keep
    vs = agreement.Ratings.from_columns(
        {"humans": (shared, position(human_scores)), name: judge_column}, rubric.values
    )
    vs_report = _named(
        repo, report(vs, rubric.level, bootstrap=bootstrap, seed=seed, threshold=threshold)
    )
    del vs
    extra = agreement.Ratings.from_columns(with_judge, rubric.values)
    del with_judge, judge_column
    extra_report = _named(
        repo, report(extra, rubric.level, bootstrap=0, seed=seed, threshold=threshold)
    )
    del extra
    passes = passing(rubric)
    human_pass, judge_pass = passes(human_scores), passes(judge_scores)
    cells = {
        (h, j): int(((human_pass == (h == "PASS")) & (judge_pass == (j == "PASS"))).sum())
        for h in ("PASS", "FAIL")
        for j in ("PASS", "FAIL")
    }
    kappa = diagnostics.kappa_from_table(cells)
    confusion = {
        f"human {h}": {f"judge {j}": cells[(h, j)] for j in ("PASS", "FAIL")}
        for h in ("PASS", "FAIL")
    }
    scores = {str(h): {str(j): 0 for j in rubric.values} for h in rubric.values}
    pairs, counts = np.unique(np.stack([human_scores, judge_scores]), axis=1, return_counts=True)
    for (h, j), n in zip(pairs.T.tolist(), counts.tolist(), strict=True):
        scores[str(h)][str(j)] = n
    tags = _tag_hits(repo, rubric, name, people, shared)
    gap = judge_scores - human_scores
    order = np.lexsort((shared, -np.abs(gap)))
    largest = [int(k) for k in order[gap[order] != 0][:10]]
    named = repo.external_ids(int(shared[k]) for k in largest)
    trustworthy = kappa.kappa is not None and kappa.kappa >= min_kappa
    why = (
        f"PASS/FAIL kappa {kappa.kappa:.3f} {'≥' if trustworthy else '<'} {min_kappa}"
        if kappa.kappa is not None
        else f"PASS/FAIL kappa undefined: {kappa.reason}"
    )
    rationale = {int(shared[k]): _comment(repo, int(shared[k]), rubric, name) for k in largest}
    return JudgeReport(
        rubric=rubric.name,
        judge=name,
        items=len(shared),
        vs_consensus=vs_report,
        with_judge=extra_report,
        pass_fail=PassFail(kappa.kappa, kappa.percent, kappa.reason, kappa.units),
        confusion=confusion,
        score_confusion=scores,
        verdicts=_first_seen_counts(judge_pass),
        tags=tags,
        largest_disagreements=tuple(
            Disagreement(
                item=named[int(shared[k])],
                judge=int(judge_scores[k]),
                humans=int(human_scores[k]),
                gap=int(gap[k]),
                rationale=rationale[int(shared[k])],
            )
            for k in largest
        ),
        trustworthy=trustworthy,
        trust_reason=why,
        min_kappa=min_kappa,
    )


def _positions(rubric: Rubric) -> Callable[[npt.NDArray[np.int64]], npt.NDArray[np.int64]]:
    """Each score's index on RUBRIC's scale (the domain agreement counts in); a score off
    the scale is refused, as agreement refuses it."""
    values = list(rubric.values)
    low, high = min(values), max(values)
    table = np.full(high - low + 1, -1, dtype=np.int64)
    for at, value in enumerate(values):
        table[value - low] = at

    def positions(scores: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        inside = (scores >= low) & (scores <= high)
        found = np.full(len(scores), -1, dtype=np.int64)
        found[inside] = table[scores[inside] - low]
        if (found < 0).any():
            raise ValueError(f"value {int(scores[found < 0][0])!r} is not on the scale {values}")
        return found

    return positions


def _tag_hits(
    repo: Repository,
    rubric: Rubric,
    judge: str,
    people: Sequence[str],
    shared: npt.NDArray[np.int64],
) -> dict[str, TagHits]:
    """Per rubric tag, on the SHARED items: how many people tagged (anyone of them), the
    judge tagged, and both; recall and precision of the judge's against people's. Only
    labels that carry tags are read."""

    def tagged(annotators: Iterable[str]) -> dict[str, set[int]]:
        found: dict[str, set[int]] = defaultdict(set)
        for annotator in annotators:
            for chunk in repo.reads.tagged_chunks(rubric.name, annotator):
                ids = np.fromiter((r[0] for r in chunk), dtype=np.int64, count=len(chunk))
                inside = np.isin(ids, shared).tolist()
                for (item, text), keep in zip(chunk, inside, strict=True):
                    if keep:
                        for tag in json.loads(text):
                            found[tag].add(int(item))
        return found

    by_humans, by_judge = tagged(people), tagged([judge])
    hits: dict[str, TagHits] = {}
    for tag in rubric.tags:
        mine, judged = by_humans.get(tag.name, set()), by_judge.get(tag.name, set())
        both = len(mine & judged)
        hits[tag.name] = TagHits(
            humans=len(mine),
            judge=len(judged),
            both=both,
            recall=both / len(mine) if mine else None,
            precision=both / len(judged) if judged else None,
        )
    return hits


def _named(repo: Repository, data: Agreement) -> Agreement:
    """DATA with its disputed units, item ids, named by their external ids."""
    names = repo.external_ids(int(d.item) for d in data.disputed)
    return replace(data, disputed=tuple(replace(d, item=names[int(d.item)]) for d in data.disputed))


def _comment(repo: Repository, item: int, rubric: Rubric, judge: str) -> str:
    """The judge's rationale on ITEM: its current label's comment."""
    label = repo.current_label(item, rubric.name, judge)
    return label.comment if label is not None else ""


def _first_seen_counts(passed: npt.NDArray[np.bool_]) -> dict[str, int]:
    """{verdict: units}, verdicts in the order they first occur (by item), as Counter had it."""
    counts = {"PASS": int(passed.sum()), "FAIL": int((~passed).sum())}
    first = {"PASS": np.argmax(passed), "FAIL": np.argmax(~passed)}
    present = [v for v in ("PASS", "FAIL") if counts[v]]
    return {v: counts[v] for v in sorted(present, key=lambda v: int(first[v]))}
