"""How far a judge can be trusted: its agreement with people on the items both labelled."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from tui_annotate.core import agreement, diagnostics
from tui_annotate.core.agreement_report import report
from tui_annotate.core.models import Rubric
from tui_annotate.core.names import judge_name
from tui_annotate.core.results.judge import Disagreement, JudgeReport, PassFail, TagHits
from tui_annotate.core.routing import human_consensus, only_judge
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
    and percent agreement, confusion matrices, per-tag hit rates, biggest disagreements."""
    model = only_judge(repo, rubric, model)
    judge_labels = {label.item_id: label for label, _ in repo.judge.labels(rubric.name, model)}
    humans = repo.current_labels(rubric.name)
    consensus = human_consensus(repo, rubric)
    shared = sorted(set(judge_labels) & set(consensus))
    if not shared:
        raise InputError(
            f"no item has both a human label and a judge:{model} label on "
            f"{rubric.name}; judge with --items all, or label some items"
        )
    name = judge_name(model)
    ext = {i: repo.get_item(i).external_id for i in shared}
    vs = agreement.Ratings.from_triples(
        [(ext[i], "humans", consensus[i]) for i in shared]
        + [(ext[i], name, judge_labels[i].score) for i in shared],
        domain=rubric.values,
    )
    extra = agreement.Ratings.from_triples(
        [(ext[lb.item_id], lb.annotator, lb.score) for lb in humans if lb.item_id in ext]
        + [(ext[i], name, judge_labels[i].score) for i in shared],
        domain=rubric.values,
    )
    human_verdicts = [rubric.verdict(consensus[i]) for i in shared]
    judge_verdicts = [rubric.verdict(judge_labels[i].score) for i in shared]
    kappa = diagnostics.cohen_kappa(human_verdicts, judge_verdicts)
    confusion = {
        f"human {h}": {f"judge {j}": 0 for j in ("PASS", "FAIL")} for h in ("PASS", "FAIL")
    }
    for h, j in zip(human_verdicts, judge_verdicts, strict=True):
        confusion[f"human {h}"][f"judge {j}"] += 1
    scores = {str(h): {str(j): 0 for j in rubric.values} for h in rubric.values}
    for i in shared:
        scores[str(consensus[i])][str(judge_labels[i].score)] += 1
    human_tags: dict[int, set[str]] = defaultdict(set)
    for lb in humans:
        if lb.item_id in ext:
            human_tags[lb.item_id].update(lb.tags)
    tags: dict[str, TagHits] = {}
    for tag in rubric.tags:
        by_humans = {i for i in shared if tag.name in human_tags[i]}
        by_judge = {i for i in shared if tag.name in judge_labels[i].tags}
        both = len(by_humans & by_judge)
        tags[tag.name] = TagHits(
            humans=len(by_humans),
            judge=len(by_judge),
            both=both,
            recall=both / len(by_humans) if by_humans else None,
            precision=both / len(by_judge) if by_judge else None,
        )
    gaps = sorted(shared, key=lambda i: (-abs(judge_labels[i].score - consensus[i]), i))
    trustworthy = kappa.kappa is not None and kappa.kappa >= min_kappa
    why = (
        f"PASS/FAIL kappa {kappa.kappa:.3f} {'≥' if trustworthy else '<'} {min_kappa}"
        if kappa.kappa is not None
        else f"PASS/FAIL kappa undefined: {kappa.reason}"
    )
    return JudgeReport(
        rubric=rubric.name,
        judge=name,
        items=len(shared),
        vs_consensus=report(vs, rubric.level, bootstrap=bootstrap, seed=seed, threshold=threshold),
        with_judge=report(extra, rubric.level, bootstrap=0, seed=seed, threshold=threshold),
        pass_fail=PassFail(kappa.kappa, kappa.percent, kappa.reason, kappa.units),
        confusion=confusion,
        score_confusion=scores,
        verdicts=dict(Counter(judge_verdicts)),
        tags=tags,
        largest_disagreements=tuple(
            Disagreement(
                item=ext[i],
                judge=judge_labels[i].score,
                humans=consensus[i],
                gap=judge_labels[i].score - consensus[i],
                rationale=judge_labels[i].comment,
            )
            for i in gaps[:10]
            if judge_labels[i].score != consensus[i]
        ),
        trustworthy=trustworthy,
        trust_reason=why,
        min_kappa=min_kappa,
    )
