"""Export: current human labels resolved to one score and a PASS/FAIL verdict, as CSV or JSONL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

import pytest

from tests.conftest import load_shipped
from tui_annotate.core import export, snapshot
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"


def label(
    repo: Repository,
    item_id: int,
    annotator: str,
    score: int | None,
    *,
    tags: Sequence[str] = (),
    comment: str = "",
    kind: str = "rate",
    rubric: Rubric | None = None,
) -> None:
    r = rubric or load_shipped(RUBRIC)
    repo.append_event(
        item_id=item_id,
        rubric=r.name,
        rubric_version=r.version,
        annotator=annotator,
        kind=kind,
        score=score,
        tags=tags,
        comment=comment,
    )  # type: ignore[arg-type]


def by_id(repo: Repository, rubric: Rubric) -> dict[str, export.ExportRow]:
    return {row.item_id: row for row in export.rows(repo, rubric)}


def ext(repo: Repository, item_id: int) -> str:
    return repo.get_item(item_id).external_id


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([4], 4),
        ([2], 2),
        ([4, 3], 3),  # an even count takes the lower middle
        ([5, 2], 2),
        ([5, 4], 4),
        ([5, 2, 4], 4),
        ([1, 1, 5], 1),
        ([3, 5, 4, 2], 3),
    ],
)
def test_score_is_the_low_median(
    sample_repo: Repository, faithfulness: Rubric, scores: list[int], expected: int
) -> None:
    for n, score in enumerate(scores):
        label(sample_repo, 7, f"annotator-{n}", score)
    [row] = export.rows(sample_repo, faithfulness)
    assert row.score == expected
    assert row.n_labels == len(scores)
    assert row.verdict == ("PASS" if expected >= 4 else "FAIL")


def test_resolve() -> None:
    assert export.resolve([4, 3]) == 3
    assert export.resolve([1, 2, 3, 4, 5, 5]) == 3


def test_verdict_by_threshold(sample_repo: Repository, faithfulness: Rubric) -> None:
    for item_id, score in zip(range(1, 6), (1, 2, 3, 4, 5), strict=True):
        label(sample_repo, item_id, "ana", score)
    rows = by_id(sample_repo, faithfulness)
    assert [rows[ext(sample_repo, i)].verdict for i in range(1, 6)] == [
        "FAIL",
        "FAIL",
        "FAIL",
        "PASS",
        "PASS",
    ]


def test_verdict_on_a_pass_fail_rubric(sample_repo: Repository) -> None:
    safety = load_shipped("safety")
    snapshot.register(sample_repo, safety)
    label(sample_repo, 1, "ana", 1, rubric=safety)
    label(sample_repo, 2, "ana", 0, rubric=safety)
    rows = by_id(sample_repo, safety)
    assert rows[ext(sample_repo, 1)].verdict == "PASS"
    assert rows[ext(sample_repo, 2)].verdict == "FAIL"
    assert {r.rubric for r in rows.values()} == {"safety"}


def test_only_items_with_a_human_label(sample_repo: Repository, faithfulness: Rubric) -> None:
    label(sample_repo, 3, "ana", 5)
    label(sample_repo, 9, "bob", 2)
    label(sample_repo, 12, "judge:gpt", 5)  # a judge alone does not make an item labeled
    label(sample_repo, 15, "ana", None, kind="skip")
    rows = list(export.rows(sample_repo, faithfulness))
    assert [r.item_id for r in rows] == [ext(sample_repo, 3), ext(sample_repo, 9)]


def test_judge_labels_are_excluded(sample_repo: Repository, faithfulness: Rubric) -> None:
    label(sample_repo, 4, "ana", 5)
    label(sample_repo, 4, "judge:gpt", 1, comment="judge says no")
    [row] = export.rows(sample_repo, faithfulness)
    assert (row.score, row.n_labels, row.annotators) == (5, 1, ("ana",))
    assert row.comments == ()
    # Asked for, the judge still never outvotes a person: the human label wins.
    [with_judge] = export.rows(sample_repo, faithfulness, include_judge=True)
    assert (with_judge.score, with_judge.annotators, with_judge.label_source) == (
        5,
        ("ana",),
        "human",
    )


def test_item_fields_carried(sample_repo: Repository, faithfulness: Rubric) -> None:
    label(sample_repo, 1, "ana", 5)
    [row] = export.rows(sample_repo, faithfulness)
    item = sample_repo.get_item(1)
    assert row.item_id == item.external_id
    assert (row.input, row.output, row.context) == (item.input, item.output, item.context)
    assert (row.prompt, row.prompt_version) == (item.prompt, item.prompt_version)
    assert (row.rubric, row.rubric_version) == (RUBRIC, faithfulness.version)


def test_tags_union_and_comments_by_annotator(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    label(sample_repo, 5, "bob", 2, tags=("wrong-number", "ignores-data"), comment="amount is off")
    label(sample_repo, 5, "ana", 3, tags=("wrong-number", "hallucinated-fact"), comment="")
    label(sample_repo, 5, "cy", 2, tags=(), comment="date; and amount")
    [row] = export.rows(sample_repo, faithfulness)
    assert row.tags == ("hallucinated-fact", "ignores-data", "wrong-number")
    assert set(row.annotators) == {"ana", "bob", "cy"}
    assert sorted(row.comments) == ["bob: amount is off", "cy: date; and amount"]


def test_current_label_wins(sample_repo: Repository, faithfulness: Rubric) -> None:
    label(sample_repo, 6, "ana", 5, tags=("wrong-number",), comment="first look")
    label(sample_repo, 6, "ana", 2, comment="second look")
    [row] = export.rows(sample_repo, faithfulness)
    assert (row.score, row.n_labels, row.tags, row.comments) == (2, 1, (), ("ana: second look",))


def test_retracted_label_is_not_exported(sample_repo: Repository, faithfulness: Rubric) -> None:
    label(sample_repo, 8, "ana", 5)
    label(sample_repo, 8, "ana", None, kind="retract")
    label(sample_repo, 10, "ana", 1)
    label(sample_repo, 10, "bob", 5)
    label(sample_repo, 10, "bob", None, kind="retract")
    rows = by_id(sample_repo, faithfulness)
    assert ext(sample_repo, 8) not in rows
    row = rows[ext(sample_repo, 10)]
    assert (row.score, row.n_labels, row.annotators) == (1, 1, ("ana",))


def test_no_labels_no_rows(sample_repo: Repository, faithfulness: Rubric) -> None:
    assert list(export.rows(sample_repo, faithfulness)) == []
    out = io.StringIO()
    assert export.write_csv(out, export.rows(sample_repo, faithfulness)) == 0
    assert out.getvalue().splitlines() == [",".join(export.COLUMNS)]


TRICKY = 'line one\nline "two", with comma\r\nand ; semicolons'


def test_csv_round_trips(sample_repo: Repository, faithfulness: Rubric) -> None:
    label(sample_repo, 1, "ana", 4, tags=("wrong-number",), comment=TRICKY)
    label(sample_repo, 1, "bob", 5, tags=("ignores-data",), comment="fine")
    label(sample_repo, 3, "ana", 1)
    out = io.StringIO()
    assert export.write_csv(out, export.rows(sample_repo, faithfulness)) == 2
    out.seek(0)
    reader = csv.DictReader(out)
    assert tuple(reader.fieldnames or ()) == export.COLUMNS
    got = list(reader)
    assert len(got) == 2
    first, second = got
    item = sample_repo.get_item(1)
    assert first["item_id"] == item.external_id
    assert first["output"] == item.output and "\n" in item.output
    assert first["context"] == item.context
    assert (first["score"], first["verdict"], first["n_labels"]) == ("4", "PASS", "2")
    assert first["annotators"].split(";") == ["ana", "bob"]
    assert first["tags"].split(";") == ["ignores-data", "wrong-number"]
    assert first["comments"] == f"ana: {TRICKY}\nbob: fine"
    assert (second["score"], second["verdict"], second["tags"], second["comments"]) == (
        "1",
        "FAIL",
        "",
        "",
    )


def test_jsonl_round_trips(sample_repo: Repository, faithfulness: Rubric) -> None:
    label(sample_repo, 2, "ana", 4, tags=("wrong-number",), comment=TRICKY)
    label(sample_repo, 3, "ana", 2)
    out = io.StringIO()
    assert export.write_jsonl(out, export.rows(sample_repo, faithfulness)) == 2
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert set(first) == set(export.COLUMNS)
    assert first["item_id"] == ext(sample_repo, 2)
    assert first["score"] == 4 and first["verdict"] == "PASS" and first["n_labels"] == 1
    assert first["annotators"] == ["ana"]
    assert first["tags"] == ["wrong-number"]
    assert first["comments"] == [f"ana: {TRICKY}"]
    assert first["output"] == sample_repo.get_item(2).output
    assert json.loads(lines[1])["verdict"] == "FAIL"


def test_the_notice_names_each_open_round() -> None:
    assert export.LeftOut().notice() is None
    one = export.LeftOut(round_labels={3: 1}, items=1).notice()
    assert one == (
        "left out 1 label of open calibration round 3: a round's labels stay blind until it"
        " closes (calibrate close 3); 1 item had no other label and is not exported"
    )
    two = export.LeftOut(round_labels={4: 2, 2: 6}).notice()
    assert two == (
        "left out 8 labels of open calibration rounds 2 (6), 4 (2): a round's labels stay"
        " blind until they close (calibrate close 2 / 4)"
    )
