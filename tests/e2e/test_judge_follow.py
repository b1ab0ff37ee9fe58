"""`judge --follow` on real processes: judges items as a live log brings them, stops cleanly
on SIGTERM, and resumes where it stopped without judging anything twice."""

from __future__ import annotations

import json
import signal
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.e2e.conftest import TIMEOUT
from tests.e2e.test_kill_faults import child_env, said, start, wait_until
from tests.openai_server import FakeOpenAI
from tui_annotate.core.live.follow import Follower, FollowOptions
from tui_annotate.store.repository import Repository

MODEL = "fake-live-judge"


def judged(db: Path) -> dict[str, int]:
    """external id -> how many judge labels it has."""
    with closing(sqlite3.connect(db, timeout=30)) as conn:
        return dict(
            conn.execute(
                "SELECT i.external_id, count(*) FROM labels l JOIN items i ON i.id = l.item_id"
                " WHERE l.annotator = ? GROUP BY i.external_id",
                (f"judge:{MODEL}",),
            )
        )


def append(log: Path, first: int, count: int) -> set[str]:
    with log.open("a", encoding="utf-8") as f:
        for n in range(first, first + count):
            f.write(json.dumps({"id": f"live{n}", "output": f"The answer is {n}."}) + "\n")
    return {f"live{n}" for n in range(first, first + count)}


def test_judge_follow_judges_new_items_and_resumes(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    log = tmp_path / "app.jsonl"
    expected = append(log, 0, 5)
    with Repository.open(db) as repo:
        follower = Follower(repo, FollowOptions(path=log))
        follower.poll()
        with FakeOpenAI() as server:
            env = child_env(OPENAI_API_KEY="sk-test-live")
            judge = f"judge --follow --rubric faithfulness --model {MODEL} --concurrency 2"
            argv = ["--db", str(db), *judge.split(), "--base-url", server.url]
            first = start(argv, tmp_path / "judge1.log", env)
            try:
                wait_until(lambda: set(judged(db)) == expected, TIMEOUT, lambda: str(judged(db)))
                expected |= append(log, 5, 4)
                follower.poll()
                wait_until(lambda: set(judged(db)) == expected, TIMEOUT, lambda: str(judged(db)))
                first.send_signal(signal.SIGTERM)
                assert first.wait(TIMEOUT) == 143, said(tmp_path / "judge1.log")
            finally:
                if first.poll() is None:
                    first.kill()
                    first.wait()
            err = (tmp_path / "judge1.err").read_text()
            assert "stopped: 9 judgements are saved" in err, err
            # Items that arrive while it is stopped are judged when it starts again.
            expected |= append(log, 9, 3)
            follower.poll()
            second = start(argv, tmp_path / "judge2.log", env)
            try:
                wait_until(lambda: set(judged(db)) == expected, TIMEOUT, lambda: str(judged(db)))
                second.send_signal(signal.SIGINT)
                assert second.wait(TIMEOUT) == 130, said(tmp_path / "judge2.log")
            finally:
                if second.poll() is None:
                    second.kill()
                    second.wait()
            assert set(judged(db).values()) == {1}
            assert server.chat_count() == len(expected)
        follower.close()
