"""`demo --decide` end to end in a real pty: the sample loads, the Decide screen draws its numbers,
q leaves with exit 0 and the demo database is named for the text commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.e2e.ptyapp import PtyApp


def test_demo_decide_opens_the_decide_screen_on_the_sample(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "tui_annotate", "demo", "--decide"]
    with PtyApp(argv, cols=120, rows=40, cwd=tmp_path) as app:
        app.wait_for(b"Scorecard", 60)
        app.wait_for(b"composite", 60)  # the scorecard's numbers, computed on the worker
        app.send("q")
        assert app.wait_exit(30) == 0
        shown = app.text()
    assert "Demo database:" in shown
    db = Path(shown.split("Demo database:", 1)[1].split()[0])
    assert db.exists()
    assert "scorecard --prompt support-answer" in shown
    # The folder is a whole project: the hinted text command, run there, reads the sample's
    # [scorecard] (thresholds, weights) and its own rubric, so its numbers are the screen's.
    assert (db.parent / "tui-annotate.toml").is_file()
    text = subprocess.run(
        [sys.executable, "-m", "tui_annotate", "scorecard", "--prompt", "support-answer"],
        cwd=db.parent,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "240", "NO_COLOR": "1"},
        check=False,
    )
    assert text.returncode == 0, text.stderr
    assert "min pass rate 0.85" in text.stdout and "rudeness" in text.stdout
    shutil.rmtree(db.parent)  # the demo's own temporary folder
