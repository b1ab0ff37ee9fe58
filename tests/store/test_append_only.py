"""The label log is append-only, and label_state is derived from it by triggers."""

from __future__ import annotations

import sqlite3

import pytest

from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"


def append(
    repo: Repository,
    rubric: Rubric,
    kind: str,
    score: int | None = None,
    *,
    item_id: int = 1,
    annotator: str = "ana",
) -> int:
    return repo.append_event(
        item_id=item_id,
        rubric=rubric.name,
        rubric_version=rubric.version,
        annotator=annotator,
        kind=kind,
        score=score,
    )  # type: ignore[arg-type]


def state(repo: Repository, item_id: int = 1, annotator: str = "ana") -> tuple | None:
    return repo.conn.execute(
        "SELECT state, score, flagged, event_id FROM label_state"
        " WHERE rubric = ? AND annotator = ? AND item_id = ?",
        (RUBRIC, annotator, item_id),
    ).fetchone()


def rows(repo: Repository) -> list[tuple]:
    return repo.conn.execute("SELECT * FROM labels ORDER BY id").fetchall()


# -- append-only -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE labels SET score = 1",
        "UPDATE labels SET comment = 'edited' WHERE id = 1",
        "UPDATE labels SET kind = 'retract', score = NULL",
        "DELETE FROM labels",
        "DELETE FROM labels WHERE id = 1",
    ],
)
def test_labels_cannot_be_changed_or_deleted(
    sample_repo: Repository, faithfulness: Rubric, sql: str
) -> None:
    append(sample_repo, faithfulness, "rate", 4)
    before = rows(sample_repo)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        sample_repo.conn.execute(sql)
    assert rows(sample_repo) == before


def test_append_only_holds_inside_a_transaction(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    append(sample_repo, faithfulness, "rate", 4)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), sample_repo.transaction():
        sample_repo.conn.execute("DELETE FROM labels")
    assert len(rows(sample_repo)) == 1
    assert not sample_repo.conn.in_transaction


def test_rate_without_score_is_rejected(sample_repo: Repository, faithfulness: Rubric) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        append(sample_repo, faithfulness, "rate", None)
    assert rows(sample_repo) == []
    assert state(sample_repo) is None


@pytest.mark.parametrize("kind", ["retract", "skip", "flag", "unflag"])
def test_only_rate_carries_a_score(
    sample_repo: Repository, faithfulness: Rubric, kind: str
) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        append(sample_repo, faithfulness, kind, 3)
    assert rows(sample_repo) == []


def test_unknown_kind_is_rejected(sample_repo: Repository, faithfulness: Rubric) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        append(sample_repo, faithfulness, "delete", None)
    assert rows(sample_repo) == []


def test_label_needs_a_known_item_and_rubric_version(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        append(sample_repo, faithfulness, "rate", 3, item_id=9999)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        sample_repo.append_event(
            item_id=1, rubric=RUBRIC, rubric_version="7.0.0", annotator="ana", kind="rate", score=3
        )
    assert rows(sample_repo) == []


def test_rejected_event_leaves_no_open_transaction(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        append(sample_repo, faithfulness, "rate", None)
    assert not sample_repo.conn.in_transaction
    append(sample_repo, faithfulness, "rate", 5)
    assert state(sample_repo)[:2] == ("rated", 5)  # type: ignore[index]


# -- derived state ---------------------------------------------------------------------------


def test_state_follows_the_log(sample_repo: Repository, faithfulness: Rubric) -> None:
    assert state(sample_repo) is None
    e1 = append(sample_repo, faithfulness, "rate", 4)
    assert state(sample_repo) == ("rated", 4, 0, e1)
    e2 = append(sample_repo, faithfulness, "rate", 2)
    assert state(sample_repo) == ("rated", 2, 0, e2)
    e3 = append(sample_repo, faithfulness, "retract")
    assert state(sample_repo) == ("open", None, 0, e3)
    e4 = append(sample_repo, faithfulness, "skip")
    assert state(sample_repo) == ("skipped", None, 0, e4)
    e5 = append(sample_repo, faithfulness, "rate", 5)
    assert state(sample_repo) == ("rated", 5, 0, e5)
    assert [r[0] for r in rows(sample_repo)] == [e1, e2, e3, e4, e5]
    assert e1 < e2 < e3 < e4 < e5


def test_flag_and_unflag_leave_the_rating_alone(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    rated = append(sample_repo, faithfulness, "rate", 3)
    append(sample_repo, faithfulness, "flag")
    assert state(sample_repo) == ("rated", 3, 1, rated)
    assert sample_repo.is_flagged(1, RUBRIC, "ana")
    append(sample_repo, faithfulness, "unflag")
    assert state(sample_repo) == ("rated", 3, 0, rated)
    assert not sample_repo.is_flagged(1, RUBRIC, "ana")


def test_flag_before_any_rating(sample_repo: Repository, faithfulness: Rubric) -> None:
    append(sample_repo, faithfulness, "flag")
    assert state(sample_repo) == ("open", None, 1, None)
    rated = append(sample_repo, faithfulness, "rate", 2)
    assert state(sample_repo) == ("rated", 2, 1, rated)  # rating keeps the flag


def test_state_is_per_annotator_and_item(sample_repo: Repository, faithfulness: Rubric) -> None:
    append(sample_repo, faithfulness, "rate", 4, annotator="ana")
    append(sample_repo, faithfulness, "skip", annotator="bob")
    append(sample_repo, faithfulness, "rate", 1, item_id=2, annotator="ana")
    assert state(sample_repo, 1, "ana")[:2] == ("rated", 4)  # type: ignore[index]
    assert state(sample_repo, 1, "bob")[:2] == ("skipped", None)  # type: ignore[index]
    assert state(sample_repo, 2, "ana")[:2] == ("rated", 1)  # type: ignore[index]
    assert state(sample_repo, 2, "bob") is None


def test_current_label_reads_the_latest_rate_event(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    sample_repo.append_event(
        item_id=1,
        rubric=RUBRIC,
        rubric_version=faithfulness.version,
        annotator="ana",
        kind="rate",
        score=4,
        tags=("wrong-number",),
        comment="first",
    )
    sample_repo.append_event(
        item_id=1,
        rubric=RUBRIC,
        rubric_version=faithfulness.version,
        annotator="ana",
        kind="rate",
        score=2,
        comment="second",
    )
    label = sample_repo.current_label(1, RUBRIC, "ana")
    assert label is not None
    assert (label.score, label.tags, label.comment) == (2, (), "second")
    append(sample_repo, faithfulness, "retract")
    assert sample_repo.current_label(1, RUBRIC, "ana") is None
    assert [e.kind for e in sample_repo.events(rubric=RUBRIC)] == ["rate", "rate", "retract"]


def test_state_can_be_rebuilt_from_the_log(sample_repo: Repository, faithfulness: Rubric) -> None:
    """label_state is derived: replaying the log through the triggers gives the same table."""
    append(sample_repo, faithfulness, "rate", 4)
    append(sample_repo, faithfulness, "flag")
    append(sample_repo, faithfulness, "rate", 2, item_id=2)
    append(sample_repo, faithfulness, "retract", item_id=2)
    append(sample_repo, faithfulness, "skip", item_id=3, annotator="bob")
    query = (
        "SELECT rubric, annotator, item_id, state, score, flagged FROM label_state ORDER BY 1, 2, 3"
    )
    live = sample_repo.conn.execute(query).fetchall()
    conn = sample_repo.conn
    conn.execute("BEGIN")
    conn.execute("DELETE FROM label_state")
    conn.execute("CREATE TEMP TABLE replay AS SELECT * FROM labels ORDER BY id")
    conn.execute(
        "INSERT INTO label_state (rubric, annotator, item_id, state, score, event_id, flagged)"
        " SELECT rubric, annotator, item_id, 'open', NULL, NULL, 0 FROM replay"
        " GROUP BY rubric, annotator, item_id"
    )
    for row in conn.execute(
        "SELECT kind, score, rubric, annotator, item_id, id FROM replay ORDER BY id"
    ).fetchall():
        kind, score, rubric, annotator, item_id, event_id = row
        key = (rubric, annotator, item_id)
        if kind in ("flag", "unflag"):
            conn.execute(
                "UPDATE label_state SET flagged = ? WHERE rubric = ? AND annotator = ?"
                " AND item_id = ?",
                (int(kind == "flag"), *key),
            )
        else:
            new = {"rate": "rated", "skip": "skipped", "retract": "open"}[kind]
            conn.execute(
                "UPDATE label_state SET state = ?, score = ?, event_id = ? WHERE rubric = ?"
                " AND annotator = ? AND item_id = ?",
                (new, score, event_id, *key),
            )
    rebuilt = conn.execute(query).fetchall()
    conn.execute("ROLLBACK")
    assert rebuilt == live
