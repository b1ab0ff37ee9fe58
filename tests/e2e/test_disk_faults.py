"""A full disk, a read-only database and a copy taken mid-session, through the real app on a pty.

Nothing typed is lost when the disk fills: the write fails with a message,
the screen stays on the item with what was typed, and the same key works
once there is room. A database that takes no writes opens for browsing.
A backup taken while an annotator works holds every label they made.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import SAMPLE
from tests.e2e.conftest import TIMEOUT, Spawn
from tests.e2e.mounts import fill, read_only_view, small_disk
from tests.e2e.ptyapp import PtyApp
from tests.e2e.test_kill9 import labelled
from tui_annotate.core import ingest
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"


def sample_db(path: Path) -> Path:
    with Repository.open(path) as repo:
        ingest.import_items(repo, SAMPLE)
    return path  # closed: the WAL is checkpointed into the file and removed


def wait_text(app: PtyApp, words: str, start: int) -> str:
    """Wait until WORDS is on screen (escape sequences aside) after offset START; that text."""
    app.wait_for(lambda a: words in a.text(start), TIMEOUT)
    return app.text(start)


def rate_acknowledged(app: PtyApp, key: str, shown: list[str]) -> None:
    mark = len(app.output)
    app.send(key)
    shown.append(app.wait_for_new_item(shown[-1], TIMEOUT, start=mark))


def stays_on(app: PtyApp, item: str, start: int) -> None:
    app.wait_quiet(0.3, TIMEOUT)
    moved = [i for i in app.item_ids(start) if i != item]
    assert not moved, f"the screen moved on to {moved} after a failed write"


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_a_full_disk_keeps_what_was_typed(tmp_path: Path, spawn: Spawn) -> None:
    with small_disk(tmp_path / "disk", 4096) as disk:
        db = sample_db(disk / "annotations.db")
        app = spawn(db, "kim")
        shown = [app.wait_for_item(TIMEOUT)]
        for _ in range(3):
            rate_acknowledged(app, "4", shown)
        filler = fill(disk)

        # A comment typed on a full disk: not saved, but kept on screen for the rating.
        mark = len(app.output)
        app.send("c")
        wait_text(app, "Ctrl+S", mark)
        app.send("typed while full")
        wait_text(app, "typed while full", mark)  # echoed, as a person would see it
        app.send(b"\x13")  # Ctrl+S
        wait_text(app, "comment not saved", mark)
        mark = len(app.output)
        app.send("2")
        text = wait_text(app, "rating not saved", mark)
        assert "full" in text, text[-800:]
        stays_on(app, shown[-1], mark)
        assert labelled(db, "kim") == shown[:3]  # the earlier labels, intact and readable

        filler.unlink()
        rate_acknowledged(app, "2", shown)  # the same key, once there is room
        app.send("q")
        assert app.wait_exit(TIMEOUT) == 0, app._why("quit failed")

        assert labelled(db, "kim") == shown[:4]
        with Repository.open(db, readonly=True) as repo:
            item = repo.item_ids_by_external([shown[3]])[shown[3]]
            label = repo.current_label(item, RUBRIC, "kim")
        assert label is not None
        assert (label.score, label.comment) == (2, "typed while full")
        assert integrity(db) == "ok"


def test_a_read_only_database_opens_for_browsing(tmp_path: Path, spawn: Spawn) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    db = sample_db(folder / "annotations.db")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with read_only_view(folder) as view:
        app = spawn(view / "annotations.db", "kim")
        first = app.wait_for_item(TIMEOUT)
        assert "opening it read-only for browsing" in app.text()
        wait_text(app, "Read-only database", 0)

        mark = len(app.output)
        app.send("4")
        wait_text(app, "rating not saved", mark)
        # The toast's title can reach the screen a frame before its text, which says why
        # (a wait that fails if it never does).
        wait_text(app, "read-only", mark)
        stays_on(app, first, mark)

        mark = len(app.output)
        app.send("n")  # browsing: the next item, held by nobody
        second = app.wait_for_new_item(first, TIMEOUT, start=mark)
        mark = len(app.output)
        app.send("p")
        assert app.wait_for_new_item(second, TIMEOUT, start=mark) == first
        app.send("q")
        assert app.wait_exit(TIMEOUT) == 0, app._why("quit failed")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in folder.iterdir()) == ["annotations.db"]


def test_a_backup_taken_mid_session_holds_every_label(tmp_path: Path, spawn: Spawn) -> None:
    db = sample_db(tmp_path / "annotations.db")
    app = spawn(db, "kim")
    shown = [app.wait_for_item(TIMEOUT)]
    for _ in range(5):
        rate_acknowledged(app, "4", shown)

    # The main file alone is not the database while it is in use: the labels are in its WAL.
    naive = tmp_path / "naive-copy.db"
    shutil.copyfile(db, naive)
    conn = sqlite3.connect(naive)
    in_main_file = conn.execute("SELECT count(*) FROM labels").fetchone()[0]
    conn.close()
    assert in_main_file < 5

    copy = tmp_path / "backup.db"
    done = subprocess.run(
        [sys.executable, "-m", "tui_annotate", "--db", str(db), "backup", str(copy)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "backed up" in done.stderr
    assert integrity(copy) == "ok"
    assert not Path(f"{copy}-wal").exists()  # one self-contained file
    assert labelled(copy, "kim") == shown[:5]

    rate_acknowledged(app, "4", shown)  # the annotator never noticed
    assert labelled(db, "kim") == shown[:6]

    # Once the last connection closes, SQLite checkpoints the WAL into the main file and
    # removes it: from then on the .db alone is the whole database, and a plain copy works.
    app.send("q")
    assert app.wait_exit(TIMEOUT) == 0, app._why("quit failed")
    assert not Path(f"{db}-wal").exists()
    after = tmp_path / "copy-after-close.db"
    shutil.copyfile(db, after)
    assert labelled(after, "kim") == shown[:6]
