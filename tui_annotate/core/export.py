"""Resolve each item's current human labels into one score and a PASS/FAIL verdict, and write them."""

from __future__ import annotations

import csv
import json
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING, Any, TextIO

from tui_annotate.core.models import CurrentLabel, Rubric

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository

COLUMNS = (
    "item_id", "input", "output", "context", "prompt", "prompt_version", "rubric",
    "rubric_version", "score", "verdict", "n_labels", "annotators", "tags", "comments",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ExportRow:
    item_id: str
    input: str
    output: str
    context: str
    prompt: str
    prompt_version: str
    rubric: str
    rubric_version: str
    score: int
    verdict: str
    n_labels: int
    annotators: tuple[str, ...]
    tags: tuple[str, ...]
    comments: tuple[str, ...]


def resolve(scores: list[int]) -> int:
    """The median of the current scores; with an even count, the lower middle (the stricter)."""
    return int(statistics.median_low(scores))


def rows(repo: Repository, rubric: Rubric, *, include_judge: bool = False) -> Iterator[ExportRow]:
    """One row per item that has at least one current label on RUBRIC, in item order."""
    labels = repo.current_labels(rubric.name, humans_only=not include_judge)
    for item_id, group in groupby(labels, key=lambda label: label.item_id):
        current: list[CurrentLabel] = list(group)
        item = repo.get_item(item_id)
        score = resolve([label.score for label in current])
        yield ExportRow(
            item_id=item.external_id,
            input=item.input,
            output=item.output,
            context=item.context,
            prompt=item.prompt,
            prompt_version=item.prompt_version,
            rubric=rubric.name,
            rubric_version=",".join(sorted({label.rubric_version for label in current})),
            score=score,
            verdict=rubric.verdict(score),
            n_labels=len(current),
            annotators=tuple(label.annotator for label in current),
            tags=tuple(sorted({tag for label in current for tag in label.tags})),
            comments=tuple(f"{label.annotator}: {label.comment}" for label in current
                           if label.comment.strip()),
        )  # fmt: skip


def golden_rows(repo: Repository, rubric: Rubric) -> Iterator[ExportRow]:
    """The golden set: one row per adjudicated item, the lead's consensus score and note.

    Same columns as the label export, so a regression suite reads either;
    `annotators` names the adjudicator and `comments` carries the note.
    """
    for item_id, gold in sorted(repo.rounds.golden(rubric.name).items()):
        item = repo.get_item(item_id)
        yield ExportRow(
            item_id=item.external_id, input=item.input, output=item.output, context=item.context,
            prompt=item.prompt, prompt_version=item.prompt_version, rubric=rubric.name,
            rubric_version=gold.rubric_version, score=gold.score,
            verdict=rubric.verdict(gold.score), n_labels=1, annotators=(gold.adjudicator,),
            tags=(), comments=(f"{gold.adjudicator}: {gold.note}",) if gold.note.strip() else (),
        )  # fmt: skip


def _record(row: ExportRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in COLUMNS}


def write_jsonl(out: TextIO, export: Iterator[ExportRow]) -> int:
    count = 0
    for row in export:
        record = _record(row)
        for key in ("annotators", "tags", "comments"):
            record[key] = list(record[key])
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(out: TextIO, export: Iterator[ExportRow]) -> int:
    """Lists are joined with ';' (comments, which may hold ';', with newlines)."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in export:
        record = _record(row)
        record["annotators"] = ";".join(row.annotators)
        record["tags"] = ";".join(row.tags)
        record["comments"] = "\n".join(row.comments)
        writer.writerow(record)
        count += 1
    return count
