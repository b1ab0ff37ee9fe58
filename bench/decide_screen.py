"""`decide` at a million items: start → first tab on screen, and start → its numbers drawn.

Through a real pty at 120×40, from spawning `tui-annotate decide` to the
Scorecard tab reaching the terminal (the aim: under 1 s; the numbers are
computed on a worker, so the tab shows "computing…" first), and to the
scorecard's numbers replacing it. Beside them, the same work in-process and
without a screen, split into reading the prompt's table and computing the
scorecard, so a slow figure says which part is slow. The data is
bench/decide_data.py's (1M items over 10 versions, 3 rubrics, 1M human and
1M judge labels). `python -m bench.decide_screen [--quick]` runs it alone.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from bench import decide
from bench.common import OUT, Figure, main_for
from bench.ptydriver import PtyApp

COLS, ROWS = 120, 40
TIMEOUT = 120.0
#: On screen once the tab is drawn ("computing…" under it), and once its numbers are
#: (the first rubric's section title; the composite is below the fold with 10 versions).
TAB = b"Scorecard"
NUMBERS = b"PASS at"


def _start(db: Path, prompt: str) -> PtyApp:
    from tui_annotate.core.decide.sample import RUBRICS_DIR  # rudeness lives there

    argv = [sys.executable, "-m", "tui_annotate", "--db", str(db), "--rubrics", str(RUBRICS_DIR)]
    argv += ["decide", "--prompt", prompt]
    return PtyApp(argv, cols=COLS, rows=ROWS, cwd=OUT, answer_sync=True)


def _in_process(db: Path, prompt: str) -> tuple[float, float]:
    """(seconds to read the table, seconds to compute the scorecard) without a screen."""
    from tui_annotate.core import rubric as rubrics
    from tui_annotate.core.decide.config import ScorecardConfig
    from tui_annotate.core.decide.infos import rubric_infos
    from tui_annotate.core.decide.sample import RUBRICS_DIR
    from tui_annotate.core.decide.scorecard import scorecard
    from tui_annotate.store.repository import Repository

    with Repository.open(db, readonly=True) as repo:
        names = repo.rubrics_labelled(prompt)
        dirs = rubrics.search_path(RUBRICS_DIR)
        chosen = [rubrics.find_rubric(n, dirs) for n in names]
        t = time.perf_counter()
        table = repo.prompt_table(prompt, chosen, notes=False)  # as the Scorecard reads it
        loaded = time.perf_counter() - t
    t = time.perf_counter()
    scorecard(table, rubric_infos(chosen, ScorecardConfig()))
    return loaded, time.perf_counter() - t


def run(quick: bool = False) -> list[Figure]:
    items = decide.size_for(quick)
    times = 3
    db = decide.ensure_db(items)  # the database bench/decide.py builds and reuses
    prompt, _ = decide.prompt_and_versions(db)
    tab, numbers = [], []
    for _ in range(times):
        with _start(db, prompt) as app:
            tab.append(app.wait_for(TAB, TIMEOUT) - app.started_at)
            numbers.append(app.wait_for(NUMBERS, TIMEOUT) - app.started_at)
            app.send("q")
            app.wait_exit(30)
    loaded, computed = _in_process(db, prompt)
    size = f"{items // 1000}k items" if items < 1_000_000 else "1M items"
    first = statistics.median(tab)
    return [
        Figure(
            f"decide: start → Scorecard tab visible (median of {times}, {size})",
            first * 1000,
            "ms",
            "< 1000 ms",
            first < 1.0,
        ),
        Figure(
            f"decide: start → scorecard numbers drawn (median of {times}, {size})",
            statistics.median(numbers) * 1000,
            "ms",
        ),
        Figure(
            f"decide: read the table, no tags/comments, in-process ({size})", loaded * 1000, "ms"
        ),
        Figure(f"decide: compute the scorecard in-process ({size})", computed * 1000, "ms"),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
