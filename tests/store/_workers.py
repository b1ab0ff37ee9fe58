"""Code that runs in child processes for the concurrency tests (importable under 'spawn')."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

from tui_annotate.core.rubric import find_rubric, shipped_rubrics_dir
from tui_annotate.core.session import AnnotationSession
from tui_annotate.store.repository import Repository


def annotate_until_done(db: str, annotator: str, overlap: int, barrier: Any, results: Any) -> None:
    """One annotator's whole session in its own process: rate everything handed out, then quit.

    Every process opens its database, then waits at BARRIER so that all of them
    start drawing items at the same moment. Puts (annotator, rated ids, error) on RESULTS.
    """
    rated: list[int] = []
    try:
        rubric = find_rubric("faithfulness", [shipped_rubrics_dir()])
        repo = Repository.open(Path(db))
        try:
            session = AnnotationSession(repo, rubric, annotator, overlap=overlap)
            barrier.wait(timeout=60)
            session.start()
            while not session.done:
                item_id = session.current_id
                assert item_id is not None
                session.rate(1 + item_id % 5)
                rated.append(item_id)
        finally:
            repo.close()
    except BaseException:
        results.put((annotator, rated, traceback.format_exc()))
        return
    results.put((annotator, rated, None))
