"""The pairwise store: its schema, the append-only vote log, current votes, claims and leases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.pairwise_data import PROMPT, make_project
from tui_annotate.core.pairwise import tasks
from tui_annotate.core.pairwise.models import Task
from tui_annotate.errors import ItemFull
from tui_annotate.store.repository import Repository


@pytest.fixture
def project(db_path: Path) -> Path:
    return make_project(db_path, 6)


def start(repo: Repository, **kw: object) -> Task:
    task_id, _ = tasks.start(repo, prompt=PROMPT, versions=["1.0.0", "1.1.0"], **kw)  # type: ignore[arg-type]
    return tasks.find(repo, task_id)


def test_schema_columns(project: Path) -> None:
    with Repository.open(project) as repo:
        assert repo.columns("pairwise_votes") == [
            "id",
            "task_id",
            "pair_id",
            "annotator",
            "kind",
            "choice",
            "left",
            "tags",
            "comment",
            "seconds",
            "created_at",
        ]
        assert repo.columns("pairwise_pairs") == [
            "id",
            "task_id",
            "position",
            "case_key",
            "version_a",
            "version_b",
            "item_a",
            "item_b",
            "a_left",
        ]
        assert repo.columns("pairwise_claims") == [
            "pair_id",
            "annotator",
            "task_id",
            "left",
            "claimed_at",
            "lease_until",
        ]
        assert "pairwise_tasks" in repo.tables()


def test_votes_are_append_only_and_the_latest_event_counts(project: Path) -> None:
    with Repository.open(project) as repo:
        task = start(repo)
        pair, left = repo.pairwise.claim_next(task, "ana") or (0, "a")
        repo.pairwise.append(task, pair, "ana", kind="vote", left=left, choice="a")
        repo.pairwise.append(task, pair, "ana", kind="undo", left=left)
        assert repo.pairwise.current_votes(task.id) == []
        repo.pairwise.append(task, pair, "ana", kind="vote", left=left, choice="tie", tags=["x"])
        [vote] = repo.pairwise.current_votes(task.id)
        assert (vote.pair_id, vote.choice, vote.left) == (pair, "tie", left)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            repo.conn.execute("UPDATE pairwise_votes SET choice = 'b'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            repo.conn.execute("DELETE FROM pairwise_votes")
        with pytest.raises(sqlite3.IntegrityError):
            repo.conn.execute(
                "INSERT INTO pairwise_votes (task_id, pair_id, annotator, kind, choice, left,"
                " created_at) VALUES (?, ?, 'ana', 'vote', 'left', 'a', '')",
                (task.id, pair),
            )
        assert repo.conn.execute("SELECT count(*) FROM pairwise_votes").fetchone()[0] == 3


def test_a_vote_is_committed_before_the_call_returns(project: Path) -> None:
    with Repository.open(project) as repo:
        task = start(repo)
        pair, left = repo.pairwise.claim_next(task, "ana") or (0, "a")
        _, following = repo.pairwise.append(
            task, pair, "ana", kind="vote", left=left, choice="b", claim_next=True
        )
        assert following is not None and following[0] != pair
        with Repository.open(project, readonly=True) as other:
            assert [v.choice for v in other.pairwise.current_votes(task.id)] == ["b"]


def test_open_task_overlap_one_never_gives_a_pair_to_two(project: Path) -> None:
    with Repository.open(project) as repo:
        task = start(repo)
        got = {}
        for name in ("ana", "ben"):
            claimed = repo.pairwise.claim_next(task, name)
            assert claimed is not None
            got[name] = claimed[0]
        assert got["ana"] != got["ben"]
        # Claiming again returns the pair already held (the one on screen).
        assert (repo.pairwise.claim_next(task, "ana") or (0,))[0] == got["ana"]


def test_a_lapsed_lease_frees_the_pair(project: Path) -> None:
    with Repository.open(project) as repo:
        repo.lease_seconds = 0.0
        task = start(repo)
        first = repo.pairwise.claim_next(task, "ana")
        second = repo.pairwise.claim_next(task, "ben")
        assert first is not None and second is not None
        assert second[0] == first[0]  # ana's lease ran out at once: ben takes the pair


def test_named_annotators_each_get_every_pair_the_second_mirrored(project: Path) -> None:
    with Repository.open(project) as repo:
        task = start(repo, annotators=("ana", "ben"))
        sides: dict[str, dict[int, str]] = {"ana": {}, "ben": {}}
        for name in ("ana", "ben"):
            while (claimed := repo.pairwise.claim_next(task, name)) is not None:
                pair, left = claimed
                sides[name][pair] = left
                repo.pairwise.append(task, pair, name, kind="vote", left=left, choice="a")
        assert set(sides["ana"]) == set(sides["ben"])
        assert len(sides["ana"]) == repo.pairwise.pair_count(task.id) == 6
        assert all(sides["ana"][p] != sides["ben"][p] for p in sides["ana"])
        assert sum(s == "a" for s in sides["ana"].values()) == 3


def test_skip_gives_the_pair_back_and_undo_keeps_the_side(project: Path) -> None:
    with Repository.open(project) as repo:
        task = start(repo)
        pair, left = repo.pairwise.claim_next(task, "ana") or (0, "a")
        repo.pairwise.append(task, pair, "ana", kind="skip", left=left)
        assert (repo.pairwise.claim_next(task, "ben") or (0,))[0] == pair
        again = repo.pairwise.claim_next(task, "cy")
        assert again is not None and again[0] != pair
        repo.pairwise.append(task, again[0], "cy", kind="vote", left=again[1], choice="b")
        repo.pairwise.append(task, again[0], "cy", kind="undo", left=again[1])
        assert repo.pairwise.side(again[0], "cy") == again[1]
        assert (repo.pairwise.claim_next(task, "cy") or (0,))[0] == again[0]


def test_a_vote_on_a_pair_others_took_is_refused(project: Path) -> None:
    with Repository.open(project) as repo:
        repo.lease_seconds = 0.0
        task = start(repo)
        pair, left = repo.pairwise.claim_next(task, "ana") or (0, "a")
        repo.lease_seconds = 60.0
        taken = repo.pairwise.claim_next(task, "ben")
        assert taken is not None and taken[0] == pair  # ana's lease ran out: ben has it
        with pytest.raises(ItemFull):
            repo.pairwise.append(task, pair, "ana", kind="vote", left=left, choice="a")
        assert repo.pairwise.current_votes(task.id) == []
