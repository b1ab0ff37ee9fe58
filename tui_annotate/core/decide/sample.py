"""The bundled deciding sample: a prompt in three versions over 40 cases, labelled, to decide on.

`tui-annotate demo --decide` loads it into a fresh database and opens the
Decide screen, so a lead sees scorecards, comparisons and a gate on data that
looks real before their own exists. The files are written by
scripts/make_decide_sample.py (what the labels say about each version is told
there) and go in through the same doors a project's files do: `import` for
the items (with `case` and `timestamp`), `import-labels` for the people's
labels; the judge's labels and the golden set are appended as the judge and
adjudication write theirs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_annotate.core import ingest, snapshot
from tui_annotate.core.label_import import import_labels
from tui_annotate.core.models import Rubric
from tui_annotate.core.rubric import find_rubric, load_rubric, shipped_rubrics_dir

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository

DATA = Path(__file__).resolve().parent.parent.parent / "data" / "decide"
#: Where the sample's own rubric (rudeness, direction "lower") lives.
RUBRICS_DIR = DATA / "rubrics"
PROMPT = "support-answer"
VERSIONS = ("1.0.0", "1.1.0", "1.2.0")
CASES = 40
RUBRIC_NAMES = ("faithfulness", "safety", "rudeness")
ADJUDICATOR = "lead"


def rubrics() -> list[Rubric]:
    """The sample's rubrics: the shipped faithfulness and safety, and its own rudeness."""
    return [
        find_rubric("faithfulness", [shipped_rubrics_dir()]),
        find_rubric("safety", [shipped_rubrics_dir()]),
        load_rubric(RUBRICS_DIR / "rudeness.toml"),
    ]


def load_decide_sample(repo: Repository) -> str:
    """Import the sample's items and labels into REPO (a fresh project); return the prompt."""
    by_name = {r.name: r for r in rubrics()}
    for rubric in by_name.values():
        snapshot.register(repo, rubric)
    ingest.import_items(repo, DATA / "items.jsonl")
    import_labels(repo, DATA / "labels.jsonl", by_name, None)
    ids = repo.item_ids_by_external([f"{case}@{v}" for v in VERSIONS for case in _case_ids()])
    judged = _rows("judge.jsonl")
    with repo.transaction():
        for row in judged:
            rubric = by_name[row["rubric"]]
            repo.labels.append_within(
                {
                    "item_id": ids[row["item_id"]],
                    "rubric": rubric.name,
                    "rubric_version": rubric.version,
                    "annotator": row["annotator"],
                    "kind": "rate",
                    "score": row["score"],
                    "tags": row["tags"],
                    "comment": row["comment"],
                    "meta": {"model": row["annotator"].split(":", 1)[1], "sample": True},
                }
            )
    for row in _rows("golden.jsonl"):
        rubric = by_name[row["rubric"]]
        repo.rounds.add_golden(
            item_id=ids[row["item_id"]],
            rubric=rubric.name,
            rubric_version=rubric.version,
            score=row["score"],
            note=row["note"],
            adjudicator=ADJUDICATOR,
            round_id=None,
        )
    return PROMPT


def _rows(name: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _case_ids() -> list[str]:
    return sorted({str(row["case"]) for row in _rows("items.jsonl")})
