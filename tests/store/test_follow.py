"""The follower in process: appended lines, rotation, partial lines, quarantine, the sample.

Each test drives `Follower.poll()` itself (no timing: a poll reads what the
files hold now) and checks the database: every complete line exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
from pathlib import Path

import pytest

from tui_annotate.core.live.follow import Follower, FollowOptions, sampler
from tui_annotate.store import connection
from tui_annotate.store.repository import Repository


def line(n: int) -> str:
    return json.dumps({"id": f"L{n}", "output": f"answer {n}", "input": f"question {n}"}) + "\n"


def write(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


def ids(repo: Repository) -> list[str]:
    rows = repo.conn.execute("SELECT external_id FROM items ORDER BY id").fetchall()
    return [r[0] for r in rows]


def follower(repo: Repository, path: Path, **kw: object) -> Follower:
    now = [0.0]

    def clock() -> float:
        return now[0]

    f = Follower(repo, FollowOptions(path=path, **kw), clock=clock)  # type: ignore[arg-type]
    f.advance = lambda s: now.__setitem__(0, now[0] + s)  # type: ignore[attr-defined]
    return f


def test_lines_already_there_then_appended_lines(repo: Repository, tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    write(log, line(1) + line(2))
    f = follower(repo, log)
    f.poll()
    assert ids(repo) == ["L1", "L2"]
    write(log, line(3))
    f.poll()
    assert ids(repo) == ["L1", "L2", "L3"]
    sources = {r[0] for r in repo.conn.execute("SELECT source FROM items")}
    assert sources == {"live"}
    f.poll()
    assert len(ids(repo)) == 3


def test_partial_last_line_waits_for_its_newline(repo: Repository, tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    whole = line(2)
    write(log, line(1) + whole[:10])
    f = follower(repo, log)
    f.poll()
    assert ids(repo) == ["L1"]
    assert repo.follow.quarantine_count() == 0
    write(log, whole[10:])
    f.poll()
    assert ids(repo) == ["L1", "L2"]


def test_a_restart_continues_from_the_stored_offset(repo: Repository, tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    write(log, line(1) + line(2))
    follower(repo, log).poll()
    write(log, line(3))
    again = follower(repo, log)
    again.poll()
    assert ids(repo) == ["L1", "L2", "L3"]
    lines = repo.conn.execute("SELECT import_line FROM items ORDER BY id").fetchall()
    assert [r[0] for r in lines] == [1, 2, 3]


def test_rotation_by_rename_and_a_new_file(repo: Repository, tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    write(log, line(1))
    f = follower(repo, log)
    f.poll()
    write(log, line(2))  # written, not yet read, when the file is rotated
    log.rename(tmp_path / "app.jsonl.1")
    write(tmp_path / "app.jsonl.1", line(3))  # the writer still had the old file open
    write(log, line(4))
    f.poll()
    f.poll()
    assert sorted(ids(repo)) == ["L1", "L2", "L3", "L4"]
    # A restart after the rotation reads neither file twice.
    write(log, line(5))
    follower(repo, log).poll()
    assert sorted(ids(repo)) == ["L1", "L2", "L3", "L4", "L5"]


def test_rotation_while_stopped_finishes_the_old_file(repo: Repository, tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    write(log, line(1))
    follower(repo, log).poll()
    write(log, line(2))
    log.rename(tmp_path / "app.jsonl.1")
    write(log, line(3))
    follower(repo, log).poll()
    assert sorted(ids(repo)) == ["L1", "L2", "L3"]


def test_copy_and_truncate(repo: Repository, tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    write(log, line(1))
    f = follower(repo, log)
    f.poll()
    write(log, line(2))  # not yet read when logrotate copies and truncates
    shutil.copyfile(log, tmp_path / "app.jsonl.1")
    os.truncate(log, 0)
    write(log, line(3))
    for _ in range(3):
        f.poll()
    assert sorted(ids(repo)) == ["L1", "L2", "L3"]
    write(log, line(4))
    follower(repo, log).poll()
    assert sorted(ids(repo)) == ["L1", "L2", "L3", "L4"]


def test_copy_and_truncate_while_stopped(repo: Repository, tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    write(log, line(1))
    follower(repo, log).poll()
    write(log, line(2))
    shutil.copyfile(log, tmp_path / "app.jsonl.1")
    os.truncate(log, 0)
    write(log, line(3))
    f = follower(repo, log)
    f.poll()
    f.poll()
    assert sorted(ids(repo)) == ["L1", "L2", "L3"]


def test_a_new_log_with_the_same_first_line_starts_at_its_beginning(
    repo: Repository, tmp_path: Path
) -> None:
    header = json.dumps({"id": "H", "output": "log start"}) + "\n"
    log = tmp_path / "app.jsonl"
    write(log, header + line(1))
    follower(repo, log).poll()
    log.unlink()
    write(log, header + line(2))
    follower(repo, log).poll()
    assert sorted(ids(repo)) == ["H", "L1", "L2"]


def test_a_directory_picks_up_new_files(repo: Repository, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    write(logs / "a.jsonl", line(1))
    write(logs / "notes.txt", "not a log\n")
    f = follower(repo, logs)
    f.poll()
    write(logs / "b.jsonl", line(2))
    f.poll()
    assert sorted(ids(repo)) == ["L1", "L2"]


def test_a_bad_line_is_quarantined_and_the_follower_goes_on(
    repo: Repository, tmp_path: Path
) -> None:
    log = tmp_path / "app.jsonl"
    bad = '{"id": "B", "output": \n'
    write(log, line(1) + bad + line(3))
    f = follower(repo, log)
    f.poll()
    assert ids(repo) == ["L1", "L3"]
    [entry] = repo.follow.quarantined()
    assert (entry.file, entry.line, entry.byte_offset) == (str(log), 2, len(line(1)))
    assert entry.raw == bad.rstrip("\n")
    assert "invalid JSON" in entry.reason
    assert f.status.quarantined == 1
    assert repo.follow.quarantine_count() == 1


def test_an_id_clash_is_quarantined(repo: Repository, tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    clash = json.dumps({"id": "L1", "output": "other content"}) + "\n"
    write(log, line(1) + clash + line(3))
    follower(repo, log).poll()
    assert ids(repo) == ["L1", "L3"]
    [entry] = repo.follow.quarantined()
    assert (entry.line, entry.field) == (2, "id")


def test_the_sample_routes_a_seeded_share_to_people(repo: Repository, tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    write(log, "".join(line(n) for n in range(400)))
    f = follower(repo, log, sample=0.25, seed=7, rubrics=("faithfulness",))
    f.poll()
    routed = repo.routing.routes("faithfulness")
    assert 60 <= len(routed) <= 140
    assert set(routed.values()) == {"sample"}
    chosen = sampler(0.25, 7)
    hashes = dict(repo.conn.execute("SELECT id, content_hash FROM items"))
    assert set(routed) == {i for i, h in hashes.items() if chosen(h)}


def test_a_running_batch_import_makes_the_poll_wait(repo: Repository, tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    write(log, line(1))
    f = follower(repo, log)
    with repo.item_import():
        f.poll()
        assert ids(repo) == []
        assert f.status.waiting_for
    f.poll()
    assert ids(repo) == ["L1"]


def test_a_followed_line_is_live_whatever_it_says(repo: Repository, tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    write(log, json.dumps({"id": "B", "output": "x", "source": "batch"}) + "\n")
    follower(repo, log).poll()
    assert repo.conn.execute("SELECT source FROM items").fetchall() == [("live",)]


def test_a_locked_database_is_survived(
    repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the write lock past the busy timeout (shortened here): the poll
    fails, nothing moves, the follower goes on and imports the line at the next poll."""
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 50)
    log = tmp_path / "app.jsonl"
    write(log, line(1))
    f = follower(repo, log)  # started (its path claimed) before the other writer came
    other = sqlite3.connect(repo.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    polls: list[int] = []

    def stop() -> bool:
        if len(polls) == 1:
            other.execute("COMMIT")  # the other writer is done
        polls.append(len(polls))
        return len(polls) > 2

    shown: list[tuple[int, str]] = []
    status = f.run(
        stop=stop,
        sleep=lambda _: None,
        report=lambda s: shown.append((s.behind_bytes, s.line(0.0))),
    )
    other.close()
    assert status.store_errors == 1
    assert status.store_error == ""  # the next poll went through
    assert ids(repo) == ["L1"]
    # While locked, the status showed the error and the line still behind; then the total.
    assert shown[0][0] == len(line(1)) and "database error (1 so far)" in shown[0][1]
    assert shown[-1][0] == 0 and status.line(0.0).endswith(" · 1 database error survived")


def test_prompt_and_version_fill_lines_without_them(repo: Repository, tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    own = json.dumps({"id": "own", "output": "y", "prompt": "other", "prompt_version": "2.0.0"})
    write(log, line(1) + own + "\n")
    follower(repo, log, prompt="support", prompt_version="1.1.0").poll()
    rows = repo.conn.execute("SELECT external_id, prompt, prompt_version FROM items ORDER BY id")
    assert rows.fetchall() == [("L1", "support", "1.1.0"), ("own", "other", "2.0.0")]


def test_a_path_another_live_process_follows_is_refused(repo: Repository, tmp_path: Path) -> None:
    """A claim by a live process blocks the same path and its directory, not a sibling;
    once that process is gone its claim no longer counts."""
    import subprocess
    import sys

    from tui_annotate.errors import InputError
    from tui_annotate.store.follow_lock import PREFIX
    from tui_annotate.store.import_lock import process_started

    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "app.jsonl"
    write(log, line(1))
    other = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        repo.settings.set(
            PREFIX + str(log.resolve()),
            f"{socket.gethostname()}\t{other.pid}\t{process_started(other.pid)}",
        )
        with pytest.raises(InputError, match=f"by pid {other.pid}: stop that follower"):
            follower(repo, log)
        with pytest.raises(InputError, match=f"by pid {other.pid} following {log.resolve()}"):
            follower(repo, logs)
        follower(repo, logs / "other.jsonl").close()  # another file: free
        # It follows tmp_path too (a directory): a file in it is taken, a directory not.
        repo.settings.set(
            PREFIX + str(tmp_path.resolve()),
            f"{socket.gethostname()}\t{other.pid}\t{process_started(other.pid)}",
        )
        with pytest.raises(InputError, match=f"following {tmp_path.resolve()}"):
            follower(repo, tmp_path / "top.jsonl")
        (tmp_path / "nested").mkdir()
        follower(repo, tmp_path / "nested").close()  # a directory's follower reads its own
    finally:
        assert other.stdin is not None
        other.stdin.close()
        other.wait()
    f = follower(repo, log)  # its follower is gone: the path is free again
    f.poll()
    assert ids(repo) == ["L1"]
    f.close()
    keys = [k for (k,) in repo.conn.execute("SELECT key FROM settings WHERE key LIKE 'follower:%'")]
    assert keys == []  # ours released; the dead one's tidied away by the claim
