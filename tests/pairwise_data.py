"""A small project for the pairwise tests: one prompt, versions answering the same cases.

Version 1.0.0 answers case N with "ALPHA-N …", 1.1.0 with "BRAVO-N …" and
1.2.0 with "CHARLIE-N …", so a scripted annotator (or a test) can tell
which version a response came from by its text alone; the screen never says.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from tui_annotate.core import ingest
from tui_annotate.store.repository import Repository

MARKS = {"1.0.0": "ALPHA", "1.1.0": "BRAVO", "1.2.0": "CHARLIE"}
PROMPT = "support-answer"


def write_items(
    path: Path,
    cases: int,
    versions: Sequence[str] = ("1.0.0", "1.1.0"),
    *,
    identical: int = 0,
) -> Path:
    """CASES cases, each answered by every version; the first IDENTICAL cases identically."""
    with path.open("w") as f:
        for case in range(cases):
            for version in versions:
                output = (
                    f"the same answer to {case}"
                    if case < identical
                    else f"{MARKS[version]}-{case} answers question {case}."
                )
                f.write(
                    json.dumps(
                        {
                            "id": f"c{case}-{version}",
                            "input": f"Question number {case}?",
                            "output": output,
                            "prompt": PROMPT,
                            "prompt_version": version,
                        }
                    )
                    + "\n"
                )
    return path


def make_project(
    db: Path, cases: int, versions: Sequence[str] = ("1.0.0", "1.1.0"), *, identical: int = 0
) -> Path:
    items = write_items(db.parent / "pairwise_items.jsonl", cases, versions, identical=identical)
    with Repository.open(db) as repo:
        ingest.import_items(repo, items)
    return db
