"""Leases: an item held by an annotator who vanished goes to the next one who asks.

A connection whose `lease_seconds` is negative takes leases that have already
run out: an annotator who vanished the moment they claimed. No clock is
waited on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_annotate.core import ingest, snapshot
from tui_annotate.core.clock import now
from tui_annotate.core.models import Rubric
from tui_annotate.store.migrations import MIGRATIONS
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"


def _items(repo: Repository, n: int) -> list[int]:
    source = Path(repo.path).parent / "items.jsonl"
    source.write_text("".join(f'{{"id": "it-{k}", "output": "answer {k}"}}\n' for k in range(n)))
    ingest.import_items(repo, source)
    return sorted(r[0] for r in repo.conn.execute("SELECT id FROM items"))


@pytest.fixture
def project(db_path: Path, faithfulness: Rubric) -> Iterator[Path]:
    with Repository.open(db_path) as repo:
        _items(repo, 1)
        snapshot.register(repo, faithfulness)
    yield db_path


def claim(repo: Repository, who: str, overlap: int = 1) -> int | None:
    return repo.claim_next(RUBRIC, who, overlap=overlap, start_rank=0)


def rate(repo: Repository, item: int, who: str, rubric: Rubric) -> None:
    repo.append_event(
        item_id=item,
        rubric=RUBRIC,
        rubric_version=rubric.version,
        annotator=who,
        kind="rate",
        score=3,
        overlap=1,
    )


def lease_of(repo: Repository, item: int, who: str) -> str | None:
    row = repo.conn.execute(
        "SELECT lease_until FROM assignments WHERE rubric = ? AND item_id = ? AND annotator = ?",
        (RUBRIC, item, who),
    ).fetchone()
    assert row is not None, f"{who} holds no claim on item {item}"
    return row[0]


def test_a_live_lease_keeps_the_item(project: Path) -> None:
    with Repository.open(project) as ana, Repository.open(project) as bob:
        item = claim(ana, "ana")
        assert item is not None
        assert claim(bob, "bob") is None
        # Ana's app beats: still hers.
        assert ana.renew_leases(RUBRIC, "ana") == 1
        assert claim(bob, "bob") is None


def test_a_lapsed_lease_goes_to_the_next_annotator(project: Path, faithfulness: Rubric) -> None:
    with Repository.open(project) as ana, Repository.open(project) as bob:
        ana.lease_seconds = -1  # gone the moment she claimed
        item = claim(ana, "ana")
        assert item is not None
        assert claim(bob, "bob") == item
        rate(bob, item, "bob", faithfulness)
        assert lease_of(bob, item, "bob") is None  # labelled: held for good
        # Ana comes back: the item is Bob's now, and her stale claim is dropped.
        ana.lease_seconds = 600
        assert claim(ana, "ana") is None
        assert ana.conn.execute(
            "SELECT count(*) FROM assignments WHERE annotator = 'ana'"
        ).fetchone() == (0,)


def test_the_owner_gets_a_lapsed_item_back_if_nobody_took_it(project: Path) -> None:
    with Repository.open(project) as ana:
        ana.lease_seconds = -1
        item = claim(ana, "ana")
        ana.lease_seconds = 600
        assert claim(ana, "ana") == item
        lease = lease_of(ana, item, "ana")
        assert lease is not None and lease > now()  # renewed on return


def test_overlap_counts_live_leases_only(db_path: Path, faithfulness: Rubric) -> None:
    with Repository.open(db_path) as repo:
        (item,) = _items(repo, 1)
        snapshot.register(repo, faithfulness)
    conns = {who: Repository.open(db_path) for who in ("ana", "bob", "cem", "dan")}
    try:
        conns["ana"].lease_seconds = -1
        assert claim(conns["ana"], "ana", overlap=2) == item
        assert claim(conns["bob"], "bob", overlap=2) == item
        assert claim(conns["cem"], "cem", overlap=2) == item  # Ana's lapsed seat
        assert claim(conns["dan"], "dan", overlap=2) is None  # two live holders: full
        # A rating needs a seat too: Ana can't label it behind the others' backs.
        assert not conns["ana"].claim_item(RUBRIC, item, "ana", 2)
    finally:
        for c in conns.values():
            c.close()


def test_a_retracted_rating_is_leased_again(project: Path, faithfulness: Rubric) -> None:
    with Repository.open(project) as ana:
        item = claim(ana, "ana")
        assert item is not None
        rate(ana, item, "ana", faithfulness)
        assert lease_of(ana, item, "ana") is None
        ana.append_event(
            item_id=item,
            rubric=RUBRIC,
            rubric_version=faithfulness.version,
            annotator="ana",
            kind="retract",
        )
        lease = lease_of(ana, item, "ana")
        assert lease is not None and lease > now()


def test_heartbeat_touches_only_open_leases(db_path: Path, faithfulness: Rubric) -> None:
    with Repository.open(db_path) as repo:
        _items(repo, 2)
        snapshot.register(repo, faithfulness)
        rated = claim(repo, "ana")
        assert rated is not None
        rate(repo, rated, "ana", faithfulness)
        other = claim(repo, "ana")
        assert other is not None and other != rated
        assert repo.renew_leases(RUBRIC, "ana") == 1  # the open one, not the labelled one
        assert lease_of(repo, rated, "ana") is None


def test_claims_made_before_leases_start_lapsed(db_path: Path) -> None:
    """Migrating a version-3 file: unlabelled claims lapse, labelled ones stay held for good."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("BEGIN")
    for migration in MIGRATIONS[:3]:
        migration(conn)
    conn.execute("PRAGMA user_version = 3")
    for k in (1, 2):
        conn.execute(
            "INSERT INTO items (external_id, content_hash, rank, output, imported_at)"
            " VALUES (?, ?, ?, 'out', 'now')",
            (f"x{k}", f"h{k}", k),
        )
        conn.execute(
            "INSERT INTO assignments (rubric, item_id, annotator, claimed_at)"
            " VALUES ('r', ?, 'ana', '2026-01-01T00:00:00.000Z')",
            (k,),
        )
    conn.execute(
        "INSERT INTO rubrics (name, version, content_hash, toml, registered_at)"
        " VALUES ('r', '1.0.0', 'c', '', 'now')"
    )
    conn.execute(
        "INSERT INTO labels (item_id, rubric, rubric_version, annotator, kind, score, created_at)"
        " VALUES (1, 'r', '1.0.0', 'ana', 'rate', 4, 'now')"
    )
    conn.execute("COMMIT")
    conn.close()
    with Repository.open(db_path) as repo:
        leases = dict(repo.conn.execute("SELECT item_id, lease_until FROM assignments"))
    assert leases == {1: None, 2: "2026-01-01T00:00:00.000Z"}
