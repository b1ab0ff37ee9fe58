"""import-labels gives the same project whatever the size of the batches it reads and writes.

The file is read, readied (store/label_ready.py) and written a batch at a
time, so a repeat of a line, a re-rating, or a label identical to one the
project has can fall in the same batch as its twin or many batches later.
Here one messy file (repeats, re-ratings, labels already there, a flag, a
lease, keys someone else rated) is imported with batches of 1, 2, 3, 7 and
20,000 rows into copies of one project, and each result is checked against
a model of the rules written out in plain Python: the labels appended (with
their lines), every current label, every claim.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.store.test_label_publish import run_import
from tui_annotate.core import label_import
from tui_annotate.core.models import Rubric
from tui_annotate.errors import InputError, ManyInputErrors, StoreError
from tui_annotate.store.label_publish import LabelPublish
from tui_annotate.store.label_ready import LabelReady
from tui_annotate.store.repository import Repository

ITEMS = [f"nw-{n:03d}" for n in range(1, 9)]
WHO = ("ext-a", "ext-b", "alice")
COMMENTS = ("", "checked")

Key = tuple[str, str]  # (item external id, annotator)
Content = tuple[int, str]  # (score, comment)


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def messy_file(path: Path, seed: int, by_item: bool) -> list[dict[str, Any]]:
    """160 lines on 8 items: in random order, or (as a tool's export by item) in item order."""
    rng = random.Random(seed)
    rows = [
        {
            "item_id": rng.choice(ITEMS),
            "annotator": rng.choice(WHO),
            "score": rng.randint(1, 3),
            "comment": rng.choice(COMMENTS),
        }
        for _ in range(160)
    ]
    if by_item:
        rows.sort(key=lambda row: row["item_id"])  # stable: a key's lines keep their order
    write_rows(path, rows)
    return rows


def before(repo: Repository, rubric: Rubric) -> dict[Key, Content]:
    """Labels some keys have already: alice's, and one of ext-a's; a flag; a lease."""
    ids = repo.item_ids_by_external(ITEMS)
    had: dict[Key, Content] = {}
    for n, ext in enumerate(ITEMS[:5]):
        who = "alice" if n else "ext-a"
        score = n % 3 + 1
        repo.append_event(
            item_id=ids[ext],
            rubric=rubric.name,
            rubric_version=rubric.version,
            annotator=who,
            kind="rate",
            score=score,
        )
        had[(ext, who)] = (score, "")
    repo.append_event(
        item_id=ids[ITEMS[6]],
        rubric=rubric.name,
        rubric_version=rubric.version,
        annotator="ext-b",
        kind="flag",
    )
    assert repo.claim_item(rubric.name, ids[ITEMS[7]], "ext-b", 3)  # a lease
    return had


def model(rows: list[dict[str, Any]], had: dict[Key, Content]) -> tuple[set[Any], dict[Key, Any]]:
    """The rules: a line identical to a label the project has is left alone; of identical
    lines, only the last is kept; a key's current label is its last kept line, else the
    one it had."""
    last: dict[tuple[Key, Content], int] = {}
    for line, row in enumerate(rows, start=1):
        key, content = (row["item_id"], row["annotator"]), (row["score"], row["comment"])
        if had.get(key) != content:
            last[(key, content)] = line
    kept = {(key, content, line) for (key, content), line in last.items()}
    current: dict[Key, Any] = {key: content for key, content in had.items()}
    newest: dict[Key, int] = {}
    for key, content, line in kept:
        if line > newest.get(key, 0):
            newest[key] = line
            current[key] = content
    return kept, current


def project(db: Path) -> tuple[set[Any], dict[Key, Any], set[Any]]:
    """What the project shows: the file's labels (key, content, line), current labels, claims."""
    with Repository.open(db) as repo:
        conn = repo.conn
        labels = {
            ((ext, who), (score, comment), json.loads(meta)["line"])
            for ext, who, score, comment, meta in conn.execute(
                "SELECT i.external_id, l.annotator, l.score, l.comment, l.meta FROM labels l"
                " JOIN items i ON i.id = l.item_id WHERE l.meta LIKE '%imported_from%'"
            )
        }
        current = {
            (ext, who): (score, comment)
            for ext, who, score, comment in conn.execute(
                "SELECT i.external_id, s.annotator, s.score, l.comment FROM label_state s"
                " JOIN items i ON i.id = s.item_id JOIN labels l ON l.id = s.event_id"
                " WHERE s.state = 'rated'"
            )
        }
        claims = set(
            conn.execute(
                "SELECT i.external_id, a.annotator, a.lease_until IS NULL FROM assignments a"
                " JOIN items i ON i.id = a.item_id"
            )
        )
        assert LabelPublish(repo.connection).pending() == (1, 0, "")
        # The placeholder at the top of the range (no annotator) went with it.
        assert (
            conn.execute("SELECT count(*) FROM labels_all WHERE annotator = ''").fetchone()[0] == 0
        )
    return labels, current, claims


@pytest.mark.parametrize("by_item", [False, True], ids=["random order", "item order"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_batch_size_gives_what_the_rules_say(
    sample_repo: Repository,
    db_path: Path,
    tmp_path: Path,
    faithfulness: Rubric,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    by_item: bool,
) -> None:
    """In item order every batch is written as it comes; in random order the batch of the
    first line out of order, and the rest, wait for the sort (store/label_ready.py)."""
    had = before(sample_repo, faithfulness)
    rows = messy_file(tmp_path / "l.jsonl", seed, by_item)
    kept, current = model(rows, had)
    sample_repo.close()
    streamed: list[bool] = []
    finish = LabelReady.finish

    def noted(ready: LabelReady) -> int:
        streamed.append(ready.streaming)
        return finish(ready)

    monkeypatch.setattr(LabelReady, "finish", noted)
    results = []
    for size in (1, 2, 3, 7, 20_000):
        copy = tmp_path / f"copy-{size}.db"
        shutil.copy(db_path, copy)
        monkeypatch.setattr(label_import, "STAGE_ROWS", size)
        with Repository.open(copy) as repo:
            result = run_import(repo, tmp_path / "l.jsonl", faithfulness)
        assert (result.read, result.inserted) == (len(rows), len(kept)), size
        labels, now_current, claims = project(copy)
        assert labels == kept, size
        assert now_current == current, size
        # Every key the file labelled is held for good, the lease it turned into a claim too.
        assert {(ext, who) for (ext, who), _, _ in kept} <= {
            (ext, who) for ext, who, held in claims if held
        }
        results.append((labels, now_current, claims))
    assert all(r == results[0] for r in results)
    # A random file's first line out of item order stops it, even inside a single batch.
    assert streamed == [by_item] * 5


def test_an_unknown_item_in_a_later_batch_leaves_the_project_as_it_was(
    sample_repo: Repository,
    db_path: Path,
    tmp_path: Path,
    faithfulness: Rubric,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Earlier batches were written (unseen) when the unknown id turns up: all of it goes."""
    monkeypatch.setattr(label_import, "STAGE_ROWS", 5)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    rows = [{"item_id": ext, "annotator": "ext-a", "score": 2} for ext in ITEMS * 3]
    rows[20]["item_id"] = "no-such-item"
    path = write_rows(tmp_path / "l.jsonl", rows)
    stored = _stored(db_path)
    with pytest.raises(InputError, match=r"unknown item ids: 'no-such-item'"):
        run_import(sample_repo, path, faithfulness)
    assert _stored(db_path) == stored
    assert not list(scratch.iterdir())  # the scratch database is gone with it


def test_a_bad_line_in_a_later_batch_leaves_the_project_as_it_was(
    sample_repo: Repository,
    db_path: Path,
    tmp_path: Path,
    faithfulness: Rubric,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(label_import, "STAGE_ROWS", 5)
    lines = [json.dumps({"item_id": ext, "annotator": "ext-a", "score": 2}) for ext in ITEMS * 3]
    lines[17] = json.dumps({"item_id": ITEMS[0], "annotator": "ext-a", "score": 9})
    path = tmp_path / "l.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    stored = _stored(db_path)
    with pytest.raises(ManyInputErrors) as caught:
        run_import(sample_repo, path, faithfulness)
    assert [(e.line, e.field) for e in caught.value.errors] == [(18, "score")]
    assert _stored(db_path) == stored


def test_a_file_that_grows_while_it_is_read_is_refused_whole(
    sample_repo: Repository,
    db_path: Path,
    tmp_path: Path,
    faithfulness: Rubric,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pending range is as long as the file could hold lines when the import began:
    a file appended to meanwhile can outgrow it (here, its bound is made small)."""
    monkeypatch.setattr(label_import, "STAGE_ROWS", 4)
    monkeypatch.setattr(label_import.source, "line_bound", lambda path: 10)
    rows = [{"item_id": ext, "annotator": who, "score": 2} for ext in ITEMS for who in WHO]
    path = write_rows(tmp_path / "l.jsonl", rows)
    stored = _stored(db_path)
    with pytest.raises(InputError, match="grew while it was read") as caught:
        run_import(sample_repo, path, faithfulness)
    assert caught.value.file == str(path)
    assert _stored(db_path) == stored


def _stored(db: Path) -> tuple[int, int, int, int]:
    """Rows stored, seen or not, and the largest label id (a failed import leaves no gap)."""
    with closing(sqlite3.connect(db)) as conn:
        return (
            conn.execute("SELECT count(*) FROM labels_all").fetchone()[0],
            conn.execute("SELECT count(*) FROM label_state").fetchone()[0],
            conn.execute("SELECT count(*) FROM assignments").fetchone()[0],
            conn.execute("SELECT coalesce(max(id), 0) FROM labels_all").fetchone()[0],
        )


def test_a_failing_scratch_database_is_an_error_for_a_person(
    sample_repo: Repository,
    db_path: Path,
    tmp_path: Path,
    faithfulness: Rubric,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scratch database lives in $TMPDIR: a full one says so, and nothing is imported."""

    def full(ready: LabelReady, earlier: int) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(LabelReady, "_ready", full)
    rows = [{"item_id": ext, "annotator": "ext-a", "score": 2} for ext in ITEMS]
    path = write_rows(tmp_path / "l.jsonl", rows)
    stored = _stored(db_path)
    with pytest.raises(StoreError, match=r"scratch database failed \(database or disk is full\)"):
        run_import(sample_repo, path, faithfulness)
    assert _stored(db_path) == stored
