"""Deciding's reads keep their plans on a database never ANALYZEd: ranges and seeks, no stray scans.

Every statement store/decide.py runs while building a table and answering
"which prompts, versions, rubrics" is recorded, then SQLite is asked for its
plan. Labels are read by label_state's primary key range (it holds the score),
tags and comments by a seek per item and per label id, and the items by a
range of the covering index items_by_prompt (as migration m011 rebuilt it;
tests/store/test_decide_table.py checks the hashed and unhashed paths agree).
"""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.store.test_decide_table import PROMPT, insert_items, random_labels, rubrics
from tui_annotate.store import decide
from tui_annotate.store.repository import Repository


@pytest.fixture
def statements(repo: Repository, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    insert_items(repo)
    random_labels(repo, 7)
    seen: list[str] = []
    repo.conn.set_trace_callback(seen.append)
    try:
        repo.prompt_table(PROMPT, rubrics())
        repo.decide_prompts()
        repo.rubrics_labelled(PROMPT)
        repo.golden_digest_rows(["faithfulness", "toxicity"])
        # The prompt a small share of the items: its items come through items_by_prompt.
        repo.prompt_table("another", rubrics())
    finally:
        repo.conn.set_trace_callback(None)
    return [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def plan(conn: sqlite3.Connection, sql: str) -> list[str]:
    return [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql)]


def test_no_statement_scans_labels_or_label_state(repo: Repository, statements: list[str]) -> None:
    assert len(statements) > 10
    for sql in statements:
        for step in plan(repo.conn, sql):
            assert not re.match(r"SCAN (labels|label_state|l|s)\b", step), (step, sql)
            if re.match(r"SCAN (items_all|i)\b", step):
                assert "NOT INDEXED" in sql, (step, sql)


def test_labels_are_read_by_primary_key_ranges(repo: Repository, statements: list[str]) -> None:
    reads = [s for s in statements if "FROM label_state AS s NOT INDEXED" in s]
    assert reads, "prompt_table read label_state"
    for sql in reads:
        # The pending-range test (clauses.shown) reads import_state's one row.
        steps = [s for s in plan(repo.conn, sql) if "import_state" not in s and "SUBQUERY" not in s]
        assert steps and all(
            re.match(r"SEARCH s USING PRIMARY KEY \(rubric=\? AND annotator[<>]", s) for s in steps
        ), steps


def test_notes_seek_by_item_then_by_label_id(repo: Repository, statements: list[str]) -> None:
    notes = [s for s in statements if "json_each" in s]
    assert len(notes) >= 2, "tags and comments were read"
    for sql in notes:
        steps = plan(repo.conn, sql)
        assert re.match(r"SCAN j VIRTUAL TABLE", steps[0]), steps
        # `labels` is a view over labels_all (m008): its pending-range test reads
        # import_state's one row.
        for step in [s for s in steps[1:] if "import_state" not in s and "SUBQUERY" not in s]:
            assert re.match(
                r"SEARCH (s USING COVERING INDEX label_state_human \(rubric=\? AND item_id=\?\)"
                r"|(l|labels_all) USING INTEGER PRIMARY KEY \(rowid=\?\))",
                step,
            ), steps


def test_items_are_read_from_the_covering_index(repo: Repository, statements: list[str]) -> None:
    """The prompt's items: one range of items_by_prompt, never a row's own pages; the rows
    written without a case hash (these, through the view) by the same range, then their row."""
    items = [s for s in statements if "group_concat(id)" in s and "items_all" in s]
    # PROMPT and "another"; each read again with stand-ins for the missing hashes.
    assert len(items) == 4
    for sql in items:
        steps = plan(repo.conn, sql)
        assert re.fullmatch(
            r"SEARCH items_all USING COVERING INDEX items_by_prompt \(prompt=\?( AND id<\?)?\)",
            steps[0],
        ), steps
    unhashed = [s for s in statements if "case_hash IS NULL" in s]
    assert unhashed
    for sql in unhashed:
        assert plan(repo.conn, sql)[0].startswith("SEARCH items_all USING INDEX items_by_prompt")
    assert decide.PARALLEL_FROM > 1000  # the small test database stays on one connection


def test_rubrics_labelled_seeks_labels_per_item(repo: Repository, statements: list[str]) -> None:
    asked = [s for s in statements if s.lstrip().startswith("SELECT EXISTS")]
    assert asked
    outer = "SEARCH i USING COVERING INDEX items_by_prompt (prompt=?)"
    inner = "SEARCH s USING INDEX label_state_by_item (rubric=? AND item_id=?)"
    for sql in asked:
        steps = plan(repo.conn, sql)
        assert inner in steps and outer in steps, steps
        assert steps.index(outer) < steps.index(inner), steps
