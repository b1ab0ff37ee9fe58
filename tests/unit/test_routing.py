"""Routing and judge-vs-human agreement on a seeded database whose answers are known by hand.

The seed (positions are 1-based places in the 40 sample items, by id):

- the judge scores position k as 5 - k % 5 (4, 3, 2, 1, 5, 4, ...), tags hallucinated-fact
  when it scores 2 or less, and is unsure (logprob confidence 0.5) at LOW, sure (0.9) elsewhere;
- before that, one person, alice, labels the 12 positions in HUMAN (tagging
  hallucinated-fact at 2 or less): 6 agree exactly, 14 agrees on FAIL one point off,
  9/10/12/13 disagree on PASS/FAIL, and 3 disagrees too but is one of the judge's unsure items.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import krippendorff
import pytest

from tests.openai_server import FakeOpenAI, Reply, last_user_text, logprob_reply
from tui_annotate.core import ingest, routing
from tui_annotate.core.consensus import human_consensus
from tui_annotate.core.judge import JudgeConfig
from tui_annotate.core.judge import prompt as judge_prompt
from tui_annotate.core.judge import report as judge_report
from tui_annotate.core.judge import run as judge
from tui_annotate.core.models import Rubric
from tui_annotate.core.session import AnnotationSession
from tui_annotate.errors import InputError
from tui_annotate.store import routes as route_store
from tui_annotate.store.repository import Repository

MODEL = "judge-model"
GOOD = "good-model"
RUBRIC = "faithfulness"
TAG = "hallucinated-fact"

LOW = {3, 7, 11, 19, 23}
HUMAN = {1: 4, 2: 3, 3: 4, 4: 1, 5: 5, 6: 4, 8: 2, 9: 5, 10: 2, 12: 4, 13: 5, 14: 2}
DISAGREE = {9, 10, 12, 13}
#: Judged, sure, and not labelled by a person: what the check sample is drawn from.
REST = set(range(1, 41)) - LOW - set(HUMAN)


def judge_score(k: int) -> int:
    return 5 - k % 5


def positions(repo: Repository) -> dict[int, int]:
    """position -> item id."""
    ids = [r[0] for r in repo.conn.execute("SELECT id FROM items ORDER BY id")]
    return {k: i for k, i in enumerate(ids, start=1)}


def answer_by_position(repo: Repository, score_of: Any, sure_of: Any) -> Any:
    marks = {
        f"{judge_prompt.boundary(repo.get_item(i))} BEGIN": k for k, i in positions(repo).items()
    }

    def answer(request: dict[str, Any]) -> Reply:
        text = last_user_text(request)
        (k,) = [k for mark, k in marks.items() if mark in text]
        score, p = score_of(k), sure_of(k)
        other = score % 5 + 1
        return logprob_reply(
            {str(score): p, str(other): round(1 - p, 6)},
            score=score,
            rationale=f"judged {k}",
            tags=[TAG] if score <= 2 else [],
        )

    return answer


def judge_all(
    repo: Repository,
    rubric: Rubric,
    server: FakeOpenAI,
    model: str = MODEL,
    items: str = "unlabeled",
    score_of: Any = judge_score,
    sure_of: Any = lambda k: 0.5 if k in LOW else 0.9,
) -> None:
    server.answer = answer_by_position(repo, score_of, sure_of)
    cfg = JudgeConfig(model=model, base_url=server.url, items=items, backoff_base=0.01)
    stats = asyncio.run(judge.run(repo, rubric, cfg))
    assert stats.failed == stats.invalid == 0


def add_humans(repo: Repository, rubric: Rubric, annotator: str = "alice") -> None:
    ids = positions(repo)
    repo.append_imported_labels(
        [
            {
                "item_id": ids[k],
                "rubric": RUBRIC,
                "rubric_version": rubric.version,
                "annotator": annotator,
                "score": s,
                "tags": [TAG] if s <= 2 else [],
                "comment": "",
                "meta": {},
            }
            for k, s in HUMAN.items()
        ]
    )


def seed(repo: Repository, rubric: Rubric, server: FakeOpenAI) -> dict[int, int]:
    """The partly human-labelled, judged sample project; returns position -> item id.

    People label first and the judge then does every item, so every human label is
    clearly older than any route made afterwards.
    """
    add_humans(repo, rubric)
    judge_all(repo, rubric, server, items="all")
    return positions(repo)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-routing")
    with FakeOpenAI() as s:
        yield s


@pytest.fixture
def seeded(sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI) -> dict[int, int]:
    return seed(sample_repo, faithfulness, server)


def do_route(repo: Repository, rubric: Rubric, **kw: Any) -> dict[str, Any]:
    kw.setdefault("model", MODEL)
    kw.setdefault("confidence_below", 0.7)
    kw.setdefault("sample", 0.25)
    return routing.route(repo, rubric, **kw).to_json()


# -- the seed is what it says --------------------------------------------------------------


def test_the_seed_is_what_it_says(
    sample_repo: Repository, faithfulness: Rubric, seeded: dict[int, int]
) -> None:
    got = {label.item_id: (label.score, m) for label, m in sample_repo.judge.labels(RUBRIC, MODEL)}
    assert len(got) == 40
    for k, i in seeded.items():
        score, meta = got[i]
        assert score == judge_score(k)
        assert meta["confidence"] == pytest.approx(0.5 if k in LOW else 0.9)
    consensus = human_consensus(sample_repo, faithfulness).as_dict()
    assert consensus == {seeded[k]: s for k, s in HUMAN.items()}


# -- routing -------------------------------------------------------------------------------


def test_route_picks_low_confidence_disagreement_and_a_sample_of_the_rest(
    sample_repo: Repository, faithfulness: Rubric, seeded: dict[int, int]
) -> None:
    summary = do_route(sample_repo, faithfulness)
    assert summary["judged"] == 40
    assert summary["routed"] == 5 + 4 + 6  # round(0.25 × 24) sampled
    assert summary["routed_by_reason"] == {"low_confidence": 5, "disagreement": 4, "sample": 6}
    assert summary["already_routed"] == 0 and summary["confidence_unknown"] == 0
    assert summary["model"] == MODEL and summary["rubric"] == RUBRIC

    routes = sample_repo.routing.routes(RUBRIC)
    back = {i: k for k, i in seeded.items()}
    by_reason: dict[str, set[int]] = {}
    for item, reason in routes.items():
        by_reason.setdefault(reason, set()).add(back[item])
    assert by_reason["low_confidence"] == LOW  # 3 too, though a person disagreed with it
    assert by_reason["disagreement"] == DISAGREE
    assert len(by_reason["sample"]) == 6 and by_reason["sample"] <= REST
    model_of = dict(sample_repo.conn.execute("SELECT item_id, model FROM routes"))
    assert set(model_of.values()) == {MODEL}


def test_route_writes_in_short_transactions_and_a_save_gets_in_between(
    sample_repo: Repository,
    faithfulness: Rubric,
    seeded: dict[int, int],
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Routes go in 4 a transaction: in each pause another connection takes the write
    lock at once (timeout 0: 'database is locked' if the route still held it)."""
    monkeypatch.setattr(route_store, "ROUTE_CHUNK", 4)
    pauses: list[int] = []

    def save_in_between() -> None:
        with closing(sqlite3.connect(db_path, timeout=0)) as other:
            other.execute("BEGIN IMMEDIATE")
            pauses.append(len(sample_repo.routing.routes(RUBRIC)))
            other.execute("ROLLBACK")

    monkeypatch.setattr(route_store, "_pause", save_in_between)
    summary = do_route(sample_repo, faithfulness)
    assert summary["routed"] == 15
    assert pauses == [4, 8, 12]  # 15 routes: 4 + 4 + 4 + 3, each chunk committed
    assert len(sample_repo.routing.routes(RUBRIC)) == 15


def test_route_is_idempotent(
    sample_repo: Repository, faithfulness: Rubric, seeded: dict[int, int]
) -> None:
    first = do_route(sample_repo, faithfulness)
    routes = sample_repo.routing.routes(RUBRIC)
    again = do_route(sample_repo, faithfulness)
    assert again["routed"] == 0 and again["routed_by_reason"] == {}
    assert again["already_routed"] == first["routed"] == 15
    assert sample_repo.routing.routes(RUBRIC) == routes


def test_the_sample_follows_the_seed_and_the_share(
    sample_repo: Repository, faithfulness: Rubric, seeded: dict[int, int]
) -> None:
    none = do_route(sample_repo, faithfulness, sample=0.0)
    assert none["routed_by_reason"] == {"low_confidence": 5, "disagreement": 4}
    # The default share: round(0.1 × 24) = 2 more.
    more = do_route(sample_repo, faithfulness, sample=0.1)
    assert more["routed_by_reason"] == {"sample": 2} and more["already_routed"] == 9


def test_a_lower_confidence_bar_routes_fewer(
    sample_repo: Repository, faithfulness: Rubric, seeded: dict[int, int]
) -> None:
    summary = do_route(sample_repo, faithfulness, confidence_below=0.4, sample=0.0)
    # Nobody is unsure below 0.4: only the five disagreements (3 now counts as one).
    assert summary["routed_by_reason"] == {"disagreement": 5}


def test_labels_without_confidence_are_counted(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.answer = lambda request: Reply(content='{"score": 5, "rationale": "", "tags": []}')
    cfg = JudgeConfig(model=MODEL, base_url=server.url, limit=10, backoff_base=0.01)
    asyncio.run(judge.run(sample_repo, faithfulness, cfg))
    summary = do_route(sample_repo, faithfulness, sample=0.0)
    assert summary["confidence_unknown"] == 10 and summary["routed"] == 0


def test_route_needs_judge_labels_and_a_named_judge_when_there_are_two(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    with pytest.raises(InputError, match="none"):
        do_route(sample_repo, faithfulness, model=None)
    with pytest.raises(InputError, match="no labels"):
        do_route(sample_repo, faithfulness)
    judge_all(sample_repo, faithfulness, server, model=MODEL)
    judge_all(sample_repo, faithfulness, server, model=GOOD)
    with pytest.raises(InputError, match=f"judge:{GOOD}, judge:{MODEL}"):
        do_route(sample_repo, faithfulness, model=None)
    assert do_route(sample_repo, faithfulness, model=f"judge:{MODEL}")["model"] == MODEL


def test_consensus_is_the_median_ties_to_the_lower(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    first, second = list(positions(sample_repo).values())[:2]
    labels = [
        (first, "a", 5),
        (first, "b", 2),
        (second, "a", 1),
        (second, "b", 4),
        (second, "c", 2),
        (second, "judge:x", 1),
    ]
    sample_repo.append_imported_labels(
        [
            {
                "item_id": item,
                "rubric": RUBRIC,
                "rubric_version": "1.0.0",
                "annotator": name,
                "score": s,
                "tags": [],
                "comment": "",
                "meta": {},
            }
            for item, name, s in labels
        ]
    )
    # first: 2 and 5 tie, the lower wins; second: the median of 1 2 4 (the judge is no person).
    assert human_consensus(sample_repo, faithfulness).as_dict() == {first: 2, second: 2}


# -- the queue serves routed items first ---------------------------------------------------


def drain(session: AnnotationSession, limit: int = 100) -> list[int]:
    session.start()
    served: list[int] = []
    while not session.done:
        assert len(served) < limit, "the queue never ran dry"
        assert session.current_id is not None
        served.append(session.current_id)
        session.rate(3)
    return served


def add_unjudged_items(repo: Repository, tmp_path: Path, n: int = 3) -> set[int]:
    path = tmp_path / "more.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": f"new-{j}", "output": f"New answer {j}."}) + "\n" for j in range(n)
        )
    )
    ingest.import_items(repo, path)
    ids = repo.item_ids_by_external([f"new-{j}" for j in range(n)])
    return set(ids.values())


def test_the_queue_serves_routed_items_first_and_never_other_judged_ones(
    sample_repo: Repository, faithfulness: Rubric, seeded: dict[int, int], tmp_path: Path
) -> None:
    do_route(sample_repo, faithfulness)
    routed = set(sample_repo.routing.routes(RUBRIC))
    unjudged = add_unjudged_items(sample_repo, tmp_path)
    # overlap 2: alice's items can take one more person.
    served = drain(AnnotationSession(sample_repo, faithfulness, "newbie", overlap=2))
    assert set(served[: len(routed)]) == routed
    assert set(served[len(routed) :]) == unjudged
    assert len(served) == len(routed) + len(unjudged)


def test_a_judged_item_is_not_served_before_it_is_routed(
    sample_repo: Repository, faithfulness: Rubric, seeded: dict[int, int], tmp_path: Path
) -> None:
    unjudged = add_unjudged_items(sample_repo, tmp_path)
    served = drain(AnnotationSession(sample_repo, faithfulness, "newbie", overlap=2))
    assert set(served) == unjudged


def test_items_routed_for_disagreement_reach_a_second_person_at_the_default_overlap(
    sample_repo: Repository, faithfulness: Rubric, seeded: dict[int, int]
) -> None:
    """At overlap 1 (the default), alice's labels hold her items; an item routed because the
    judge disagrees with her is only worth routing if someone else can be served it."""
    do_route(sample_repo, faithfulness)
    routed = set(sample_repo.routing.routes(RUBRIC))
    served = drain(AnnotationSession(sample_repo, faithfulness, "newbie"))
    missing = {k for k, i in seeded.items() if i in routed - set(served)}
    assert missing == set(), f"routed items never served (positions): {sorted(missing)}"


def test_a_routed_item_goes_to_one_more_person_not_to_everyone(
    sample_repo: Repository, faithfulness: Rubric, seeded: dict[int, int]
) -> None:
    do_route(sample_repo, faithfulness)
    routed = set(sample_repo.routing.routes(RUBRIC))
    first = drain(AnnotationSession(sample_repo, faithfulness, "newbie"))
    assert set(first[: len(routed)]) == routed
    later = drain(AnnotationSession(sample_repo, faithfulness, "third"))
    assert set(later) & routed == set()


# -- agreement against people --------------------------------------------------------------


def expected_alpha(scores: dict[int, int]) -> float:
    """Krippendorff's ordinal alpha by the reference package, judge vs alice on HUMAN."""
    ks = sorted(HUMAN)
    data = [[HUMAN[k] for k in ks], [scores[k] for k in ks]]
    return float(
        krippendorff.alpha(
            reliability_data=data, value_domain=[1, 2, 3, 4, 5], level_of_measurement="ordinal"
        )
    )


def test_judge_vs_humans_on_the_seeded_answers(
    sample_repo: Repository, faithfulness: Rubric, seeded: dict[int, int]
) -> None:
    data = judge_report.judge_vs_humans(
        sample_repo, faithfulness, MODEL, bootstrap=200, seed=1, threshold=0.8, min_kappa=0.6
    ).to_json()
    check_seeded_report(sample_repo, data)


def check_seeded_report(repo: Repository, data: dict[str, Any]) -> None:
    """The report on the seeded data, with every number worked out by hand."""
    ext = {k: repo.get_item(i).external_id for k, i in positions(repo).items()}
    assert data["judge"] == f"judge:{MODEL}" and data["rubric"] == RUBRIC
    assert data["items"] == 12
    alpha = expected_alpha({k: judge_score(k) for k in HUMAN})
    assert data["vs_consensus"]["alpha"] == pytest.approx(alpha)
    assert data["vs_consensus"]["units"] == 12
    assert data["with_judge"]["alpha"] == pytest.approx(alpha)  # one person: the same data
    # PASS/FAIL: people PASS on 1 3 5 6 9 12 13, the judge on 1 5 6 10.
    # Agree on 1 2 4 5 6 8 14: p_o = 7/12; p_e = 7/12·4/12 + 5/12·8/12 = 17/36;
    # kappa = (21/36 - 17/36) / (19/36) = 4/19.
    pf = data["pass_fail"]
    assert pf["percent"] == pytest.approx(7 / 12)
    assert pf["kappa"] == pytest.approx(4 / 19)
    assert pf["units"] == 12
    assert data["confusion"] == {
        "human PASS": {"judge PASS": 3, "judge FAIL": 4},
        "human FAIL": {"judge PASS": 1, "judge FAIL": 4},
    }
    assert data["verdicts"] == {"PASS": 4, "FAIL": 8}
    cells = {(h, j): n for h, row in data["score_confusion"].items() for j, n in row.items() if n}
    assert cells == {
        ("4", "4"): 2,
        ("3", "3"): 1,
        ("1", "1"): 1,
        ("5", "5"): 1,
        ("2", "2"): 1,  # 1 2 4 5 6 8
        ("4", "2"): 1,
        ("5", "1"): 1,
        ("2", "5"): 1,
        ("4", "3"): 1,
        ("5", "2"): 1,  # 3 9 10 12 13
        ("2", "1"): 1,  # 14
    }
    # hallucinated-fact: people on 4 8 10 14, the judge on 3 4 8 9 13 14.
    assert data["tags"][TAG] == {
        "humans": 4,
        "judge": 6,
        "both": 3,
        "recall": 0.75,
        "precision": 0.5,
    }
    for name, hits in data["tags"].items():
        if name != TAG:
            assert hits == {"humans": 0, "judge": 0, "both": 0, "recall": None, "precision": None}
    gaps = [(g["item"], g["judge"], g["humans"], g["gap"]) for g in data["largest_disagreements"]]
    assert gaps == [
        (ext[9], 1, 5, -4),
        (ext[10], 5, 2, 3),
        (ext[13], 2, 5, -3),
        (ext[3], 2, 4, -2),
        (ext[12], 3, 4, -1),
        (ext[14], 1, 2, -1),
    ]
    assert data["largest_disagreements"][0]["rationale"] == "judged 9"
    assert data["trustworthy"] is False
    assert "0.211" in data["trust_reason"] and "0.6" in data["trust_reason"]
    assert data["min_kappa"] == 0.6


def test_a_judge_that_agrees_with_people_is_trustworthy(
    sample_repo: Repository, faithfulness: Rubric, seeded: dict[int, int], server: FakeOpenAI
) -> None:
    judge_all(
        sample_repo,
        faithfulness,
        server,
        model=GOOD,
        items="all",
        score_of=lambda k: HUMAN.get(k, judge_score(k)),
    )
    data = judge_report.judge_vs_humans(
        sample_repo, faithfulness, GOOD, bootstrap=0, seed=1, threshold=0.8, min_kappa=0.6
    ).to_json()
    assert data["items"] == 12
    assert data["pass_fail"]["kappa"] == pytest.approx(1.0)
    assert data["pass_fail"]["percent"] == pytest.approx(1.0)
    assert data["vs_consensus"]["alpha"] == pytest.approx(1.0)
    assert data["largest_disagreements"] == []
    assert data["trustworthy"] is True
    assert data["tags"][TAG]["recall"] == data["tags"][TAG]["precision"] == 1.0


def test_agreement_needs_shared_items(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    judge_all(sample_repo, faithfulness, server)
    with pytest.raises(InputError, match="no item has both"):
        judge_report.judge_vs_humans(
            sample_repo, faithfulness, MODEL, bootstrap=0, seed=1, threshold=0.8, min_kappa=0.6
        )


def test_a_label_made_just_before_routing_is_not_the_second_opinion(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    """Ordered by label id, not by a millisecond clock: a human label written in the same
    millisecond as the route, but before it, still leaves the item to a second person."""
    item = sample_repo.item_ids_by_external(["nw-001"])["nw-001"]
    for who, score in (("judge:" + MODEL, 5), ("alice", 1)):
        sample_repo.append_event(
            item_id=item,
            rubric=RUBRIC,
            rubric_version="1.0.0",
            annotator=who,
            kind="rate",
            score=score,
        )
    sample_repo.conn.execute(  # alice's claim, as the app would have made it
        "INSERT INTO assignments (rubric, item_id, annotator, claimed_at) VALUES (?,?,?,?)",
        (RUBRIC, item, "alice", "2026-01-01T00:00:00.000Z"),
    )
    sample_repo.routing.route(RUBRIC, MODEL, [(item, "disagreement")])
    # Give the route the very timestamp of alice's label: a clock-based rule would now
    # take her label for the second opinion and never serve the item.
    (stamp,) = sample_repo.conn.execute(
        "SELECT created_at FROM labels WHERE annotator = 'alice'"
    ).fetchone()
    sample_repo.conn.execute("UPDATE routes SET created_at = ?", (stamp,))
    session = AnnotationSession(sample_repo, faithfulness, "newbie")
    session.start()
    assert session.current_id == item
