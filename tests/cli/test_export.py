"""`tui-annotate export`: one row per humanly labeled item, the median score and a PASS/FAIL verdict."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import bad, ok, write_jsonl
from tests.conftest import load_shipped
from tui_annotate.core import snapshot
from tui_annotate.core.models import EventKind
from tui_annotate.core.session import AnnotationSession
from tui_annotate.store.repository import Repository

REQUIRED = (
    "item_id",
    "input",
    "output",
    "prompt",
    "prompt_version",
    "score",
    "verdict",
    "n_labels",
    "annotators",
    "tags",
    "comments",
)

TRICKY_OUTPUT = 'He said "hi", then:\nline two; with a semicolon\r\nand a tab\there'

ITEMS = [
    {
        "id": "a",
        "input": "Where is NW-1?",
        "output": TRICKY_OUTPUT,
        "prompt": "support",
        "prompt_version": "1.0.0",
    },
    {
        "id": "b",
        "input": "Refund?",
        "output": "Tomorrow.",
        "prompt": "support",
        "prompt_version": "1.0.0",
    },
    {
        "id": "c",
        "input": "Tracking?",
        "output": "1Z999",
        "prompt": "support",
        "prompt_version": "1.1.0",
    },
    {
        "id": "d",
        "input": "Retracted",
        "output": "undone",
        "prompt": "support",
        "prompt_version": "1.1.0",
    },
    {
        "id": "e",
        "input": "Judge only",
        "output": "judged",
        "prompt": "support",
        "prompt_version": "1.1.0",
    },
    {
        "id": "f",
        "input": "Corrected",
        "output": "re-rated",
        "prompt": "support",
        "prompt_version": "1.1.0",
    },
    {
        "id": "g",
        "input": "Unlabeled",
        "output": "nobody",
        "prompt": "support",
        "prompt_version": "1.1.0",
    },
    {
        "id": "h",
        "input": "Partly undone",
        "output": "two left",
        "prompt": "other",
        "prompt_version": "2.0.0",
    },
]

# item: (score, verdict, annotators, tags, comments) as export must resolve them
EXPECTED: dict[str, tuple[int, str, list[str], list[str], list[str]]] = {
    "a": (
        4,
        "PASS",
        ["ana", "bob", "cy"],
        ["hallucinated-fact", "wrong-number"],
        ["ana: off by one; see data", "cy: too vague"],
    ),  # median of 5, 4, 2
    "b": (3, "FAIL", ["ana", "bob"], [], []),  # median of 4 and 3: ties go to the lower
    "c": (2, "FAIL", ["ana"], [], []),  # the judge's 5 does not count
    "f": (5, "PASS", ["ana"], [], []),  # ana's correction replaces her 1
    "h": (4, "PASS", ["bob", "cy"], [], []),  # ana's retracted 1 does not count
}


@pytest.fixture
def labeled(cli, tmp_path: Path, db_path: Path) -> None:
    write_jsonl(tmp_path / "items.jsonl", ITEMS)
    ok(cli("import", "items.jsonl"))
    rubric = load_shipped("faithfulness")
    with Repository.open(db_path) as repo:
        snapshot.register(repo, rubric)
        ids = repo.item_ids_by_external([i["id"] for i in ITEMS])

        def label(
            item: str,
            annotator: str,
            score: int | None = None,
            *,
            kind: EventKind = "rate",
            tags: tuple[str, ...] = (),
            comment: str = "",
        ) -> None:
            repo.append_event(
                item_id=ids[item],
                rubric="faithfulness",
                rubric_version=rubric.version,
                annotator=annotator,
                kind=kind,
                score=score,
                tags=tags,
                comment=comment,
            )

        label("a", "ana", 5, tags=("wrong-number",), comment="off by one; see data")
        label("a", "bob", 4, tags=("hallucinated-fact", "wrong-number"))
        label("a", "cy", 2, comment="too vague")
        label("b", "ana", 4)
        label("b", "bob", 3)
        label("c", "ana", 2)
        label("c", "judge:m", 5)
        label("d", "ana", 5)
        label("d", "ana", kind="retract")
        label("e", "judge:m", 5)
        label("f", "ana", 1)
        label("f", "ana", 5)
        label("h", "ana", 1)
        label("h", "ana", kind="retract")
        label("h", "bob", 4)
        label("h", "cy", 5)
        # Another rubric's labels stay out of a faithfulness export.
        helpfulness = load_shipped("helpfulness")
        snapshot.register(repo, helpfulness)
        repo.append_event(
            item_id=ids["g"],
            rubric="helpfulness",
            rubric_version=helpfulness.version,
            annotator="ana",
            kind="rate",
            score=5,
        )


def parse(text: str, fmt: str) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """(columns, rows by item_id) with lists and numbers normalised across formats."""
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        records: list[dict[str, Any]] = []
        for r in reader:
            records.append(
                {
                    **r,
                    "score": int(r["score"]),
                    "n_labels": int(r["n_labels"]),
                    "annotators": [a for a in r["annotators"].split(";") if a],
                    "tags": [t for t in r["tags"].split(";") if t],
                    "comments": [c for c in r["comments"].split("\n") if c],
                }
            )
        columns = list(reader.fieldnames or [])
    else:
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
        columns = list(records[0]) if records else []
    rows = {r["item_id"]: r for r in records}
    assert len(rows) == len(records), "an item appears twice"
    return columns, rows


def check_export(columns: list[str], rows: dict[str, dict[str, Any]]) -> None:
    assert set(REQUIRED) <= set(columns), columns
    assert set(rows) == set(EXPECTED), (
        "judge-only, retracted, unlabeled and other-rubric items are absent"
    )
    by_id = {i["id"]: i for i in ITEMS}
    for item_id, (score, verdict, annotators, tags, comments) in EXPECTED.items():
        row = rows[item_id]
        assert row["score"] == score, item_id
        assert row["verdict"] == verdict, item_id
        assert row["n_labels"] == len(annotators), item_id
        assert sorted(row["annotators"]) == annotators, item_id
        assert sorted(row["tags"]) == tags, item_id
        assert sorted(row["comments"]) == comments, item_id
        for field in ("input", "output", "prompt", "prompt_version"):
            assert row[field] == by_id[item_id][field], (item_id, field)
    assert not any(a.startswith("judge:") for row in rows.values() for a in row["annotators"])


OUTPUTS = {
    # case: (flags, file written or None for stdout, format expected)
    "stdout-csv-by-default": ([], None, "csv"),
    "stdout-jsonl": (["--format", "jsonl"], None, "jsonl"),
    "file-jsonl-from-extension": (["-o", "out.jsonl"], "out.jsonl", "jsonl"),
    "file-csv-from-extension": (["-o", "out.csv"], "out.csv", "csv"),
    "format-flag-beats-extension": (["-o", "out.txt", "--format", "jsonl"], "out.txt", "jsonl"),
}


@pytest.mark.usefixtures("labeled")
@pytest.mark.parametrize("case", list(OUTPUTS))
def test_export_resolves_labels(case: str, cli, tmp_path: Path) -> None:
    flags, file, fmt = OUTPUTS[case]
    result = ok(cli("export", "--rubric", "faithfulness", *flags))
    # Raw bytes: Result.stdout and read_text() would turn the CRLF inside a quoted field into LF.
    if file is None:
        text = result.stdout_bytes.decode("utf-8")
    else:
        assert "item_id" not in result.stdout, "with -o nothing but messages goes to stdout"
        text = (tmp_path / file).read_bytes().decode("utf-8")
        assert not list(tmp_path.glob("*.part")), "the temporary file was left behind"
    if fmt == "jsonl":
        assert text.lstrip().startswith("{"), text[:80]
    else:
        assert text.startswith("item_id,") or text.split("\n", 1)[0].count(",") >= 10, text[:80]
    columns, rows = parse(text, fmt)
    check_export(columns, rows)


@pytest.mark.usefixtures("labeled")
def test_csv_export_keeps_tricky_text_exact(cli, tmp_path: Path) -> None:
    ok(cli("export", "--rubric", "faithfulness", "-o", "out.csv"))
    raw = (tmp_path / "out.csv").read_bytes()
    _, rows = parse(raw.decode("utf-8"), "csv")
    assert rows["a"]["output"] == TRICKY_OUTPUT  # quotes, commas, LF, CRLF and a tab intact


@pytest.mark.usefixtures("labeled")
def test_export_overwrites_an_existing_file(cli, tmp_path: Path) -> None:
    (tmp_path / "out.jsonl").write_text("stale\n" * 100, encoding="utf-8")
    ok(cli("export", "--rubric", "faithfulness", "-o", "out.jsonl"))
    check_export(*parse((tmp_path / "out.jsonl").read_bytes().decode("utf-8"), "jsonl"))


def test_export_from_annotation_sessions_with_overlap(cli, db_path: Path, tmp_path: Path) -> None:
    """Three people through the real queue with overlap 3: each item they share gets all three labels."""
    write_jsonl(tmp_path / "items.jsonl", ITEMS[:3])
    ok(cli("import", "items.jsonl"))
    rubric = load_shipped("faithfulness")
    scores = {"ana": 5, "bob": 4, "cy": 1}
    with Repository.open(db_path) as repo:
        snapshot.register(repo, rubric)
        for name, score in scores.items():
            session = AnnotationSession(repo, rubric, name, overlap=3)
            session.start()
            while not session.done:
                session.rate(score)
    _, rows = parse(
        ok(cli("export", "--rubric", "faithfulness", "--format", "jsonl")).stdout, "jsonl"
    )
    assert set(rows) == {"a", "b", "c"}
    for row in rows.values():
        assert row["n_labels"] == 3
        assert sorted(row["annotators"]) == ["ana", "bob", "cy"]
        assert (row["score"], row["verdict"]) == (4, "PASS")


def test_export_with_no_labels_is_just_the_header(cli, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "items.jsonl", ITEMS)
    ok(cli("import", "items.jsonl"))
    out = ok(cli("export", "--rubric", "faithfulness")).stdout
    lines = out.splitlines()
    assert len(lines) == 1
    assert set(REQUIRED) <= set(lines[0].split(","))


@pytest.mark.usefixtures("labeled")
def test_export_unknown_rubric(cli, tmp_path: Path) -> None:
    result = bad(cli("export", "--rubric", "nope", "-o", "out.csv"))
    assert "nope" in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_export_without_a_database(cli, db_path: Path) -> None:
    result = bad(cli("export", "--rubric", "faithfulness"))
    assert db_path.name in result.stderr
    assert not db_path.exists()


@pytest.mark.usefixtures("labeled")
def test_export_into_a_missing_directory_is_bad_input(cli, tmp_path: Path) -> None:
    result = bad(cli("export", "--rubric", "faithfulness", "-o", "no/such/dir/out.csv"))
    assert "no/such/dir" in result.stderr
