"""Resolve each item's current labels into one score and a PASS/FAIL verdict, and write them.

The store streams one item at a time, in item order, from one ordered query;
nothing here holds more than one item's labels, so a million items export in
the memory of one.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple, TextIO

from tui_annotate.core.export_data import ItemLabels, LeftOut
from tui_annotate.core.models import Rubric
from tui_annotate.core.resolve import LabelSource, consensus, latest_judge, resolved_label

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository

COLUMNS = (
    "item_id",
    "input",
    "output",
    "context",
    "prompt",
    "prompt_version",
    "rubric",
    "rubric_version",
    "score",
    "verdict",
    "n_labels",
    "annotators",
    "tags",
    "comments",
    # Added after the others so that readers indexing columns by position keep working.
    "label_source",
)


#: Kept for callers of the old name: the human consensus.
resolve = consensus


class ExportRow(NamedTuple):
    """One exported line; the fields are COLUMNS, in order (a tuple: a million are made)."""

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
    label_source: LabelSource


def rows(
    repo: Repository,
    rubric: Rubric,
    *,
    include_judge: bool = False,
    left_out: LeftOut | None = None,
    span: tuple[int, int] | None = None,
) -> Iterator[ExportRow]:
    """One row per item with a resolved label on RUBRIC, in item order.

    The score is the resolved label (core/resolve.py): golden, else the human
    consensus, else, with INCLUDE_JUDGE, the judge's. `n_labels`,
    `annotators`, `tags` and `comments` describe the labels that score came
    from: the humans', the adjudicator's (and note) or the one judge's
    (and rationale). Labels of an open calibration round are left out and
    counted in LEFT_OUT. SPAN limits the export to items with ids in
    [first, last], so that slices can be written side by side.
    """
    seen = left_out if left_out is not None else LeftOut()
    for item in repo.exports.stream(
        rubric.name, include_judge=include_judge, left_out=seen, span=span
    ):
        row = _row(item, rubric)
        if row is not None:
            yield row


def _row(item: ItemLabels, rubric: Rubric) -> ExportRow | None:
    humans = item.humans
    judge = latest_judge([(label.event_id, label) for label in item.judges])
    gold = item.golden
    resolved = resolved_label(
        golden=None if gold is None else gold.score,
        human_scores=[label.score for label in humans],
        judge=None if judge is None else judge.score,
    )
    if resolved is None:
        return None
    if gold is not None and resolved.source == "golden":
        version = gold.rubric_version
        annotators: tuple[str, ...] = (gold.adjudicator,)
        tags: tuple[str, ...] = ()
        comments: tuple[str, ...] = (
            (f"{gold.adjudicator}: {gold.note}",) if gold.note.strip() else ()
        )
    else:
        used = humans if resolved.source == "human" else (judge,) if judge else ()
        names: list[str] = []
        tagged: set[str] = set()
        notes: list[str] = []
        versions: set[str] = set()
        for label in used:  # one pass: this runs a million times in a large export
            names.append(label.annotator)
            versions.add(label.rubric_version)
            if label.tags:
                tagged.update(label.tags)
            if label.comment and label.comment.strip():
                notes.append(f"{label.annotator}: {label.comment}")
        version = versions.pop() if len(versions) == 1 else ",".join(sorted(versions))
        annotators, tags, comments = tuple(names), tuple(sorted(tagged)), tuple(notes)
    return ExportRow(
        item.external_id,
        item.input,
        item.output,
        item.context,
        item.prompt,
        item.prompt_version,
        rubric.name,
        version,
        resolved.score,
        rubric.verdict(resolved.score),
        len(annotators),
        annotators,
        tags,
        comments,
        resolved.source,
    )


def golden_rows(repo: Repository, rubric: Rubric) -> Iterator[ExportRow]:
    """The golden set: one row per adjudicated item, the lead's consensus score and note.

    Same columns as the label export, so a regression suite reads either;
    `annotators` names the adjudicator and `comments` carries the note.
    """
    for item_id, gold in sorted(repo.rounds.golden(rubric.name).items()):
        item = repo.get_item(item_id)
        yield ExportRow(
            item_id=item.external_id,
            input=item.input,
            output=item.output,
            context=item.context,
            prompt=item.prompt,
            prompt_version=item.prompt_version,
            rubric=rubric.name,
            rubric_version=gold.rubric_version,
            score=gold.score,
            verdict=rubric.verdict(gold.score),
            n_labels=1,
            annotators=(gold.adjudicator,),
            tags=(),
            comments=(f"{gold.adjudicator}: {gold.note}",) if gold.note.strip() else (),
            label_source="golden",
        )


def write_jsonl(out: TextIO, export: Iterator[ExportRow], *, header: bool = True) -> int:
    """One JSON object per line (HEADER is for CSV's sake: JSONL has none)."""
    encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
    count = 0
    for row in export:
        # Tuples encode as JSON arrays: annotators, tags and comments come out as lists.
        out.write(encode(dict(zip(COLUMNS, row, strict=True))) + "\n")
        count += 1
    return count


def write_csv(out: TextIO, export: Iterator[ExportRow], *, header: bool = True) -> int:
    """Lists are joined with ';' (comments, which may hold ';', with newlines)."""
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(COLUMNS)
    count = 0
    for row in export:
        writer.writerow(
            (
                *row[:11],
                ";".join(row.annotators),
                ";".join(row.tags),
                "\n".join(row.comments),
                row.label_source,
            )
        )
        count += 1
    return count
