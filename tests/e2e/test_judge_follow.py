"""`judge --follow` on real processes: judges items as a live log brings them, stops cleanly
on SIGTERM, and resumes where it stopped without judging anything twice."""

from __future__ import annotations

import json
import re
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


def test_sigterm_mid_round_keeps_every_result_it_counted(tmp_path: Path) -> None:
    """Results are written in batches; the stop flushes the last one, so the count the
    follower gives on stopping is the count in the database."""
    db = tmp_path / "live.db"
    log = tmp_path / "app.jsonl"
    append(log, 0, 60)
    with Repository.open(db) as repo:
        follower = Follower(repo, FollowOptions(path=log))
        follower.poll()
        follower.close()
    with FakeOpenAI(latency=0.2) as server:
        env = child_env(OPENAI_API_KEY="sk-test-live-term")
        judge = f"judge --follow --rubric faithfulness --model {MODEL} --concurrency 2"
        out = tmp_path / "judge.log"
        proc = start(["--db", str(db), *judge.split(), "--base-url", server.url], out, env)
        try:
            # Mid-round: some results written (by the batch timer), and more answered than
            # written (asked = answered + at most 2 in flight): a batch is waiting.
            wait_until(
                lambda: (
                    (len(judged(db)) >= 2 and server.chat_count() >= len(judged(db)) + 4)
                    or proc.poll() is not None
                ),
                TIMEOUT,
                lambda: f"{judged(db)}, {server.chat_count()} asked",
            )
            assert proc.poll() is None, said(out)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(TIMEOUT) == 143, said(out)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    err = out.with_suffix(".err").read_text()
    found = re.search(r"stopped: (\d+) judgements are saved", err)
    assert found is not None, err
    stored = judged(db)
    assert len(stored) == int(found.group(1)) and set(stored.values()) == {1}, err
    assert 2 <= len(stored) < 60, err
