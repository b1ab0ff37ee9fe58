"""Ended from outside: a terminal that goes away, SIGTERM to the app, to the judge, to an import.

Nothing may be left running, spinning or half-written: the app keeps the
comment being typed as the item's draft and (for SIGTERM) gives the terminal
back as it found it; the judge keeps every result it committed; an import
leaves nothing of itself. All on real processes and real ptys.
"""

from __future__ import annotations

import json
import os
import pty
import random
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, load_shipped
from tests.e2e.conftest import TIMEOUT
from tests.e2e.ptyapp import PtyApp
from tests.e2e.test_kill_faults import (
    JUDGE_ITEMS,
    MODEL,
    REF,
    RUBRIC,
    SEED,
    assert_judgements_whole,
    assert_sound,
    big_jsonl,
    child_env,
    judge_items,
    judged_so_far,
    said,
    session_members,
    start,
    wait_until,
)
from tests.e2e.test_ssh import COMMENT_HINT, UNSAVED, drafts
from tests.openai_server import FakeOpenAI, json_reply, last_user_text
from tests.tui.test_calibration_screens import DISPUTED, closed_round
from tui_annotate.core import ingest
from tui_annotate.store.db import BUSY_TIMEOUT_MS
from tui_annotate.store.repository import Repository
from tui_annotate.tui.driver import RESTORE

HANGUP_EXIT = 128 + signal.SIGHUP
TERM_EXIT = 128 + signal.SIGTERM
#: Leaving the alternate screen: the terminal shows the shell again.
ALT_SCREEN_ON = b"\x1b[?1049h"
ALT_SCREEN_OFF = b"\x1b[?1049l"
#: Modes the app turns on and must turn off: mouse reports, bracketed paste, hidden cursor.
#: Escape sequences, to search what the app drew for words.
ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|.)")
RESETS = (b"\x1b[?1000l", b"\x1b[?1003l", b"\x1b[?1006l", b"\x1b[?2004l", b"\x1b[?25h")


def sample_db(tmp_path: Path) -> Path:
    db = tmp_path / "annotations.db"
    with Repository.open(db) as repo:
        ingest.import_items(repo, SAMPLE)
    return db


def type_comment(app: PtyApp) -> str:
    """Open the comment editor on the first item and half-type a comment; the item's id."""
    item = app.wait_for_item(TIMEOUT)
    mark = len(app.output)
    app.send("c")
    # Keys typed before the editor is up go to the screen below: wait for it.
    app.wait_for(lambda a: COMMENT_HINT in a.text(mark), TIMEOUT)
    mark = len(app.output)
    app.send(UNSAVED)
    app.wait_for(lambda a: UNSAVED in a.text(mark), TIMEOUT)
    return item


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time PID has used so far, or None once it is gone (or a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    if fields[0] == "Z":
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_closed_terminal_ends_an_app_that_gets_no_sighup_and_keeps_the_comment(
    tmp_path: Path,
) -> None:
    db = sample_db(tmp_path)
    # Not the pty's controlling process (su -c, setsid, a wrapper without exec): closing
    # the terminal sends no SIGHUP; the app has only its input and output to go by.
    app = PtyApp.annotate(db, "kim", controlling=False)
    try:
        item = type_comment(app)
        app.hang_up()
        closed = time.monotonic()
        spent = 0.0
        while app.proc.poll() is None:
            used = cpu_seconds(app.pid)
            spent = used if used is not None else spent
            if time.monotonic() - closed > TIMEOUT:
                raise AssertionError(
                    f"the app still runs {TIMEOUT:.0f}s after its terminal closed, "
                    f"{spent:.1f}s of CPU used: it is spinning on a dead terminal"
                )
            time.sleep(0.05)  # poll interval for the exit, not a wait for a result
        status = app.proc.returncode
    finally:
        app.close()
    assert status == HANGUP_EXIT, f"exit status {status}"
    assert drafts(db) == {item: UNSAVED}
    with Repository.open(db, readonly=True) as repo:
        assert repo.conn.execute("SELECT count(*) FROM labels").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("command", "shows"),
    [("show", "most disputed items"), ("review", "golden")],
    ids=["calibrate show", "calibrate review"],
)
def test_a_closed_terminal_ends_the_lead_apps_too(tmp_path: Path, command: str, shows: str) -> None:
    db = sample_db(tmp_path)
    with Repository.open(db) as repo:
        round_ = closed_round(repo, load_shipped(RUBRIC), DISPUTED)
    argv = [
        sys.executable,
        "-m",
        "tui_annotate",
        "--db",
        str(db),
        "calibrate",
        command,
        str(round_.id),
    ]
    app = PtyApp(argv, controlling=False)
    try:
        app.wait_for(lambda a: shows in a.text(), TIMEOUT)
        app.hang_up()
        status = app.proc.wait(TIMEOUT)
    finally:
        app.close()
    assert status == HANGUP_EXIT, f"exit status {status}"


def test_a_failed_write_to_the_terminal_ends_the_app_and_keeps_the_comment(
    tmp_path: Path,
) -> None:
    """The terminal's output goes first (its reader is gone), its input stays open."""
    db = sample_db(tmp_path)
    master, slave = pty.openpty()
    screen_r, screen_w = os.pipe()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui_annotate",
            "--db",
            str(db),
            "annotate",
            "--annotator",
            "kim",
            "--rubric",
            RUBRIC,
        ],
        stdin=slave,
        stdout=slave,
        stderr=screen_w,
        start_new_session=True,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    os.close(slave)
    os.close(screen_w)
    shown = bytearray()

    def screen_shows(text: str) -> bool:
        if select.select([screen_r], [], [], 0.1)[0]:
            shown.extend(os.read(screen_r, 65536))
        return text in ESCAPES.sub("", shown.decode("utf-8", errors="replace"))

    try:
        wait_until(lambda: screen_shows("on item"), TIMEOUT, lambda: "no item shown")
        os.write(master, b"c")
        wait_until(lambda: screen_shows(COMMENT_HINT), TIMEOUT, lambda: "no comment editor")
        os.write(master, UNSAVED.encode())
        wait_until(lambda: screen_shows(UNSAVED), TIMEOUT, lambda: "the comment never showed")
        os.close(screen_r)  # the next frame (the header's clock ticks) fails with EPIPE
        screen_r = -1
        status = proc.wait(TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        if screen_r >= 0:
            os.close(screen_r)
    assert status == HANGUP_EXIT, f"exit status {status}"
    item = next(iter(drafts(db)), None)
    assert item is not None and drafts(db) == {item: UNSAVED}


def test_sigterm_keeps_the_comment_and_gives_the_terminal_back(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    app = PtyApp.annotate(db, "kim")
    try:
        item = type_comment(app)
        os.kill(app.pid, signal.SIGTERM)
        status = app.wait_exit(TIMEOUT)
    finally:
        app.close()
    assert status == TERM_EXIT, app._why(f"exit status {status}")
    assert drafts(db) == {item: UNSAVED}
    out = bytes(app.output)
    entered = out.rfind(ALT_SCREEN_ON)
    left = out.rfind(ALT_SCREEN_OFF)
    assert 0 <= entered < left, app._why("the app never left the alternate screen")
    # After the last frame, every mode the app set is reset, and nothing is drawn again.
    ending = out[left - 200 :]
    for reset in RESETS:
        assert reset in ending, f"{reset!r} missing from the end: {ending!r}"
    after = re.sub(rb"\x1b\[[?<>]?[0-9;]*[a-zA-Z]", b"", out[left:])
    assert after.strip() == b"", f"written after leaving the alternate screen: {after!r}"
    assert b"Traceback" not in out


def asleep_in_sqlite(pid: int) -> bool:
    """PID's main thread sleeps in the kernel as SQLite's busy handler does (proc(5) wchan)."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text() in ("hrtimer_nanosleep", "do_nanosleep")
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_the_app_ends_on_a_signal_while_its_ui_thread_is_stuck(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """A Python signal handler would wait for the UI thread; a rating blocked on a database
    another process holds locked keeps it busy for the whole busy timeout (15 s)."""
    db = sample_db(tmp_path)
    app = PtyApp.annotate(db, "kim")
    with closing(sqlite3.connect(db, isolation_level=None)) as holder:
        try:
            app.wait_for_item(TIMEOUT)
            holder.execute("BEGIN IMMEDIATE")
            locked = time.monotonic()
            app.send("4")
            wait_until(
                lambda: asleep_in_sqlite(app.pid),
                TIMEOUT,
                lambda: app._why("the rating never waited on the lock"),
            )
            os.kill(app.pid, sig)
            status = app.wait_exit(TIMEOUT)
            ended = time.monotonic()
        finally:
            app.close()
            holder.rollback()
    # Out while the UI thread was still waiting: it never got free to run a handler.
    assert ended - locked < BUSY_TIMEOUT_MS / 1000, f"{ended - locked:.1f}s: waited for the UI"
    assert status == 128 + sig, app._why(f"exit status {status}")
    if sig == signal.SIGTERM:  # the terminal given back by hand, the UI thread being stuck
        assert bytes(app.output).endswith(RESTORE.encode()), app._why("terminal not restored")
    with Repository.open(db, readonly=True) as repo:
        assert repo.conn.execute("SELECT count(*) FROM labels").fetchone()[0] == 0


def test_sigterm_stops_the_judge_keeping_every_committed_result(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    db = tmp_path / "annotations.db"
    scores = judge_items(tmp_path / "items.jsonl", rng)
    with Repository.open(db) as repo:
        ingest.import_items(repo, tmp_path / "items.jsonl")
    log = tmp_path / "judge.log"
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
        ]
        proc = start(argv, log, child_env(OPENAI_API_KEY="sk-test-sigterm"))
        try:
            wait_until(
                lambda: judged_so_far(db) >= 3 or proc.poll() is not None,
                4 * TIMEOUT,
                lambda: f"{judged_so_far(db)} judged; {said(log)}",
            )
            assert proc.poll() is None, f"the judge finished first: {said(log)}"
            before = judged_so_far(db)
            proc.send_signal(signal.SIGTERM)
            status = proc.wait(TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    err = log.with_suffix(".err").read_text()
    assert status == TERM_EXIT, said(log)
    assert "Traceback" not in err and "stopped:" in err, said(log)
    assert session_members(proc.pid) == [], "processes outlived the judge"
    assert_sound(db, "after SIGTERM")
    judged = assert_judgements_whole(db, scores, "after SIGTERM")
    assert before <= len(judged) < JUDGE_ITEMS, f"{before} judged before, {len(judged)} after"


def visible_items(db: Path) -> int:
    """The item count `status` reports: what an annotator or an export would see."""
    out = subprocess.run(
        [sys.executable, "-m", "tui_annotate", "--db", str(db), "status", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=4 * TIMEOUT,
    )
    return int(json.loads(out.stdout)["items"])


def test_sigterm_stops_an_import_of_labels_blocked_on_a_pipe(tmp_path: Path) -> None:
    """import-labels reads in a thread of its own: stopped while that thread waits on a pipe
    that says no more, and after it wrote a batch (unseen), it still ends at once, and
    leaves no label, no pending range and no scratch database behind."""
    db = sample_db(tmp_path)
    pipe = tmp_path / "labels.jsonl"
    os.mkfifo(pipe)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    log = tmp_path / "labels.log"
    proc = start(
        ["--db", str(db), "import-labels", str(pipe), "--rubric", "faithfulness"],
        log,
        env=child_env(TMPDIR=str(scratch)),
    )
    ids = [f"nw-{n:03d}" for n in range(1, 41)]
    writer = os.open(pipe, os.O_WRONLY)  # waits for the import to open it
    try:
        lines = "".join(
            json.dumps({"item_id": ids[n % 40], "annotator": f"ext{n // 40}", "score": 3}) + "\n"
            for n in range(25_000)  # more than one batch (20,000)
        ).encode()
        os.write(writer, lines)

        def written() -> bool:
            with closing(sqlite3.connect(db)) as conn:
                return bool(conn.execute("SELECT count(*) FROM labels_all").fetchone()[0])

        # The first batch is written (unseen); the reading thread waits for more.
        wait_until(lambda: written() or proc.poll() is not None, 4 * TIMEOUT, lambda: said(log))
        assert proc.poll() is None, f"the import ended first: {said(log)}"
        assert list(scratch.iterdir())  # its scratch database is there meanwhile
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(4 * TIMEOUT)
    finally:
        os.close(writer)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = log.with_suffix(".err").read_text()
    assert status == TERM_EXIT, said(log)
    assert "Traceback" not in err and "stopped: no label" in err, said(log)
    assert_sound(db, "after SIGTERM")
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM labels_all").fetchone()[0] == 0
        assert conn.execute(
            "SELECT labels_pending_from > labels_pending_to FROM import_state"
        ).fetchone() == (1,)
    assert not list(scratch.iterdir())


def test_sigterm_stops_an_import_leaving_nothing_of_it(tmp_path: Path) -> None:
    n = 300_000
    source = big_jsonl(tmp_path / "big.jsonl", n)
    # Large enough for the parallel path: SIGTERM finds parsing processes to take down too.
    assert source.stat().st_size > ingest.PARALLEL_BYTES
    db = tmp_path / "annotations.db"
    Repository.open(db).close()
    log = tmp_path / "import.log"
    proc = start(["--db", str(db), "import", str(source)], log)
    try:
        # Mid-run: the parsing processes are up.
        wait_until(
            lambda: len(session_members(proc.pid)) > 1 or proc.poll() is not None,
            4 * TIMEOUT,
            lambda: said(log),
        )
        assert proc.poll() is None, f"the import finished first: {said(log)}"
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(4 * TIMEOUT)
        # Its parsing processes go with it (they may take a moment to notice).
        wait_until(
            lambda: session_members(proc.pid) == [],
            TIMEOUT,
            lambda: f"processes {session_members(proc.pid)} outlived the import",
        )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in session_members(proc.pid):
            os.kill(pid, signal.SIGKILL)
    err = log.with_suffix(".err").read_text()
    assert status == TERM_EXIT, said(log)
    assert "Traceback" not in err and "stopped:" in err, said(log)
    assert_sound(db, "after SIGTERM")
    assert visible_items(db) == 0
    # Nothing of it was kept: the same file again imports every item.
    again = start(["--db", str(db), "import", str(source)], tmp_path / "again.log")
    assert again.wait(6 * TIMEOUT) == 0, said(tmp_path / "again.log")
    assert f"imported {n} items" in (tmp_path / "again.log").read_text()
    assert visible_items(db) == n
