"""A member of a failed round, refused by the gate, sees the round's results first (real pty)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SAMPLE, load_shipped
from tests.e2e.conftest import TIMEOUT, Spawn
from tui_annotate.core import calibration, ingest
from tui_annotate.core.calibration import Thresholds
from tui_annotate.core.session import AnnotationSession
from tui_annotate.store.repository import Repository


def failed_round(db: Path) -> dict[str, object]:
    rubric = load_shipped("faithfulness")
    with Repository.open(db) as repo:
        ingest.import_items(repo, SAMPLE)
        round_ = calibration.start_round(
            repo, rubric, ["ana", "cy"], items=6, seed=4, created_by="lead"
        )
        for name in ("ana", "cy"):
            session = AnnotationSession(repo, rubric, name, calibration_only=True)
            session.start()
            while not session.done:
                item = session.current_id
                assert item is not None
                session.rate(item % 5 + 1 if name == "ana" else 5 - item % 5)
        return calibration.close_round(
            repo, round_, rubric, bootstrap=0, thresholds=Thresholds(0.8, 0.667)
        )


def test_the_results_screen_comes_before_the_refusal(tmp_path: Path, spawn: Spawn) -> None:
    db = tmp_path / "annotations.db"
    result = failed_round(db)
    assert result.verdict == "fail"
    cy = spawn(db, "cy")
    cy.wait_for(b"FAIL", TIMEOUT)  # the results app, full screen
    assert b"live annotation on faithfulness needs" not in cy.output
    shown = len(cy.output)
    cy.send("q")
    assert cy.wait_exit(TIMEOUT) == 1
    refusal = cy.text(shown)
    assert "error: live annotation on faithfulness needs a passed calibration round" in refusal
    assert "Round 1 failed" in refusal
    # once: the next time the refusal comes straight away
    again = spawn(db, "cy")
    assert again.wait_exit(TIMEOUT) == 1
    assert "FAIL" not in again.text() and "Round 1 failed" in again.text()
