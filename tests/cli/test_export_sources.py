"""`export --include-judge` and `label_source`: golden beats human consensus beats the judge, row for row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Run, bad, ok, write_jsonl
from tests.conftest import load_shipped
from tui_annotate.core import export, snapshot
from tui_annotate.core.models import EventKind
from tui_annotate.store.repository import Repository

ITEMS = [{"id": name, "input": f"in {name}", "output": f"out {name}"} for name in "abcdefgh"]


@pytest.fixture
def sources(cli: Run, tmp_path: Path, db_path: Path) -> None:
    write_jsonl(tmp_path / "items.jsonl", ITEMS)
    ok(cli("import", "items.jsonl"))
    rubric = load_shipped("faithfulness")
    with Repository.open(db_path) as repo:
        snapshot.register(repo, rubric)
        ids = repo.item_ids_by_external("abcdefgh")

        def label(
            item: str, who: str, score: int | None, kind: EventKind = "rate", **kw: Any
        ) -> None:
            repo.append_event(
                item_id=ids[item],
                rubric="faithfulness",
                rubric_version="1.0.0",
                annotator=who,
                kind=kind,
                score=score,
                **kw,
            )

        def gold(item: str, score: int, note: str = "") -> None:
            repo.rounds.add_golden(
                item_id=ids[item],
                rubric="faithfulness",
                rubric_version="1.0.0",
                score=score,
                note=note,
                adjudicator="lead",
                round_id=None,
            )

        # a: golden beats two humans and a judge.
        label("a", "ana", 5, tags=("wrong-number",))
        label("a", "bob", 4)
        label("a", "judge:m", 1)
        gold("a", 2, "the date is wrong")
        # b: humans beat the judge; the low median of 4 and 3.
        label("b", "ana", 4, comment="fine")
        label("b", "bob", 3)
        label("b", "judge:m", 5)
        # c: the judge alone: its score, verdict, tags and rationale.
        label("c", "judge:m", 5, tags=("ignores-data",), comment="matches the data")
        # d: two judges: the later judgement wins, whichever model name sorts first.
        label("d", "judge:z", 2)
        label("d", "judge:a", 4)
        # e: golden alone, no labels at all.
        gold("e", 1)
        # f: nothing.  g: a retracted human label leaves the judge.
        label("g", "ana", 5)
        label("g", "ana", None, kind="retract")
        label("g", "judge:m", 1)
        # h: golden twice: the latest counts.
        label("h", "cy", 1)
        gold("h", 1)
        gold("h", 5, "on second thought")


COLUMNS = ("score", "verdict", "n_labels", "annotators", "tags", "comments", "label_source")
GOLDEN_A = (2, "FAIL", 1, ["lead"], [], ["lead: the date is wrong"], "golden")
HUMAN_B = (3, "FAIL", 2, ["ana", "bob"], [], ["ana: fine"], "human")
JUDGE_C = (5, "PASS", 1, ["judge:m"], ["ignores-data"], ["judge:m: matches the data"], "judge")
JUDGE_D = (4, "PASS", 1, ["judge:a"], [], [], "judge")
GOLDEN_E = (1, "FAIL", 1, ["lead"], [], [], "golden")
JUDGE_G = (1, "FAIL", 1, ["judge:m"], [], [], "judge")
GOLDEN_H = (5, "PASS", 1, ["lead"], [], ["lead: on second thought"], "golden")

WITHOUT_JUDGE = {"a": GOLDEN_A, "b": HUMAN_B, "e": GOLDEN_E, "h": GOLDEN_H}
WITH_JUDGE = {**WITHOUT_JUDGE, "c": JUDGE_C, "d": JUDGE_D, "g": JUDGE_G}


def exported(cli: Run, *flags: str) -> dict[str, tuple[Any, ...]]:
    out = ok(cli("export", "--rubric", "faithfulness", "--format", "jsonl", *flags)).stdout
    records = [json.loads(line) for line in out.splitlines()]
    assert all(list(r) == list(export.COLUMNS) for r in records), "label_source comes last"
    assert [r["item_id"] for r in records] == sorted(r["item_id"] for r in records), "item order"
    return {r["item_id"]: tuple(r[c] for c in COLUMNS) for r in records}


@pytest.mark.usefixtures("sources")
def test_golden_then_humans_without_the_judge(cli: Run) -> None:
    assert exported(cli) == WITHOUT_JUDGE


@pytest.mark.usefixtures("sources")
def test_include_judge_adds_the_judge_only_items(cli: Run) -> None:
    assert exported(cli, "--include-judge") == WITH_JUDGE


@pytest.mark.usefixtures("sources")
def test_csv_has_label_source_last(cli: Run) -> None:
    lines = ok(cli("export", "--rubric", "faithfulness", "--include-judge")).stdout.splitlines()
    assert lines[0] == ",".join(export.COLUMNS)
    assert lines[0].endswith(",comments,label_source")
    sources = {line.split(",", 1)[0]: line.rsplit(",", 1)[1] for line in lines[1:]}
    assert sources == {k: v[-1] for k, v in WITH_JUDGE.items()}


@pytest.mark.usefixtures("sources")
def test_golden_export_is_unchanged_and_refuses_include_judge(cli: Run) -> None:
    golden = exported(cli, "--golden")
    assert golden == {"a": GOLDEN_A, "e": GOLDEN_E, "h": GOLDEN_H}
    result = bad(cli("export", "--rubric", "faithfulness", "--golden", "--include-judge"))
    assert "--include-judge" in result.stderr


@pytest.mark.usefixtures("sources")
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_two_processes_write_the_same_export_as_one(
    cli: Run, fmt: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Large exports split the items between two processes; the file must not show it."""
    from tui_annotate.cli import export_parts

    args = ("export", "--rubric", "faithfulness", "--include-judge", "--format", fmt)
    one = ok(cli(*args)).stdout_bytes
    ok(cli(*args, "-o", "one.out"))
    monkeypatch.setattr(export_parts, "PARALLEL_FROM", 0)
    monkeypatch.setattr(export_parts.os, "cpu_count", lambda: 2)
    two = ok(cli(*args)).stdout_bytes
    assert two == one
    ok(cli(*args, "-o", "two.out"))
    assert (tmp_path / "two.out").read_bytes() == (tmp_path / "one.out").read_bytes()
    assert len(one.splitlines()) == len(WITH_JUDGE) + (fmt == "csv")
