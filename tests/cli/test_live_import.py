"""`quarantine`, `import --retry-quarantine` and the live counts in `status`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run, bad, ok
from tui_annotate.core.live.follow import Follower, FollowOptions
from tui_annotate.store.repository import Repository


def quarantine_some(db_path: Path, tmp_path: Path) -> Path:
    """A followed log with a good line, a too-large item and a line that is not JSON."""
    log = tmp_path / "app.jsonl"
    big = {"id": "big", "output": "x" * 300}
    log.write_text(
        json.dumps({"id": "ok", "output": "fine"}) + "\n" + json.dumps(big) + "\n" + "{nope\n",
        encoding="utf-8",
    )
    with Repository.open(db_path) as repo:
        Follower(repo, FollowOptions(path=log, max_item_bytes=200)).poll()
    return log


def test_quarantine_lists_the_bad_lines(cli: Run, db_path: Path, tmp_path: Path) -> None:
    log = quarantine_some(db_path, tmp_path)
    listed = json.loads(ok(cli("quarantine", "--json")).stdout)
    assert [(e["file"], e["line"], e["status"]) for e in listed] == [
        (str(log), 2, "open"),
        (str(log), 3, "open"),
    ]
    assert listed[0]["field"] == "output" and "max_item_bytes" in listed[0]["reason"]
    assert listed[1]["raw"] == "{nope"
    text = ok(cli("quarantine")).stdout
    assert f"{log}:3" in text and "{nope" in text
    status = json.loads(ok(cli("status", "--json")).stdout)
    assert status["quarantined"] == 2
    assert "quarantined: 2 live lines" in ok(cli("status")).stdout


def test_retry_imports_what_a_fix_made_good(cli: Run, db_path: Path, tmp_path: Path) -> None:
    quarantine_some(db_path, tmp_path)
    again = cli("import", "--retry-quarantine", "--max-item-bytes", "200", "--json")
    result = json.loads(ok(again).stdout)
    assert result == {"imported": [], "still_quarantined": [1, 2]}
    fixed = ok(cli("import", "--retry-quarantine", "--max-item-bytes", "1000"))
    assert "1 line imported, 1 still quarantined" in fixed.stdout
    assert "still quarantined #2" in fixed.stderr
    with Repository.open(db_path) as repo:
        ids = {r[0]: r[1] for r in repo.conn.execute("SELECT external_id, source FROM items")}
        assert ids == {"ok": "live", "big": "live"}
        assert repo.follow.quarantine_count() == 1
    assert "quarantined: 1 live line could not be imported" in ok(cli("status")).stdout
    listed = json.loads(ok(cli("quarantine", "--all", "--json")).stdout)
    assert [(e["id"], e["status"], e["retries"]) for e in listed] == [
        (1, "imported", 2),
        (2, "open", 2),
    ]


def test_follow_refuses_what_it_cannot_do(cli: Run, tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    log.write_text("", encoding="utf-8")
    assert "--rubric" in bad(cli("import", "--follow", str(log), "--sample", "0.1")).stderr
    assert "nope" in bad(cli("import", "--follow", str(tmp_path / "nope" / "x.jsonl"))).stderr
    bad(cli("import", "--follow"))
    bad(cli("import", "--follow", str(log), "--source", "batch"))
    bad(cli("import"))


def test_judge_follow_refuses_batch_and_limit(cli: Run, sample_repo: Repository) -> None:
    args = ("judge", "--follow", "--rubric", "faithfulness", "--model", "m")
    assert "--follow" in bad(cli(*args, "--limit", "3")).stderr
    assert "--follow" in bad(cli(*args, "--batch")).stderr


def test_follow_refuses_a_fifo_naming_it(cli: Run, db_path: Path, tmp_path: Path) -> None:
    """A FIFO has no offset to remember: refused at once, not followed as "0 files" for ever."""
    import os

    fifo = tmp_path / "stream.jsonl"
    os.mkfifo(fifo)
    message = bad(cli("import", "--follow", str(fifo))).stderr
    assert str(fifo) in message and "not a regular file" in message
    assert "Traceback" not in message
