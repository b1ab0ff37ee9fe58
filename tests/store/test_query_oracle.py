"""The rewritten queue, status, judge-selection and agreement reads answer exactly what the
queries they replaced answered, on random small projects.

The old SQL is kept here, verbatim, as the oracle: overlap, live and lapsed
leases, the drift share, open and closed rounds, routes made before and
after human labels, judge-labelled items (judges of any letter case, as LIKE
matched them), skips, retractions and flags.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from tui_annotate.core import ingest
from tui_annotate.core.clock import now
from tui_annotate.store.clauses import ELIGIBLE, ROUTED_ELIGIBLE
from tui_annotate.store.repository import Repository

RUBRICS = ("faithfulness", "helpfulness")
PEOPLE = ("ana", "ben", "cho")
JUDGES = ("judge:x", "judge:y", "JUDGE:z")
LIVE = "(a.lease_until IS NULL OR a.lease_until > :now)"

OLD_ELIGIBLE = (
    " NOT EXISTS (SELECT 1 FROM label_state s WHERE s.rubric = :rubric"
    "   AND s.annotator = :annotator AND s.item_id = i.id AND s.state != 'open')"
    " AND (SELECT count(*) FROM assignments a WHERE a.rubric = :rubric"
    f"   AND a.item_id = i.id AND a.annotator != :annotator AND {LIVE})"
    "   < :overlap + (i.rank % 1000 < :drift)"
    " AND NOT EXISTS (SELECT 1 FROM round_items ri JOIN rounds r ON r.id = ri.round_id"
    "   WHERE ri.item_id = i.id AND r.status = 'open' AND r.rubric = :rubric)"
    " AND (NOT EXISTS (SELECT 1 FROM label_state j WHERE j.rubric = :rubric"
    "   AND j.item_id = i.id AND j.annotator LIKE 'judge:%' AND j.state = 'rated')"
    "   OR EXISTS (SELECT 1 FROM routes rt WHERE rt.rubric = :rubric AND rt.item_id = i.id))"
)
OLD_ROUTED_ELIGIBLE = (
    " NOT EXISTS (SELECT 1 FROM label_state s WHERE s.rubric = :rubric"
    "   AND s.annotator = :annotator AND s.item_id = i.id AND s.state != 'open')"
    " AND NOT EXISTS (SELECT 1 FROM round_items ri JOIN rounds r ON r.id = ri.round_id"
    "   WHERE ri.item_id = i.id AND r.status = 'open' AND r.rubric = :rubric)"
    " AND NOT EXISTS (SELECT 1 FROM label_state h JOIN labels l ON l.id = h.event_id"
    "   WHERE h.rubric = :rubric AND h.item_id = i.id AND h.state = 'rated'"
    "   AND h.annotator NOT LIKE 'judge:%' AND l.id > rt.after_label)"
    " AND (SELECT count(*) FROM assignments a WHERE a.rubric = :rubric"
    f"   AND a.item_id = i.id AND a.annotator != :annotator AND {LIVE} AND NOT EXISTS ("
    "     SELECT 1 FROM label_state o WHERE o.rubric = :rubric AND o.annotator = a.annotator"
    "     AND o.item_id = i.id AND o.state != 'open')) < :overlap"
)
OLD_UNLABELED = (
    "SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM label_state s"
    " WHERE s.rubric = ? AND s.item_id = i.id AND s.state = 'rated'"
    " AND s.annotator NOT LIKE 'judge:%')"
)
OLD_JUDGE_ITEMS = (
    "SELECT i.id FROM items i WHERE NOT EXISTS (SELECT 1 FROM label_state s"
    " WHERE s.rubric = ? AND s.item_id = i.id AND s.state = 'rated'"
    " AND (s.annotator = ? OR s.annotator NOT LIKE 'judge:%')) ORDER BY i.id"
)


def build(repo: Repository, seed: int, tmp_path: Any) -> None:
    """A random project: items, labels of every kind, leases, routes, rounds."""
    rng = random.Random(seed)
    rows = [{"id": f"e{n}", "input": f"q{n}", "output": f"answer {n} {seed}"} for n in range(40)]
    path = tmp_path / f"items{seed}.jsonl"
    import json

    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    ingest.import_items(repo, path)
    for name in RUBRICS:
        repo.conn.execute(
            "INSERT INTO rubrics (name, version, content_hash, toml, registered_at)"
            " VALUES (?, '1.0.0', 'h', '', ?)",
            (name, now()),
        )
    ids = [r[0] for r in repo.conn.execute("SELECT id FROM items ORDER BY id")]
    who_all = PEOPLE + JUDGES
    for _ in range(rng.randint(40, 160)):
        item, rubric, who = rng.choice(ids), rng.choice(RUBRICS), rng.choice(who_all)
        kind = rng.choices(["rate", "skip", "retract", "flag", "unflag"], [6, 2, 1, 1, 1])[0]
        repo.append_event(
            item_id=item,
            rubric=rubric,
            rubric_version="1.0.0",
            annotator=who,
            kind=kind,
            score=rng.randint(1, 5) if kind == "rate" else None,
        )
    for _ in range(rng.randint(0, 30)):
        lease = rng.choice([None, "2000-01-01T00:00:00.000Z", "2999-01-01T00:00:00.000Z"])
        rubric, item, who = rng.choice(RUBRICS), rng.choice(ids), rng.choice((*PEOPLE, "dee"))
        labelled = repo.conn.execute(
            "SELECT 1 FROM label_state WHERE rubric = ? AND annotator = ? AND item_id = ?"
            " AND state != 'open'",
            (rubric, who, item),
        ).fetchone()
        if lease is None and not labelled:
            # The store's invariant: a claim held for good (NULL) is a labelled one.
            lease = "2999-01-01T00:00:00.000Z"
        repo.conn.execute(
            "INSERT OR REPLACE INTO assignments (rubric, item_id, annotator, claimed_at,"
            " lease_until) VALUES (?,?,?,?,?)",
            (rubric, item, who, f"2026-01-01T00:00:0{rng.randint(0, 9)}", lease),
        )
    # Routed right at a label (after_label = its id) as well as between labels.
    marks = [0, *(r[0] for r in repo.conn.execute("SELECT id FROM labels"))]
    for item in rng.sample(ids, rng.randint(0, 10)):
        # Often right at a current label of the item: routed just after that label.
        own = [
            r[0]
            for r in repo.conn.execute(
                "SELECT event_id FROM label_state WHERE item_id = ? AND event_id IS NOT NULL",
                (item,),
            )
        ]
        marks = [*marks, *own, *own, *own]
        repo.conn.execute(
            "INSERT OR IGNORE INTO routes (rubric, item_id, reason, model, after_label,"
            " created_at) VALUES (?,?,'sample','x',?,?)",
            (rng.choice(RUBRICS), item, rng.choice(marks), f"2026-01-0{rng.randint(1, 3)}"),
        )
    for status in ("open", "closed"):
        if rng.random() < 0.7:
            round_id = repo.rounds.create(
                rubric=rng.choice(RUBRICS),
                rubric_version="1.0.0",
                rubric_major=1,
                source="sample",
                seed=1,
                created_by="lead",
                annotators=["ana", "ben"],
                item_ids=rng.sample(ids, 5),
            )
            if status == "closed":
                repo.rounds.close(round_id, verdict="pass", alpha=0.9, result={})


def ids_of(repo: Repository, sql: str, args: dict[str, Any]) -> list[int]:
    return [r[0] for r in repo.conn.execute(sql, args)]


@pytest.mark.parametrize("seed", range(12))
def test_new_queries_answer_as_the_old_ones(repo: Repository, seed: int, tmp_path: Any) -> None:
    build(repo, seed, tmp_path)
    for rubric in RUBRICS:
        assert (
            repo.items_unlabeled(rubric)
            == repo.conn.execute(OLD_UNLABELED, (rubric,)).fetchone()[0]
        )
        for model in ("x", "z", "new"):
            old = [r[0] for r in repo.conn.execute(OLD_JUDGE_ITEMS, (rubric, f"judge:{model}"))]
            assert repo.judge.item_ids(rubric, model, "unlabeled") == old
            assert repo.judge.item_ids(rubric, model, "unlabeled", limit=2) == old[:2]
        assert repo.annotators(rubric) == [
            r[0]
            for r in repo.conn.execute(
                "SELECT DISTINCT annotator FROM label_state WHERE rubric = ? ORDER BY 1", (rubric,)
            )
        ]
        for annotator in (*PEOPLE, "dee", "new"):
            for overlap in (1, 2):
                for drift in (0, 500):
                    args = {
                        "rubric": rubric,
                        "annotator": annotator,
                        "overlap": overlap,
                        "drift": drift,
                        "now": now(),
                        "start": 0,
                    }
                    old = ids_of(
                        repo, f"SELECT i.id FROM items i WHERE {OLD_ELIGIBLE} ORDER BY i.rank", args
                    )
                    new = ids_of(
                        repo, f"SELECT i.id FROM items i WHERE {ELIGIBLE} ORDER BY i.rank", args
                    )
                    assert new == old
                    _, remaining, _ = repo.progress(
                        rubric, annotator, overlap, drift_permille=drift
                    )
                    in_rounds = repo.conn.execute(
                        "SELECT count(*) FROM round_items ri JOIN rounds r ON r.id = ri.round_id"
                        " JOIN round_annotators ra ON ra.round_id = r.id"
                        " AND ra.annotator = :annotator WHERE r.status = 'open'"
                        " AND r.rubric = :rubric AND NOT EXISTS (SELECT 1 FROM label_state s"
                        " WHERE s.rubric = :rubric AND s.annotator = :annotator"
                        " AND s.item_id = ri.item_id AND s.state != 'open')",
                        args,
                    ).fetchone()[0]
                    assert remaining == in_rounds + len(old)
                    held = (
                        "SELECT a.item_id FROM assignments a JOIN items i ON i.id = a.item_id"
                        " WHERE a.rubric = :rubric AND a.annotator = :annotator AND NOT EXISTS ("
                        " SELECT 1 FROM label_state s WHERE s.rubric = :rubric"
                        " AND s.annotator = :annotator AND s.item_id = a.item_id"
                        " AND s.state != 'open') ORDER BY a.claimed_at, a.item_id"
                    )
                    new_held = held.replace(
                        "FROM assignments a", "FROM assignments a INDEXED BY assignments_leased"
                    ).replace(
                        " AND NOT EXISTS (", " AND a.lease_until IS NOT NULL AND NOT EXISTS ("
                    )
                    assert ids_of(repo, new_held, args) == ids_of(repo, held, args)
                    routed = "SELECT i.id FROM routes rt JOIN items i ON i.id = rt.item_id WHERE"
                    order = " ORDER BY rt.created_at, i.rank"
                    fast = routed.replace("routes rt", "routes rt INDEXED BY routes_by_time")
                    fast_order = " ORDER BY rt.created_at, rt.item_rank"
                    assert ids_of(
                        repo,
                        f"{fast} rt.rubric = :rubric AND {ROUTED_ELIGIBLE}{fast_order}",
                        args,
                    ) == ids_of(
                        repo, f"{routed} rt.rubric = :rubric AND {OLD_ROUTED_ELIGIBLE}{order}", args
                    )
    assert repo.label_counts() == [
        tuple(r)
        for r in repo.conn.execute(
            "SELECT rubric, annotator, sum(state = 'rated'), sum(state = 'skipped'),"
            " sum(flagged) FROM label_state GROUP BY rubric, annotator ORDER BY rubric, annotator"
        )
    ]
    for rubric in RUBRICS:
        for annotator in (*PEOPLE, *JUDGES, "new"):
            states = dict(
                repo.conn.execute(
                    "SELECT state, count(*) FROM label_state WHERE rubric = ? AND annotator = ?"
                    " GROUP BY state",
                    (rubric, annotator),
                ).fetchall()
            )
            expected = (states.get("rated", 0), states.get("skipped", 0))
            assert repo.state_counts(rubric, annotator) == expected
            latest = [
                r[0]
                for r in repo.conn.execute(
                    "SELECT item_id FROM label_state WHERE rubric = ? AND annotator = ?"
                    " AND state = 'rated' ORDER BY event_id DESC LIMIT 4",
                    (rubric, annotator),
                )
            ]
            assert repo.recent_rated(rubric, annotator, 4) == latest[::-1]
    assert repo.rubrics_in_use() == [
        r[0] for r in repo.conn.execute("SELECT DISTINCT rubric FROM labels ORDER BY 1")
    ]


@pytest.mark.parametrize("seed", range(6))
def test_rating_chunks_are_current_labels(repo: Repository, seed: int, tmp_path: Any) -> None:
    build(repo, seed, tmp_path)
    for rubric in RUBRICS:
        for live in (False, True):
            expected = sorted(
                (lb.annotator, lb.item_id, lb.score)
                for lb in repo.current_labels(rubric, live_only=live)
            )
            got = sorted(
                (who, item, score)
                for who in repo.annotators(rubric)
                for chunk in repo.rating_chunks(rubric, who, live_only=live, size=3)
                for item, score in chunk
            )
            assert got == expected
