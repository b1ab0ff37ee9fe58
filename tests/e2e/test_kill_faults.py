"""kill -9 at random moments: the annotation app, the LLM judge mid-run, an import mid-file.

After every kill the database passes `PRAGMA integrity_check`, holds only whole
rows, keeps everything that was acknowledged, and the next run carries on.
Random choices are seeded; every failure message names the seed.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from contextlib import closing, suppress
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLE, load_shipped
from tests.e2e.conftest import TIMEOUT, Spawn
from tests.e2e.ptyapp import ITEM_ID, PtyApp
from tests.e2e.raters import DONE_SCREEN
from tests.openai_server import FakeOpenAI, json_reply, last_user_text
from tui_annotate.core import ingest
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"
#: Another seed explores other timings: E2E_SEED=n pytest … (every failure names the seed).
SEED = int(os.environ.get("E2E_SEED", "90210"))

# -- helpers ------------------------------------------------------------------------------------


def integrity(db: Path) -> tuple[list[Any], list[Any]]:
    """(integrity_check, foreign_key_check) of DB, opened read-write as the next run would."""
    with closing(sqlite3.connect(db)) as conn:
        return (
            conn.execute("PRAGMA integrity_check").fetchall(),
            conn.execute("PRAGMA foreign_key_check").fetchall(),
        )


def assert_sound(db: Path, context: str) -> None:
    checked, dangling = integrity(db)
    assert checked == [("ok",)], f"{context}: integrity_check says {checked[:5]}"
    assert dangling == [], f"{context}: foreign_key_check says {dangling[:5]}"


def wait_until(what: Callable[[], bool], timeout: float, why: Callable[[], str]) -> None:
    """Poll WHAT (a cheap check of another process's state) until true; fail after TIMEOUT."""
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s: {why()}")
        time.sleep(0.01)


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", **extra)
    return env


def start(argv: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start `python -m tui_annotate ARGV` in a session of its own (so a kill reaches its
    helper processes too); its stdout to LOG, its stderr to LOG.err."""
    with log.open("wb") as out, log.with_suffix(".err").open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "tui_annotate", *argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            start_new_session=True,
        )


def said(log: Path) -> str:
    """What a process started by `start` wrote, for failure messages."""
    return (
        f"stdout: {log.read_text()[-2000:]}\nstderr: {log.with_suffix('.err').read_text()[-2000:]}"
    )


def session_members(sid: int) -> list[int]:
    """Live processes in session SID (from /proc: no dependency on ps or pgrep)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with suppress(OSError):
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[3]) == sid:  # state, ppid, pgrp, session
                found.append(int(entry))
    return found


def kill9(proc: subprocess.Popen[bytes]) -> int | None:
    """SIGKILL the process alone, as the kernel's OOM killer or a careless `kill -9` would,
    and reap it; its exit status if it had already exited by itself, else None.

    An import's parsing processes must then go by themselves; any still there after
    the deadline fail the test (and are killed, so nothing outlives it).
    """
    finished = proc.poll()
    if finished is None:  # not reaped yet, so the pid is still this process's
        with suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + TIMEOUT
    while (left := session_members(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    assert not left, f"processes {left} outlived the killed {proc.args!r}"
    return finished


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test started: every one still running at the end is killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        kill9(proc)


# -- 1. the annotation app ----------------------------------------------------------------------

#: The header's count: "kim │ 3 done / 40 · 812/h · 0:01 on item │ nw-031". The header repaints
#: only the cells that changed, so its count and its item id (ITEM_ID) come and go separately.
COUNT = re.compile(r"│ (\d+) done / \d+")
TRIALS = 12


def counts(app: PtyApp) -> list[int]:
    """Every rated count the header showed, in order."""
    return [int(m.group(1)) for m in COUNT.finditer(app.text())]


def items(app: PtyApp, ids: Collection[str]) -> list[str]:
    """The items the header showed, in order, each once per stay on screen. An id the kill
    cut short (nothing after it yet) or no item has (a part repaint) is not one."""
    shown: list[str] = []
    for m in ITEM_ID.finditer(app.output):
        item = m.group(1).decode()
        if m.end() < len(app.output) and item in ids and (not shown or shown[-1] != item):
            shown.append(item)
    return shown


def acknowledged_at_least(n: int) -> Callable[[PtyApp], bool]:
    """The screen has acknowledged N key presses: the header counts them, or all done."""

    def check(app: PtyApp) -> bool:
        return DONE_SCREEN in app.output or max(counts(app), default=0) >= n

    return check


def annotator_trial(trial: int, rng: random.Random, db: Path, spawn: Spawn) -> str:
    """Rate at random speed on a fresh copy of the sample, kill -9, check, reopen."""
    context = f"seed {SEED}, trial {trial}"
    rubric = load_shipped(RUBRIC)
    with closing(sqlite3.connect(db)) as conn:
        ids = {r[0] for r in conn.execute("SELECT external_id FROM items")}
    total = len(ids)
    presses = rng.randint(1, total + 5)  # now and then past the last item: the all-done screen
    keys = [rng.choice("12345") for _ in range(presses)]
    waits = [rng.random() < 0.5 for _ in range(presses)]
    # Within 0.4 s of the last press; a third of the time within 20 ms, keys still in flight.
    delay = rng.uniform(0.0, 0.02 if rng.random() < 1 / 3 else 0.4)

    app = spawn(db, "kim")
    app.wait_for_item(TIMEOUT)
    for n, (key, wait) in enumerate(zip(keys, waits, strict=True), start=1):
        app.send(key)
        if wait:  # this press and every one before it acknowledged by the screen
            app.wait_for(acknowledged_at_least(n), TIMEOUT)
        else:
            app.pump(0)
    killed_at = time.monotonic() + delay
    while (left := killed_at - time.monotonic()) > 0:
        app.pump(left)  # keep reading: a full pty must not stall the app before the kill
    status = app.kill(signal.SIGKILL)
    assert status == -signal.SIGKILL, app._why(f"{context}: the app had exited ({status})")
    while app.pump(0) > 0:  # what it wrote before dying is what the screen showed
        pass
    shown = items(app, ids)
    done_shown = DONE_SCREEN in app.output
    acked = total if done_shown else max(counts(app), default=0)
    text = app.text().lower()
    assert "not saved" not in text and "traceback" not in text, app._why(context)
    app.close()

    assert_sound(db, context)
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT i.external_id, l.kind, l.score, l.rubric, l.rubric_version, l.annotator,"
            " l.tags, l.comment, l.meta, l.created_at FROM labels l JOIN items i"
            " ON i.id = l.item_id ORDER BY l.id"
        ).fetchall()
        state = conn.execute(
            "SELECT i.external_id, s.state, s.score FROM label_state s JOIN items i"
            " ON i.id = s.item_id JOIN labels l ON l.id = s.event_id ORDER BY l.id"
        ).fetchall()
        claimed = {
            r[0]
            for r in conn.execute(
                "SELECT i.external_id FROM assignments a JOIN items i ON i.id = a.item_id"
                " WHERE a.annotator = 'kim'"
            )
        }
    labelled = [r[0] for r in rows]
    scores = [r[2] for r in rows]
    detail = f"{context}: keys {''.join(keys)}, waits {waits}, shown {shown}, labelled {labelled}"

    # Whole rows: every label a rating by kim on the scale, as the rubric defines it.
    for row in rows:
        _, kind, score, rub, version, who, tags, comment, meta, created = row
        assert (kind, rub, version, who) == ("rate", RUBRIC, rubric.version, "kim"), detail
        assert score in rubric.values, detail
        assert json.loads(tags) == [] and comment == "" and isinstance(json.loads(meta), dict)
        assert created, detail
    assert state == [(item, "rated", s) for item, s in zip(labelled, scores, strict=True)], detail
    assert len(set(labelled)) == len(labelled), f"an item rated twice: {detail}"

    # At least what the screen acknowledged, at most what was sent, in the order sent.
    assert acked <= len(rows) <= presses, detail
    assert scores == [int(k) for k in keys[: len(rows)]], detail
    unrated = claimed - set(labelled)
    assert len(unrated) == (0 if len(rows) == total else 1), f"claims {claimed}: {detail}"
    # Every item the screen moved on from is labelled, in the order shown; the last one
    # shown is labelled too (a key in flight) or is the claimed one it was on.
    history = labelled + sorted(unrated)
    at = [history.index(item) if item in history else -1 for item in shown]
    assert -1 not in at, f"shown but never claimed: {detail}"
    assert all(a < b for a, b in pairwise(at)), f"shown out of order, or twice: {detail}"
    moved_on = shown if done_shown else shown[:-1]
    assert set(moved_on) <= set(labelled), f"moved on from an unlabelled item: {detail}"

    # Reopened, it starts where it was (the claimed item, or all done) and counts every label.
    again = spawn(db, "kim")

    def started(app: PtyApp) -> bool:  # its count comes from a worker: wait for that too
        return DONE_SCREEN in app.output or (len(rows) in counts(app) and bool(items(app, ids)))

    again.wait_for(started, TIMEOUT)
    if unrated:
        shown_again = set(items(again, ids))
        assert shown_again == unrated, again._why(f"reopened on {shown_again}: {detail}")
    else:
        assert DONE_SCREEN in again.output, again._why(detail)
    again.close()
    where = "all done" if done_shown else f"{len(rows)} rated, {acked} acknowledged"
    return f"{presses} keys, {sum(waits)} waited, kill +{delay * 1000:.0f} ms: {where}"


def test_kill9_at_random_moments_keeps_the_annotator_database_whole(
    tmp_path: Path, spawn: Spawn
) -> None:
    template = tmp_path / "sample.db"
    with Repository.open(template) as repo:
        ingest.import_items(repo, SAMPLE)
    rng = random.Random(SEED)
    log = []
    for trial in range(TRIALS):
        db = tmp_path / f"trial-{trial}.db"
        shutil.copy(template, db)
        log.append(annotator_trial(trial, rng, db, spawn))
    print(f"seed {SEED}:", *log, sep="\n  ")


# -- 2. the LLM judge ---------------------------------------------------------------------------

MODEL = "fake-judge"
JUDGE = f"judge:{MODEL}"
JUDGE_ITEMS = 40
REF = re.compile(r"REF=(jd-\d{3})")


def judge_items(path: Path, rng: random.Random) -> dict[str, int]:
    """Items whose text names them and the score the fake model gives them."""
    scores = {f"jd-{i:03d}": rng.randint(1, 5) for i in range(1, JUDGE_ITEMS + 1)}
    with path.open("w", encoding="utf-8") as f:
        for ref, score in scores.items():
            item = {
                "id": ref,
                "input": f"Status of {ref}?",
                "output": f"It shipped. REF={ref} ANSWER={score}",
            }
            f.write(json.dumps(item) + "\n")
    return scores


def judge_rows(db: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], dict[str, str]]:
    """(labels, attempts, cache) of the judge, read read-only."""
    with closing(sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        labels = conn.execute(
            "SELECT i.external_id, l.kind, l.score, l.rubric, l.rubric_version, l.comment,"
            " l.tags, l.meta FROM labels l JOIN items i ON i.id = l.item_id"
            " WHERE l.annotator = ? ORDER BY l.id",
            (JUDGE,),
        ).fetchall()
        attempts = conn.execute(
            "SELECT i.external_id, a.status, a.prompt_hash, a.raw FROM judge_attempts a"
            " JOIN items i ON i.id = a.item_id WHERE a.model = ? ORDER BY a.id",
            (MODEL,),
        ).fetchall()
        cache = dict(
            conn.execute("SELECT prompt_hash, answer FROM judge_cache WHERE model = ?", (MODEL,))
        )
    return labels, attempts, cache


def judged_so_far(db: Path) -> int:
    try:
        with closing(sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
            return int(
                conn.execute(
                    "SELECT count(*) FROM labels WHERE annotator = ?", (JUDGE,)
                ).fetchone()[0]
            )
    except sqlite3.OperationalError:  # not opened by the judge yet (no -shm to read through)
        return 0


def assert_judgements_whole(db: Path, scores: dict[str, int], context: str) -> list[str]:
    """Each judgement complete: label, cache entry and 'ok' attempt, together; the judged refs."""
    rubric = load_shipped(RUBRIC)
    labels, attempts, cache = judge_rows(db)
    judged = [row[0] for row in labels]
    for ref, kind, score, rub, version, comment, tags, meta_text in labels:
        meta = json.loads(meta_text)
        assert (kind, rub, version) == ("rate", RUBRIC, rubric.version), context
        assert score == scores[ref] and comment == "ok" and json.loads(tags) == [], context
        assert meta["model"] == MODEL and meta["from_cache"] is False, context
        assert re.fullmatch(r"[0-9a-f]{64}", meta["prompt_hash"]), context
        assert meta["usage"] == {"prompt_tokens": 100, "completion_tokens": 20}, context
        assert json.loads(cache[meta["prompt_hash"]])["score"] == score, context
    assert [(a[0], a[1]) for a in attempts] == [(ref, "ok") for ref in judged], context
    assert len(cache) == len(judged), f"{context}: cache {len(cache)}, labels {len(judged)}"
    return judged


def asked(server: FakeOpenAI, key: str) -> list[str]:
    """The items of the chat requests made with API KEY (one key per run), in order."""
    refs = []
    for request in list(server.requests):
        if (
            request["path"].endswith("/chat/completions")
            and request["headers"].get("authorization") == f"Bearer {key}"
        ):
            found = REF.search(last_user_text(request["json"] or {}))
            refs.append(found.group(1) if found else "?")
    return refs


def test_kill9_of_the_judge_mid_run_then_a_rerun_asks_only_for_the_rest(
    tmp_path: Path, procs: list[subprocess.Popen[bytes]]
) -> None:
    rng = random.Random(SEED)
    db = tmp_path / "annotations.db"
    scores = judge_items(tmp_path / "items.jsonl", rng)
    with Repository.open(db) as repo:
        ingest.import_items(repo, tmp_path / "items.jsonl")
    threshold = rng.randint(3, 16)
    context = f"seed {SEED}, killed at >= {threshold} judged"

    with FakeOpenAI(latency=0.3) as server:
        server.answer = lambda request: json_reply(
            scores.get(m.group(1), 0) if (m := REF.search(last_user_text(request))) else 0
        )
        argv = [
            "--db",
            str(db),
            "judge",
            "--rubric",
            RUBRIC,
            "--model",
            MODEL,
            "--base-url",
            server.url,
            "--concurrency",
            "4",
            "--json",
        ]
        # Each run its own key, so every request is told apart by run, stragglers too.
        first_key, second_key = "sk-test-kill9-first", "sk-test-kill9-second"
        log = tmp_path / "judge-1.log"
        proc = start(argv, log, child_env(OPENAI_API_KEY=first_key))
        procs.append(proc)
        wait_until(
            lambda: judged_so_far(db) >= threshold or proc.poll() is not None,
            4 * TIMEOUT,
            lambda: f"{context}: {judged_so_far(db)} judged; {said(log)}",
        )
        assert kill9(proc) is None, f"{context}: the judge finished first: {said(log)}"

        assert_sound(db, context)
        judged = assert_judgements_whole(db, scores, context)
        assert threshold <= len(judged) < JUDGE_ITEMS, f"{context}: {len(judged)} judged"
        assert len(set(judged)) == len(judged), context
        assert set(judged) <= set(asked(server, first_key)), context

        # The same command again: only what has no judgement yet is asked, each item once.
        server.latency = 0.01
        log = tmp_path / "judge-2.log"
        again = start(argv, log, child_env(OPENAI_API_KEY=second_key))
        procs.append(again)
        assert again.wait(4 * TIMEOUT) == 0, f"{context}: {said(log)}"
        summary = json.loads(log.read_text())
        asked_again = asked(server, second_key)
        assert server.errors == [], context

    rest = sorted(set(scores) - set(judged))
    assert sorted(asked_again) == rest, f"{context}: asked again {sorted(asked_again)}"
    assert (summary["total"], summary["judged"], summary["failed"], summary["invalid"]) == (
        len(rest),
        len(rest),
        0,
        0,
    ), f"{context}: {summary}"

    assert_sound(db, context)
    final = assert_judgements_whole(db, scores, context)
    assert Counter(final) == dict.fromkeys(scores, 1), f"{context}: judge labels {Counter(final)}"
    print(
        f"{context}: {len(judged)} judged at the kill, {len(asked(server, first_key))} asked by "
        f"the killed run, {len(asked_again)} by the rerun"
    )


# -- 3. import ----------------------------------------------------------------------------------

IMPORT_ITEMS = 300_000
#: How each trial picks its moment: a random time before the write could begin, or a random
#: point of the write itself (chunks filling the WAL, invisible until the last is in).
PLAN = ("write", "time", "time", "write")
WAL_HEADER = 32


def big_jsonl(path: Path, n: int) -> Path:
    line = '{"id": "k-%06d", "input": "question %d", "output": "answer %d"}\n'
    path.write_text("".join(line % (i, i, i) for i in range(n)), encoding="utf-8")
    return path


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def stored(db: Path) -> int:
    """Rows written so far, visible or not (0 before the schema is there)."""
    with closing(sqlite3.connect(db)) as conn:
        try:
            return int(conn.execute("SELECT coalesce(max(id), 0) FROM items_all").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def count_items(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])


def test_kill9_of_an_import_leaves_all_or_nothing(
    tmp_path: Path, procs: list[subprocess.Popen[bytes]]
) -> None:
    rng = random.Random(SEED)
    source = big_jsonl(tmp_path / "big.jsonl", IMPORT_ITEMS)
    # Large enough for the parallel path: the kill also lands on the parsing processes.
    assert source.stat().st_size > ingest.PARALLEL_BYTES
    template = tmp_path / "empty.db"
    Repository.open(template).close()
    empty_size = size(template)
    write_began: float | None = None  # seconds from start until the WAL grew, once seen
    log: list[str] = []
    empty_dbs: list[Path] = []

    for trial, mode in enumerate(PLAN):
        db = tmp_path / f"import-{trial}.db"
        shutil.copy(template, db)
        wal = Path(f"{db}-wal")
        context = f"seed {SEED}, trial {trial} ({mode})"
        out = tmp_path / f"import-{trial}.log"
        started = time.monotonic()
        proc = start(["--db", str(db), "import", str(source)], out)
        procs.append(proc)
        if mode == "time":
            assert write_began is not None
            at = started + rng.uniform(0.0, 0.9 * write_began)
            while (left := at - time.monotonic()) > 0 and proc.poll() is None:
                time.sleep(min(left, 0.01))  # the random moment itself, not a wait for state
        else:
            target = rng.randint(1, IMPORT_ITEMS - 1)
            deadline = time.monotonic() + 6 * TIMEOUT
            # The import commits chunk after chunk: kill it once this many rows are written.
            while stored(db) < target and proc.poll() is None:
                assert time.monotonic() < deadline, f"{context}: {said(out)}"
                time.sleep(0.002)
        finished = kill9(proc)
        elapsed = time.monotonic() - started
        # Read once the process is dead (a slow test process can't misjudge the moment).
        wal_after, db_after = size(wal), size(db)
        if write_began is None and (wal_after > WAL_HEADER or finished is not None):
            write_began = elapsed

        assert_sound(db, context)
        n = count_items(db)
        phase = (
            "finished"
            if finished is not None
            else "checkpoint"
            if db_after > empty_size
            else "write"
            if wal_after > WAL_HEADER
            else "before the write"
        )
        log.append(f"trial {trial} ({mode}): killed at {elapsed:.2f}s, {phase}: {n} items")
        assert n in (0, IMPORT_ITEMS), f"{context}, {phase}: {n} items after the kill"
        if phase == "before the write":  # no commit frame can exist
            assert n == 0, f"{context}: {n} items, though nothing reached the WAL"
        if phase == "finished":
            assert n == IMPORT_ITEMS, f"{context}, {phase}: {n} items"
        if n == 0:
            empty_dbs.append(db)
    print(f"seed {SEED}:", *log, sep="\n  ")
    assert empty_dbs, f"seed {SEED}: no kill landed before the commit: {log}"

    # The same file into a database an import was killed in: all of it, once.
    db = empty_dbs[-1]
    out = tmp_path / "import-again.log"
    proc = start(["--db", str(db), "import", str(source)], out)
    procs.append(proc)
    assert proc.wait(6 * TIMEOUT) == 0, f"seed {SEED}: {said(out)}"
    assert f"imported {IMPORT_ITEMS} items" in out.read_text(), said(out)
    assert count_items(db) == IMPORT_ITEMS
    with closing(sqlite3.connect(db)) as conn:  # the killed import's invisible rows are gone
        assert conn.execute("SELECT count(*) FROM items_all").fetchone()[0] == IMPORT_ITEMS
    assert_sound(db, f"seed {SEED}, the import after the kills")
