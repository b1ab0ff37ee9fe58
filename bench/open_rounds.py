"""What an open calibration round costs `agreement`: current_labels and the left-out count.

`python -m bench.open_rounds [--quick]`: N items labelled by two people, a
30-item round open with two more, then the time of `current_labels` (every
label but the round's own) and of `open_round_labels` (the round's labels,
counted for the notice). Not in `python -m bench`'s default list: run it by name.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import Figure, main_for, say
from tui_annotate.core import calibration, ingest, snapshot
from tui_annotate.core.rubric import find_rubric, shipped_rubrics_dir
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"


def best_ms(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def run(quick: bool) -> list[Figure]:
    n = 20_000 if quick else 100_000
    rubric = find_rubric(RUBRIC, [shipped_rubrics_dir()])
    folder = Path(tempfile.mkdtemp(prefix="bench-open-rounds-"))
    source = folder / "items.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps({"id": f"i{i}", "output": f"answer {i}"}) + "\n")
    say(f"open_rounds: {n:,} items, 2 annotators each, a 30-item round open")
    with Repository.open(folder / "annotations.db") as repo:
        ingest.import_items(repo, source)
        snapshot.register(repo, rubric)
        ids = [row[0] for row in repo.conn.execute("SELECT id FROM items ORDER BY id")]
        repo.append_imported_labels(
            [
                {
                    "item_id": i,
                    "rubric": RUBRIC,
                    "rubric_version": rubric.version,
                    "annotator": who,
                    "score": i % 5 + 1,
                    "tags": [],
                    "comment": "",
                    "meta": {},
                }
                for who in ("zed", "yan")
                for i in ids
            ]
        )
        round_ = calibration.start_round(
            repo, rubric, ["ana", "ben"], items=30, seed=1, created_by="bench"
        )
        for who in ("ana", "ben"):
            for i in repo.rounds.item_ids(round_.id):
                repo.append_event(
                    item_id=i,
                    rubric=RUBRIC,
                    rubric_version=rubric.version,
                    annotator=who,
                    kind="rate",
                    score=3,
                    round_id=round_.id,
                )
        labels = len(repo.current_labels(RUBRIC))
        held = repo.open_round_labels(RUBRIC)
        return [
            Figure(
                f"current_labels, {labels:,} labels kept ({n:,} items, round open)",
                best_ms(lambda: repo.current_labels(RUBRIC)),
                "ms",
            ),
            Figure(
                f"open_round_labels ({sum(held.values())} held back)",
                best_ms(lambda: repo.open_round_labels(RUBRIC)),
                "ms",
            ),
        ]


if __name__ == "__main__":
    main_for(run, __doc__)
