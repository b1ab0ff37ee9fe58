"""Route's and the judge report's arrays against plain per-label computations, on random
projects.

The oracle is how both were computed before they moved to arrays: every
current label as an object, `statistics.median_low` per item, a loop over
the judge's labels, `Counter`, kappa by its definition and alpha from
triples. The projects have people who re-rate, skip and retract, a judge
with and without a confidence, and tags on some labels, on a scale written
best first (5 … 1), so value indices and scores run opposite ways.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter, defaultdict
from typing import Any

import pytest

from tui_annotate.core import agreement, diagnostics, routing
from tui_annotate.core.consensus import human_consensus
from tui_annotate.core.judge import report as judge_report
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"
MODEL = "m"
JUDGE = f"judge:{MODEL}"
PEOPLE = ("ana", "ben", "cy", "dee")


def label(
    repo: Repository,
    rubric: Rubric,
    item: int,
    who: str,
    kind: str,
    score: int | None = None,
    **extra: Any,
) -> None:
    """WHO's label of KIND (and SCORE) on ITEM, appended as the app or the judge would."""
    repo.append_event(
        item_id=item,
        rubric=RUBRIC,
        rubric_version=rubric.version,
        annotator=who,
        kind=kind,  # type: ignore[typeddict-item]
        score=score,
        **extra,
    )


def random_project(repo: Repository, rubric: Rubric, seed: int) -> None:
    rng = random.Random(seed)
    ids = [r[0] for r in repo.conn.execute("SELECT id FROM items ORDER BY id")]
    tags = [t.name for t in rubric.tags]

    def add(item: int, who: str, kind: str, score: int | None = None, **extra: Any) -> None:
        label(repo, rubric, item, who, kind, score, **extra)

    for item in ids:
        for who in PEOPLE:
            if rng.random() < 0.55:
                picked = rng.sample(tags, rng.choice([0, 0, 1, 2]))
                add(item, who, "rate", rng.randint(1, 5), tags=picked)
                if rng.random() < 0.15:
                    add(item, who, "rate", rng.randint(1, 5))  # re-rated: this one counts
                if rng.random() < 0.08:
                    add(item, who, rng.choice(["retract", "skip"]))  # no rating any more
        if rng.random() < 0.85:
            meta = {} if rng.random() < 0.2 else {"confidence": round(rng.random(), 3)}
            add(
                item,
                JUDGE,
                "rate",
                rng.randint(1, 5),
                tags=rng.sample(tags, rng.choice([0, 1])),
                comment=f"because {item}",
                meta=meta,
            )


def oracle_consensus(repo: Repository) -> dict[int, int]:
    scores: dict[int, list[int]] = defaultdict(list)
    for label in repo.current_labels(RUBRIC):
        scores[label.item_id].append(label.score)
    return {item: int(statistics.median_low(s)) for item, s in scores.items()}


@pytest.fixture(params=[1, 2, 3])
def seed(request: pytest.FixtureRequest, sample_repo: Repository, faithfulness: Rubric) -> int:
    """The sample project made a random one with this seed."""
    random_project(sample_repo, faithfulness, request.param)
    return int(request.param)


def test_consensus_is_each_items_median_low(
    sample_repo: Repository, faithfulness: Rubric, seed: int
) -> None:
    expected = oracle_consensus(sample_repo)
    assert len(expected) > 30  # most items have people's ratings, some have none
    assert human_consensus(sample_repo, faithfulness).as_dict() == expected


def test_route_routes_what_the_per_label_loop_routed(
    sample_repo: Repository, faithfulness: Rubric, seed: int
) -> None:
    humans = oracle_consensus(sample_repo)
    reasons: dict[int, str] = {}
    rest: list[int] = []
    unknown = 0
    for label, meta in sample_repo.judge.labels(RUBRIC, MODEL):
        confidence = meta.get("confidence")
        human = humans.get(label.item_id)
        if confidence is not None and confidence < 0.6:
            reasons[label.item_id] = "low_confidence"
        elif human is not None and faithfulness.verdict(human) != faithfulness.verdict(label.score):
            reasons[label.item_id] = "disagreement"
        else:
            unknown += confidence is None
            if human is None:
                rest.append(label.item_id)
    for item in random.Random(seed).sample(sorted(rest), round(0.5 * len(rest))):
        reasons[item] = "sample"
    summary = routing.route(
        sample_repo, faithfulness, model=MODEL, confidence_below=0.6, sample=0.5, seed=seed
    ).to_json()
    assert set(Counter(reasons.values())) >= {"low_confidence", "disagreement"}
    assert summary["routed_by_reason"] == dict(Counter(reasons.values()))
    assert list(summary["routed_by_reason"]) == list(dict.fromkeys(reasons.values()))
    assert summary["confidence_unknown"] == unknown
    assert sample_repo.routing.routes(RUBRIC) == reasons


def test_the_judge_report_says_what_the_per_label_computation_says(
    sample_repo: Repository, faithfulness: Rubric, seed: int
) -> None:
    judged = {label.item_id: label for label, _ in sample_repo.judge.labels(RUBRIC, MODEL)}
    humans = sample_repo.current_labels(RUBRIC)
    consensus = oracle_consensus(sample_repo)
    shared = sorted(set(judged) & set(consensus))
    ext = sample_repo.external_ids(shared)
    got = judge_report.judge_vs_humans(
        sample_repo, faithfulness, MODEL, bootstrap=50, seed=seed, threshold=0.8, min_kappa=0.4
    ).to_json()

    assert got["items"] == len(shared)
    vs = agreement.Ratings.from_triples(
        [(ext[i], "humans", consensus[i]) for i in shared]
        + [(ext[i], JUDGE, judged[i].score) for i in shared],
        domain=faithfulness.values,
    )
    expected_vs = agreement.alpha(vs, "ordinal", bootstrap=50, seed=seed, threshold=0.8)
    assert got["vs_consensus"]["alpha"] == pytest.approx(expected_vs.alpha)
    assert got["vs_consensus"]["ci"] == pytest.approx(list(expected_vs.ci or ()))
    everyone = agreement.Ratings.from_triples(
        [(ext[lb.item_id], lb.annotator, lb.score) for lb in humans if lb.item_id in ext]
        + [(ext[i], JUDGE, judged[i].score) for i in shared],
        domain=faithfulness.values,
    )
    assert got["with_judge"]["alpha"] == pytest.approx(agreement.alpha(everyone, "ordinal").alpha)
    assert [row["annotator"] for row in got["with_judge"]["per_annotator"]] == list(
        everyone.annotators
    )
    disputed = diagnostics.disputed(everyone, "ordinal")
    assert [d["item"] for d in got["with_judge"]["disputed"]] == [str(d.unit) for d in disputed]

    people = [faithfulness.verdict(consensus[i]) for i in shared]
    judge = [faithfulness.verdict(judged[i].score) for i in shared]
    # Cohen's kappa by its definition, on the lists (not through diagnostics).
    n = len(shared)
    p_o = sum(a == b for a, b in zip(people, judge, strict=True)) / n
    p_e = sum((people.count(c) / n) * (judge.count(c) / n) for c in ("PASS", "FAIL"))
    assert got["pass_fail"]["percent"] == pytest.approx(p_o)
    assert got["pass_fail"]["kappa"] == pytest.approx((p_o - p_e) / (1 - p_e))
    pairs = Counter(zip(people, judge, strict=True))
    assert got["confusion"] == {
        f"human {h}": {f"judge {j}": pairs[(h, j)] for j in ("PASS", "FAIL")}
        for h in ("PASS", "FAIL")
    }
    assert got["verdicts"] == dict(Counter(judge))
    assert list(got["verdicts"]) == list(Counter(judge))
    scores = Counter((consensus[i], judged[i].score) for i in shared)
    assert got["score_confusion"] == {
        str(h): {str(j): scores[(h, j)] for j in faithfulness.values} for h in faithfulness.values
    }

    human_tags: dict[int, set[str]] = defaultdict(set)
    for lb in humans:
        if lb.item_id in ext:
            human_tags[lb.item_id].update(lb.tags)
    for tag in faithfulness.tags:
        by_people = {i for i in shared if tag.name in human_tags[i]}
        by_judge = {i for i in shared if tag.name in judged[i].tags}
        hits = got["tags"][tag.name]
        assert (hits["humans"], hits["judge"], hits["both"]) == (
            len(by_people),
            len(by_judge),
            len(by_people & by_judge),
        )
    assert any(hits["humans"] and hits["judge"] for hits in got["tags"].values())

    gaps = sorted(shared, key=lambda i: (-abs(judged[i].score - consensus[i]), i))
    assert [
        (g["item"], g["judge"], g["humans"], g["gap"], g["rationale"])
        for g in got["largest_disagreements"]
    ] == [
        (ext[i], judged[i].score, consensus[i], judged[i].score - consensus[i], f"because {i}")
        for i in gaps[:10]
        if judged[i].score != consensus[i]
    ]


def test_a_score_off_the_scale_routes_by_the_threshold_and_the_report_refuses_it(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    """A label of an older rubric version can hold a score the scale no longer has: route
    gives it its verdict by the pass threshold, as it always did; the report, which counts
    scores on the scale, names it instead of miscounting it."""
    item = sample_repo.item_ids_by_external(["nw-001"])["nw-001"]
    label(sample_repo, faithfulness, item, "ana", "rate", 9)
    label(sample_repo, faithfulness, item, JUDGE, "rate", 1, meta={"confidence": 0.9})
    assert human_consensus(sample_repo, faithfulness).as_dict() == {item: 9}
    summary = routing.route(
        sample_repo, faithfulness, model=MODEL, confidence_below=0.5, sample=0.0
    ).to_json()
    assert summary["routed_by_reason"] == {"disagreement": 1}
    with pytest.raises(ValueError, match="value 9 is not on the scale"):
        judge_report.judge_vs_humans(
            sample_repo, faithfulness, MODEL, bootstrap=0, seed=1, threshold=0.8, min_kappa=0.4
        )
