"""import-labels is seen whole or not at all, though it writes in short transactions (m008).

While an import of labels writes its chunks, every reader in another
connection (events, current labels, counts, the unlabelled count, the
annotator list, the claims that count against overlap) sees the project as
it was; then all of it at once. Annotators' writes get in between chunks and
stay theirs. A failed import, or one killed with SIGKILL at any of its
steps, leaves nothing anyone sees, and the next import cleans up after it.
Ordering is proven with the store's own hook (label_publish.step_hook), run
between the import's transactions: nothing here waits on a clock.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tui_annotate.core import label_import, snapshot
from tui_annotate.core.clock import now
from tui_annotate.core.models import Rubric
from tui_annotate.store import label_publish
from tui_annotate.store.clauses import LIVE
from tui_annotate.store.import_lock import ImportLock
from tui_annotate.store.label_publish import LabelPublish
from tui_annotate.store.repository import Repository

ANNOTATORS = ("ext-a", "ext-b", "ext-c")
DEADLINE = 60.0


def write_labels(path: Path, repo: Repository, score: int = 3) -> Path:
    """Three annotators' labels on each of the 40 sample items, one per line."""
    ids = sorted(repo.item_ids_by_external([f"nw-{n:03d}" for n in range(1, 41)]))
    rows = [
        {"item_id": ext, "annotator": who, "score": (n + k + score) % 5 + 1}
        for n, ext in enumerate(ids)
        for k, who in enumerate(ANNOTATORS)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def seen(db_path: Path) -> dict[str, Any]:
    """What another connection's readers see of labels, states and claims."""
    with Repository.open(db_path) as other:
        conn = other.conn
        return {
            "labels": conn.execute("SELECT count(*) FROM labels").fetchone()[0],
            "events": len(other.events(rubric="faithfulness")),
            "current": sorted(
                (c.item_id, c.annotator, c.score) for c in other.current_labels("faithfulness")
            ),
            "counts": other.label_counts(),
            "unlabelled": other.items_unlabeled("faithfulness"),
            "annotators": other.annotators("faithfulness"),
            "ext-a rated": other.state_counts("faithfulness", "ext-a"),
            # What the queue has left for someone else, one annotator an item: the file's
            # claims hold every item once they count.
            "queue for zed": other.progress("faithfulness", "zed", 1),
            "queue for ext-b": other.progress("faithfulness", "ext-b", 3),
            "live claims": conn.execute(
                f"SELECT count(*) FROM assignments a WHERE {LIVE}", {"now": now()}
            ).fetchone()[0],
        }


def stored(db_path: Path) -> tuple[int, int, int]:
    """Rows stored whether seen or not: labels, label states, claims."""
    with closing(sqlite3.connect(db_path)) as conn:
        return (
            conn.execute("SELECT count(*) FROM labels_all").fetchone()[0],
            conn.execute("SELECT count(*) FROM label_state").fetchone()[0],
            conn.execute("SELECT count(*) FROM assignments").fetchone()[0],
        )


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 7 labels, and no pause between them."""
    monkeypatch.setattr(label_publish, "CHUNK_FIRST", 7)
    monkeypatch.setattr(label_publish, "CHUNK_MIN", 7)
    monkeypatch.setattr(label_publish, "CHUNK_MAX", 7)
    monkeypatch.setattr(label_publish, "PAUSE_MIN", 0.0)


@pytest.fixture
def hook() -> Iterator[list[Any]]:
    """Set label_publish.step_hook for the test (the list holds it); always unset after."""
    holder: list[Any] = []
    label_publish.step_hook = lambda step: holder[0](step) if holder else None
    yield holder
    label_publish.step_hook = None


def rate(repo: Repository, rubric: Rubric, external: str, annotator: str, score: int) -> int:
    item = repo.item_ids_by_external([external])[external]
    return repo.append_event(
        item_id=item,
        rubric=rubric.name,
        rubric_version=rubric.version,
        annotator=annotator,
        kind="rate",
        score=score,
    )


def run_import(repo: Repository, path: Path, rubric: Rubric) -> label_import.LabelImportResult:
    return label_import.import_labels(repo, path, {rubric.name: rubric}, rubric.name)


def test_nothing_is_seen_until_the_last_transaction_then_all_of_it(
    sample_repo: Repository,
    db_path: Path,
    tmp_path: Path,
    faithfulness: Rubric,
    small_chunks: None,
    hook: list[Any],
) -> None:
    # ext-a already rated one item: the file re-rates it, which must also wait.
    rate(sample_repo, faithfulness, "nw-001", "ext-a", 1)
    before = seen(db_path)
    during: list[dict[str, Any]] = []
    steps: list[str] = []

    def look(step: str) -> None:
        steps.append(step)
        during.append(seen(db_path))

    hook.append(look)
    result = run_import(sample_repo, write_labels(tmp_path / "l.jsonl", sample_repo), faithfulness)
    assert (result.read, result.inserted) == (120, 120)
    assert steps[0] == "reserved" and steps[-1] == "written"
    assert steps.count("chunk") == 18  # 120 rows, 7 a transaction
    assert all(view == before for view in during)  # nobody saw any of it …
    after = seen(db_path)
    assert after["labels"] == before["labels"] + 120  # … then everybody saw all of it
    assert len(after["current"]) == 120
    assert after["unlabelled"] == 0
    assert after["annotators"] == list(ANNOTATORS)
    assert after["ext-a rated"] == (40, 0)
    assert after["live claims"] == 120
    assert before["queue for zed"] == (0, 40, 0) and after["queue for zed"] == (0, 0, 0)
    assert after["queue for ext-b"] == (40, 0, 0)
    item = sample_repo.item_ids_by_external(["nw-001"])["nw-001"]
    current = sample_repo.current_label(item, "faithfulness", "ext-a")
    assert current is not None and current.score != 1  # the file's re-rating is current
    assert stored(db_path) == (121, 120, 120)
    assert LabelPublish(sample_repo.connection).pending() == (1, 0, "")


def test_an_annotator_saves_while_an_import_is_publishing(
    sample_repo: Repository,
    db_path: Path,
    tmp_path: Path,
    faithfulness: Rubric,
    small_chunks: None,
    hook: list[Any],
) -> None:
    """Between two of the import's transactions another connection writes, and is seen at once."""
    saved: list[tuple[int, int, int]] = []

    def annotate(step: str) -> None:
        if step != "chunk" or saved:
            return
        with Repository.open(db_path) as annotator:
            low, high, _ = LabelPublish(annotator.connection).pending()
            assert low <= high  # the import is publishing: its range is pending
            # A person's own label, and one on a key the file labels too, made after it.
            mine = rate(annotator, faithfulness, "nw-002", "alice", 4)
            theirs = rate(annotator, faithfulness, "nw-003", "ext-b", 1)
            saved.append((low, high, mine))
            assert mine > high and theirs > high  # ids above the import's range
            item = annotator.item_ids_by_external(["nw-003"])["nw-003"]
        view = seen(db_path)
        assert ("alice", 1, 0) in [(a, r, s) for _, a, r, s, _ in view["counts"]]
        assert view["labels"] == 2  # theirs, seen at once; none of the file's
        with Repository.open(db_path) as reader:
            now_current = reader.current_label(item, "faithfulness", "ext-b")
        assert now_current is not None and now_current.score == 1

    hook.append(annotate)
    result = run_import(sample_repo, write_labels(tmp_path / "l.jsonl", sample_repo), faithfulness)
    assert saved and result.inserted == 120
    item = sample_repo.item_ids_by_external(["nw-003"])["nw-003"]
    current = sample_repo.current_label(item, "faithfulness", "ext-b")
    assert current is not None and current.score == 1  # the later label stays current
    assert len(seen(db_path)["current"]) == 121


def test_a_label_appended_since_the_check_is_not_duplicated(
    sample_repo: Repository,
    db_path: Path,
    tmp_path: Path,
    faithfulness: Rubric,
    small_chunks: None,
    hook: list[Any],
) -> None:
    source = write_labels(tmp_path / "l.jsonl", sample_repo)
    first = json.loads(source.read_text("utf-8").splitlines()[0])

    def same_label(step: str) -> None:
        if step == "written":
            with Repository.open(db_path) as other:
                rate(other, faithfulness, first["item_id"], first["annotator"], first["score"])

    hook.append(same_label)
    result = run_import(sample_repo, source, faithfulness)
    assert (result.read, result.inserted, result.duplicates) == (120, 119, 1)
    item = sample_repo.item_ids_by_external([first["item_id"]])[first["item_id"]]
    copies = [
        e
        for e in sample_repo.events(rubric="faithfulness", annotator=first["annotator"])
        if e.item_id == item
    ]
    assert len(copies) == 1
    assert len(seen(db_path)["current"]) == 120
    again = run_import(sample_repo, source, faithfulness)
    assert again.inserted == 0


def test_a_failed_import_leaves_nothing_behind(
    sample_repo: Repository,
    db_path: Path,
    tmp_path: Path,
    faithfulness: Rubric,
    small_chunks: None,
    hook: list[Any],
) -> None:
    rate(sample_repo, faithfulness, "nw-001", "ext-a", 1)
    before, rows = seen(db_path), stored(db_path)
    chunks: list[str] = []

    def fail(step: str) -> None:
        chunks.append(step)
        if len(chunks) == 6:
            raise OSError("disk gone")

    hook.append(fail)
    with pytest.raises(OSError, match="disk gone"):
        run_import(sample_repo, write_labels(tmp_path / "l.jsonl", sample_repo), faithfulness)
    assert seen(db_path) == before
    assert stored(db_path) == rows
    assert LabelPublish(sample_repo.connection).pending() == (1, 0, "")


def flag(repo: Repository, rubric: Rubric, external: str, annotator: str) -> int:
    item = repo.item_ids_by_external([external])[external]
    return repo.append_event(
        item_id=item,
        rubric=rubric.name,
        rubric_version=rubric.version,
        annotator=annotator,
        kind="flag",
    )


def state_row(db_path: Path, external: str, annotator: str) -> tuple[Any, ...] | None:
    """label_state's row for (faithfulness, ANNOTATOR, item EXTERNAL): state, score, flagged,
    and whether its event id is set."""
    with closing(sqlite3.connect(db_path)) as conn:
        return conn.execute(
            "SELECT s.state, s.score, s.flagged, s.event_id IS NOT NULL FROM label_state s"
            " JOIN items_all i ON i.id = s.item_id WHERE i.external_id = ?"
            " AND s.rubric = 'faithfulness' AND s.annotator = ?",
            (external, annotator),
        ).fetchone()


def test_a_flag_set_during_a_failed_import_stays(
    sample_repo: Repository,
    db_path: Path,
    tmp_path: Path,
    faithfulness: Rubric,
    small_chunks: None,
    hook: list[Any],
) -> None:
    """ext-a flags an item the import has already given a (pending) state; the import then
    fails. The flag is ext-a's own label: it stays, and the state is what the flag alone
    makes (open, flagged), not deleted with the import's."""
    steps: list[str] = []

    def flag_then_fail(step: str) -> None:
        steps.append(step)
        if steps.count("chunk") == 1 and step == "chunk":
            with Repository.open(db_path) as annotator:
                flag(annotator, faithfulness, "nw-001", "ext-a")
            assert state_row(db_path, "nw-001", "ext-a") == ("rated", 3 % 5 + 1, 1, 1)
        if steps.count("chunk") == 3:
            raise OSError("disk gone")

    hook.append(flag_then_fail)
    with pytest.raises(OSError, match="disk gone"):
        run_import(sample_repo, write_labels(tmp_path / "l.jsonl", sample_repo), faithfulness)
    item = sample_repo.item_ids_by_external(["nw-001"])["nw-001"]
    assert sample_repo.is_flagged(item, "faithfulness", "ext-a")
    assert state_row(db_path, "nw-001", "ext-a") == ("open", None, 1, 0)
    assert sample_repo.current_label(item, "faithfulness", "ext-a") is None
    # Every other state the import wrote is gone; only the flag's row and label are left.
    assert stored(db_path) == (1, 1, 0)
    assert LabelPublish(sample_repo.connection).pending() == (1, 0, "")


def test_a_flag_set_before_its_key_is_written_keeps_the_imported_state(
    sample_repo: Repository,
    db_path: Path,
    tmp_path: Path,
    faithfulness: Rubric,
    small_chunks: None,
    hook: list[Any],
) -> None:
    """The file is read and checked before its first chunk is written (one batch). ext-c then
    flags nw-040, whose labels are in the last chunk: a state row of the flag alone, made
    after the check. The import's rating still becomes that key's state, with the flag."""
    flagged: list[int] = []

    def flag_first(step: str) -> None:
        if step == "chunk" and not flagged:
            with Repository.open(db_path) as annotator:
                flagged.append(flag(annotator, faithfulness, "nw-040", "ext-c"))
            assert state_row(db_path, "nw-040", "ext-c") == ("open", None, 1, 0)

    hook.append(flag_first)
    source = write_labels(tmp_path / "l.jsonl", sample_repo)
    result = run_import(sample_repo, source, faithfulness)
    assert flagged and result.inserted == 120
    line = [json.loads(x) for x in source.read_text("utf-8").splitlines()][-1]
    assert (line["item_id"], line["annotator"]) == ("nw-040", "ext-c")
    assert state_row(db_path, "nw-040", "ext-c") == ("rated", line["score"], 1, 1)
    item = sample_repo.item_ids_by_external(["nw-040"])["nw-040"]
    current = sample_repo.current_label(item, "faithfulness", "ext-c")
    assert current is not None and current.score == line["score"]
    assert len(seen(db_path)["current"]) == 120


#: Runs an import of labels that SIGKILLs itself at its STEP-th step (argv[3]).
KILLED_IMPORT = """
import os, signal, sys
from pathlib import Path
from tui_annotate.core import label_import
from tui_annotate.core.rubric import load_rubric
from tui_annotate.store import label_publish
from tui_annotate.store.label_publish import LabelPublish
from tui_annotate.store.repository import Repository

label_publish.CHUNK_FIRST = label_publish.CHUNK_MIN = label_publish.CHUNK_MAX = 7
label_publish.PAUSE_MIN = 0.0
steps = []
def hook(step):
    steps.append(step)
    if len(steps) == int(sys.argv[3]):
        os.kill(os.getpid(), signal.SIGKILL)
label_publish.step_hook = hook
rubric = load_rubric(Path(sys.argv[4]))
label_import.import_labels(Repository.open(sys.argv[1]), Path(sys.argv[2]),
                           {rubric.name: rubric}, rubric.name)
"""

#: Steps of the import above: reserved, 18 chunks, written (see the first test).
STEPS = 20


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill9_at_a_seeded_step_shows_nothing_and_the_next_import_cleans_up(
    sample_repo: Repository,
    db_path: Path,
    tmp_path: Path,
    faithfulness: Rubric,
    seed: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rate(sample_repo, faithfulness, "nw-001", "ext-a", 1)
    snapshot.register(sample_repo, faithfulness)
    source = write_labels(tmp_path / "l.jsonl", sample_repo)
    before, rows = seen(db_path), stored(db_path)
    step = random.Random(seed).randint(1, STEPS)
    rubric_file = Path(__file__).parents[2] / "rubrics" / "faithfulness.toml"
    scratch = tmp_path / "tmp"  # where its scratch database goes (store/label_stage.py)
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_IMPORT,
            str(db_path),
            str(source),
            str(step),
            str(rubric_file),
        ],
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    deadline = time.monotonic() + DEADLINE
    while proc.poll() is None:
        assert time.monotonic() < deadline, "the import was never killed"
        time.sleep(0.02)
    assert proc.returncode == -signal.SIGKILL
    assert seen(db_path) == before  # killed anywhere: none of it is seen
    assert stored(db_path)[0] > rows[0]  # though some of it was written
    with closing(sqlite3.connect(db_path)) as conn:  # and what was written holds together
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

    # Killed after its first step, it had made its scratch database: left behind.
    assert len(list(scratch.iterdir())) == (step > 1)
    result = run_import(sample_repo, source, faithfulness)  # takes the dead one's lock over
    assert result.inserted == 120
    assert not list(scratch.iterdir())  # the dead one's scratch database is gone too
    assert stored(db_path) == (rows[0] + 120, 120, 120)
    after = seen(db_path)
    assert len(after["current"]) == 120 and after["live claims"] == 120


def test_an_import_of_labels_waits_its_turn_and_says_for_whom(
    sample_repo: Repository, db_path: Path, tmp_path: Path, faithfulness: Rubric
) -> None:
    """Imports take turns (one pending range at a time): this one waits for the lock's holder."""
    source = write_labels(tmp_path / "l.jsonl", sample_repo)
    told: list[str] = []
    with Repository.open(db_path) as other:
        lock = ImportLock(other.connection)
        assert lock.try_acquire()  # an import of items, say, in another connection

        def waiting(holder: str) -> None:
            told.append(holder)
            assert seen(db_path)["labels"] == 0  # nothing written while it waits
            lock.release()

        result = label_import.import_labels(
            sample_repo,
            source,
            {faithfulness.name: faithfulness},
            faithfulness.name,
            waiting=waiting,
        )
    assert told == [f"pid {os.getpid()}"]
    assert result.inserted == 120
