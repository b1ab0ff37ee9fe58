"""Crafted JSON and CSV in `import` and `import-labels`: exit 2 naming file, line and field, database unchanged.

Each of these was a traceback (RecursionError, UnicodeEncodeError, ValueError)
or stored invalid JSON; a lone surrogate in `import-labels` committed a
rubrics row before crashing.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.conftest import Run, bad, ok, write_jsonl
from tests.conftest import SAMPLE
from tui_annotate.core import ingest
from tui_annotate.core.jsonsafe import MAX_DEPTH
from tui_annotate.errors import ManyInputErrors
from tui_annotate.store.repository import Repository

GOOD = '{"id": "g1", "output": "a good answer"}'
DEEP = "[" * 1000 + "]" * 1000


def dump_hash(db: Path) -> str:
    """The database's content, whatever pages SQLite happens to have written."""
    conn = sqlite3.connect(db)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode("utf-8")).hexdigest()
    finally:
        conn.close()


@pytest.fixture
def project(cli: Run, db_path: Path) -> Path:
    ok(cli("import", str(SAMPLE)))
    return db_path


#: (second line of a JSONL file, the field the message must name, words it must hold)
BAD_LINES = {
    "deep-metadata": (
        '{"output": "x", "metadata": {"a": ' + DEEP + "}}",
        "metadata",
        f"more than {MAX_DEPTH} levels",
    ),
    "deep-context": ('{"output": "x", "context": ' + DEEP + "}", "context", "levels deep"),
    "deep-line": ("[" * 100_000, None, "levels deep"),
    "surrogate-output": ('{"output": "\\ud800"}', "output", "lone surrogate"),
    "surrogate-input": ('{"output": "x", "input": "ok \\udfff"}', "input", "lone surrogate"),
    "surrogate-in-metadata-key": (
        '{"output": "x", "metadata": {"\\udc00": 1}}',
        "metadata",
        "lone surrogate",
    ),
    "nan": ('{"output": "x", "metadata": {"m": NaN}}', "metadata", "NaN"),
    "infinity": ('{"output": "x", "metadata": {"m": [1, Infinity]}}', "metadata", "Infinity"),
    "minus-infinity": ('{"output": "x", "metadata": {"m": -Infinity}}', "metadata", "-Infinity"),
    "overflow": ('{"output": "x", "metadata": {"m": 1e999}}', "metadata", "too large"),
    "overflow-id": ('{"output": "x", "id": 2e400}', "id", "too large"),
    "huge-integer": (
        '{"output": "x", "metadata": {"m": ' + "9" * 5000 + "}}",
        None,
        "4,300 digits",
    ),
    "nul": ('{"output": "a\\u0000b"}', "output", "NUL"),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_import_refuses_crafted_json_naming_line_and_field(
    cli: Run, project: Path, tmp_path: Path, case: str
) -> None:
    line, field, words = BAD_LINES[case]
    path = tmp_path / "crafted.jsonl"
    path.write_text(f"{GOOD}\n{line}\n", encoding="utf-8")
    before = dump_hash(project)
    message = bad(cli("import", str(path))).stderr
    assert "crafted.jsonl:2: " in message, message
    if field is not None:
        assert f"field '{field}'" in message, message
    assert words in message, message
    assert dump_hash(project) == before


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_import_skip_invalid_lists_crafted_lines_and_imports_the_rest(
    cli: Run, project: Path, tmp_path: Path, case: str
) -> None:
    line, _field, words = BAD_LINES[case]
    path = tmp_path / "crafted.jsonl"
    path.write_text(f"{GOOD}\n{line}\n", encoding="utf-8")
    result = ok(cli("import", "--skip-invalid", "--json", str(path)))
    data = json.loads(result.stdout)
    assert (data["inserted"], len(data["invalid"])) == (1, 1), data
    assert data["invalid"][0].startswith(f"{path}:2: ") and words in data["invalid"][0]
    with Repository.open(project) as repo:
        # Every stored metadata is valid JSON (NaN, Infinity are not).
        for (text,) in repo.conn.execute("SELECT metadata FROM items"):
            json.loads(text, parse_constant=lambda name: pytest.fail(f"stored {name}"))


def test_the_parsing_processes_report_crafted_lines_as_parse_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A large file is parsed in spawned processes: their errors come back like any bad line."""
    monkeypatch.setattr(ingest, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(ingest, "CHUNK_LINES", 1)
    lines = [json.dumps({"id": f"p{n}", "output": f"answer {n}"}) for n in range(60)]
    lines[10] = BAD_LINES["deep-metadata"][0]
    lines[40] = BAD_LINES["surrogate-output"][0]
    lines[50] = BAD_LINES["nan"][0]
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def not_here(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed in this process, not in the parsing process")

    monkeypatch.setattr(ingest, "parse_jsonl_lines", not_here)
    with Repository.open(tmp_path / "a.db") as repo:
        with pytest.raises(ManyInputErrors) as info:
            ingest.import_items(repo, path)
        assert [(e.line, e.field) for e in info.value.errors] == [
            (11, "metadata"),
            (41, "output"),
            (51, "metadata"),
        ]
        assert repo.count_items() == 0


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ('"{""m"": NaN}"', "NaN"),
        ('"{""m"": 1e999}"', "too large"),
        ('"{""m"": ""\\ud800""}"', "lone surrogate"),
        ('"{""m"": ' + DEEP + '}"', "levels deep"),
    ],
    ids=["nan", "overflow", "surrogate", "deep"],
)
def test_import_csv_metadata_cells_get_the_same_checks(
    cli: Run, project: Path, tmp_path: Path, cell: str, words: str
) -> None:
    path = tmp_path / "crafted.csv"
    path.write_text(f"output,metadata\nfine,{{}}\nx,{cell}\n", encoding="utf-8")
    before = dump_hash(project)
    message = bad(cli("import", str(path))).stderr
    assert "crafted.csv:3: field 'metadata'" in message and words in message, message
    assert dump_hash(project) == before


def test_import_csv_refuses_a_nul_byte_past_the_binary_check(
    cli: Run, project: Path, tmp_path: Path
) -> None:
    """The first 8 KB are checked for binary files; a NUL further on is a field's fault."""
    filler = "".join(f"filler {n},\n" for n in range(2000))
    path = tmp_path / "nul.csv"
    path.write_bytes(f"output,input\n{filler}a\x00b,q\n".encode())
    before = dump_hash(project)
    message = bad(cli("import", str(path))).stderr
    assert "nul.csv:2002: field 'output'" in message and "NUL" in message, message
    assert dump_hash(project) == before


def test_import_csv_huge_field_from_an_open_quote_is_a_line_error(
    cli: Run, project: Path, tmp_path: Path
) -> None:
    """An unclosed quote swallows the rest of the file into one field: a bad line, no crash."""
    path = tmp_path / "quote.csv"
    rest = "".join(f"item {n},ctx\n" for n in range(50_000))
    path.write_text(f'output,context\nfine,ok\n"open,{rest}', encoding="utf-8")
    before = dump_hash(project)
    message = bad(cli("import", str(path))).stderr
    assert "quote.csv:3" in message, message
    assert dump_hash(project) == before


# -- import-labels ------------------------------------------------------------------


def label(**fields: object) -> dict[str, object]:
    return {"item_id": "nw-001", "annotator": "ext1", "score": 4, **fields}


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        (json.dumps(label(comment="x")).replace('"x"', DEEP), "comment", "levels deep"),
        (json.dumps(label(comment="x")).replace('"x"', '"\\ud800"'), "comment", "lone surrogate"),
        (json.dumps(label(tags=["x"])).replace('"x"', '"\\udfff"'), "tags", "lone surrogate"),
        (json.dumps(label()).replace("4}", "NaN}"), "score", "NaN"),
        (json.dumps(label()).replace("4}", "1e999}"), "score", "finite"),
        (json.dumps(label(comment="a\u0000b")), "comment", "NUL"),
        (json.dumps(label(item_id={"a": 1})), "item_id", "must be a string, not an object"),
        (json.dumps(label(annotator=["ana"])), "annotator", "must be a string, not an array"),
    ],
    ids=[
        "deep",
        "surrogate-comment",
        "surrogate-tag",
        "nan",
        "overflow",
        "nul",
        "id-object",
        "annotator-array",
    ],
)
def test_import_labels_refuses_crafted_json_and_changes_nothing(
    cli: Run, project: Path, tmp_path: Path, line: str, field: str, words: str
) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps(label(annotator="ext2")) + "\n" + line + "\n", encoding="utf-8")
    before = dump_hash(project)
    message = bad(cli("import-labels", str(path), "--rubric", "faithfulness")).stderr
    assert f"labels.jsonl:2: field '{field}'" in message and words in message, message
    # Before, a lone surrogate committed the rubric's snapshot row, then crashed.
    assert dump_hash(project) == before


@pytest.mark.parametrize("score", ["nan", "inf", "-Infinity"])
def test_import_labels_csv_refuses_scores_that_are_not_finite(
    cli: Run, project: Path, tmp_path: Path, score: str
) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(f"item_id,annotator,score\nnw-001,ext1,4\nnw-002,ext1,{score}\n", "utf-8")
    before = dump_hash(project)
    message = bad(cli("import-labels", str(path), "--rubric", "faithfulness")).stderr
    assert "labels.csv:3: field 'score'" in message and "finite" in message, message
    assert dump_hash(project) == before


def test_agreement_file_refuses_a_nan_score(cli: Run, tmp_path: Path) -> None:
    """The same reader feeds agreement --file: a NaN would have gone into the maths."""
    rows = [label(), label(annotator="ext2"), label(annotator="ext2", item_id="nw-002")]
    path = write_jsonl(tmp_path / "l.jsonl", rows)
    path.write_text(path.read_text("utf-8").replace('"score": 4}\n', '"score": NaN}\n', 1), "utf-8")
    message = bad(cli("agreement", "--file", str(path))).stderr
    assert "l.jsonl:1: field 'score'" in message and "NaN" in message, message


def test_import_labels_csv_takes_a_comment_past_the_csv_modules_field_limit(
    cli: Run, project: Path, tmp_path: Path
) -> None:
    """A 200 KB comment raised csv.Error (the module's 128 KiB cap) as a traceback."""
    path = tmp_path / "labels.csv"
    path.write_text(f'item_id,annotator,score,comment\nnw-001,ext1,4,"{"a" * 200_000}"\n', "utf-8")
    ok(cli("import-labels", str(path), "--rubric", "faithfulness"))
    with Repository.open(project) as repo:
        [only] = repo.current_labels("faithfulness")
        assert len(only.comment) == 200_000
