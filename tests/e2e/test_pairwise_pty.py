"""Pairwise A/B end to end on a real pty: scripted annotators, then the results.

Two annotators prefer version 1.1.0 whichever side it is on: they read the
screen, find the response that is 1.1.0's ("BRAVO-…", tests/pairwise_data.py)
and press its key. 1.1.0 wins and neither shows position bias. A third
annotator always presses 1 (the left response): flagged.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import TIMEOUT
from tests.e2e.ptyapp import PtyApp
from tests.pairwise_data import PROMPT, make_project
from tui_annotate.core.pairwise import report, tasks
from tui_annotate.store.repository import Repository

PAIR = re.compile(rb"pair (\d+) of \d+")
MARK = re.compile(rb"(ALPHA|BRAVO)-(\d+)")
DONE = b"All done"
CASES = 12


def pairwise_app(db: Path, annotator: str) -> PtyApp:
    argv = [sys.executable, "-m", "tui_annotate", "--db", str(db), "pairwise", "annotate"]
    return PtyApp([*argv, "1", "--annotator", annotator], cols=120, rows=40)


def shown_after(app: PtyApp, start: int) -> tuple[bytes, bytes] | None:
    """The pair number the header shows after START, and the first response's mark: side by
    side, each screen row is written left to right, so Response 1's text comes first.

    The newest header counts: Textual may paint the same pair twice (a full repaint
    after the first frame), and a key sent between the two must not leave the wait
    reading the older pair for ever.
    """
    headers = list(PAIR.finditer(app.output, start))
    if not headers:
        return None
    header = headers[-1]
    first = MARK.search(app.output, header.end())
    if first is None:
        return None
    second = MARK.search(app.output, first.end())
    if second is None or second.group(2) != first.group(2) or second.group(1) == first.group(1):
        return None
    return header.group(1), first.group(1)


def moved_from(mark: int, previous: bytes | None) -> Callable[[PtyApp], bool]:
    """True once the screen is all done, or shows a pair other than PREVIOUS after MARK."""

    def moved(app: PtyApp) -> bool:
        if app.output.find(DONE, mark) >= 0:
            return True
        seen = shown_after(app, mark)
        return seen is not None and seen[0] != previous

    return moved


def annotate(db: Path, annotator: str, prefers: bytes | None) -> list[str]:
    """Vote on every pair: for PREFERS' response wherever it is, or always 1 when None."""
    pressed: list[str] = []
    with pairwise_app(db, annotator) as app:
        mark = 0
        previous: bytes | None = None
        while True:
            app.wait_for(moved_from(mark, previous), TIMEOUT)
            if app.output.find(DONE, mark) >= 0:
                break
            seen = shown_after(app, mark)
            assert seen is not None
            previous, left = seen
            key = "1" if prefers is None or left == prefers else "2"
            pressed.append(key)
            mark = len(app.output)
            app.send(key)
        app.send("q")
        assert app.wait_exit(TIMEOUT) == 0
    return pressed


def test_preference_wins_and_always_left_is_flagged(tmp_path: Path) -> None:
    db = make_project(tmp_path / "annotations.db", CASES)
    with Repository.open(db) as repo:
        tasks.start(
            repo, prompt=PROMPT, versions=["1.0.0", "1.1.0"], annotators=("ana", "ben", "cy")
        )
    ana = annotate(db, "ana", b"BRAVO")
    ben = annotate(db, "ben", b"BRAVO")
    cy = annotate(db, "cy", None)
    assert len(ana) == len(ben) == len(cy) == CASES
    assert set(cy) == {"1"}
    # Sides were balanced, so pressing for a version used both keys half the time.
    assert ana.count("1") == ben.count("1") == CASES // 2

    with Repository.open(db, readonly=True) as repo:
        task = tasks.find(repo, 1)
        votes = repo.pairwise.current_votes(task.id)
    assert {v.choice for v in votes if v.annotator in ("ana", "ben")} == {"b"}
    found = report.report(task, votes, bootstrap=200, seed=1)
    [pair] = found.pairs
    assert pair.b_wins >= 2 * CASES and pair.win_rate_b is not None and pair.win_rate_b > 0.5
    assert pair.sign_test_p is not None and pair.sign_test_p < 0.05
    assert found.ranking[0].version == "1.1.0"
    bias = found.position_bias.per_annotator
    assert not bias["ana"].flagged and not bias["ben"].flagged
    assert bias["ana"].left_share == 0.5
    assert bias["cy"].left_share == 1.0 and bias["cy"].flagged


def test_a_vote_acknowledged_on_screen_survives_kill_9(tmp_path: Path) -> None:
    db = make_project(tmp_path / "annotations.db", 4)
    with Repository.open(db) as repo:
        tasks.start(repo, prompt=PROMPT, versions=["1.0.0", "1.1.0"])
    with pairwise_app(db, "ana") as app:
        app.wait_for(b"pair 1 of 4", TIMEOUT)
        mark = len(app.output)
        app.send("2")
        app.wait_for(b"1/4 voted", TIMEOUT, start=mark)  # the screen moved on: acknowledged
        app.kill(9)
    with Repository.open(db, readonly=True) as repo:
        [vote] = repo.pairwise.current_votes(1)
    assert vote.annotator == "ana" and vote.choice == ("b" if vote.left == "a" else "a")


def test_a_comment_typed_before_the_vote_survives_kill_9(tmp_path: Path) -> None:
    db = make_project(tmp_path / "annotations.db", 4)
    with Repository.open(db) as repo:
        tasks.start(repo, prompt=PROMPT, versions=["1.0.0", "1.1.0"])
    with pairwise_app(db, "ana") as app:
        app.wait_for(b"pair 1 of 4", TIMEOUT)
        app.send("c")
        app.wait_for(b"Ctrl+S", TIMEOUT)
        mark = len(app.output)
        app.send("kept\x13")  # the comment, then Ctrl+S: the editor closes
        app.wait_for(b"comment saved with the vote", TIMEOUT, start=mark)
        app.kill(9)
    with pairwise_app(db, "ana") as app:
        app.wait_for(b"comment saved with the vote", TIMEOUT)  # back with the pair
        mark = len(app.output)
        app.send("1")
        app.wait_for(b"1/4 voted", TIMEOUT, start=mark)
        app.send("q")
        assert app.wait_exit(TIMEOUT) == 0
    with Repository.open(db, readonly=True) as repo:
        rows = repo.conn.execute("SELECT comment FROM pairwise_votes WHERE kind = 'vote'")
        assert [r[0] for r in rows] == ["kept"]
        assert repo.conn.execute("SELECT count(*) FROM drafts").fetchone()[0] == 0
