"""The large-file path of import: parsing in a second process gives the same result as inline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui_annotate.core import ingest
from tui_annotate.errors import ManyInputErrors
from tui_annotate.store.repository import Repository

PARSE = ingest.parse_jsonl_lines


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def good(n: int) -> str:
    return json.dumps(
        {"id": f"p{n}", "input": f"q{n}", "output": f"answer {n}", "context": {"n": n}}
    )


def not_here(*args: object, **kwargs: object) -> None:
    raise AssertionError("parsed in this process: the parsing process was not used")


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file counts as large, in chunks of a few lines: the spawned-process path.

    This process's parse_jsonl_lines is replaced by one that fails, so a silent
    fall-back to parsing here (a dead worker) fails the test; the spawned worker
    imports the module afresh and has the real one.
    """
    monkeypatch.setattr(ingest, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(ingest, "CHUNK_LINES", 1)  # readlines(512) → a few lines per chunk
    monkeypatch.setattr(ingest, "parse_jsonl_lines", not_here)


def test_parallel_import_matches_inline(parallel: None, tmp_path: Path) -> None:
    path = write(tmp_path / "items.jsonl", [good(n) for n in range(300)])
    with Repository.open(tmp_path / "par.db") as repo:
        result = ingest.import_items(repo, path)
        par = [(i.external_id, i.output, i.context) for i in map(repo.get_item, range(1, 301))]
    assert (result.read, result.inserted) == (300, 300)
    with Repository.open(tmp_path / "inline.db") as repo:
        ingest.PARALLEL_BYTES = 1 << 40  # restored by monkeypatch afterwards
        ingest.parse_jsonl_lines = PARSE  # type: ignore[assignment]
        ingest.import_items(repo, path)
        inline = [(i.external_id, i.output, i.context) for i in map(repo.get_item, range(1, 301))]
    assert par == inline


def test_parallel_import_reports_bad_lines_by_number_and_imports_nothing(
    parallel: None, tmp_path: Path
) -> None:
    lines = [good(n) for n in range(200)]
    lines[120] = "{not json"
    lines[170] = json.dumps({"id": "x", "input": "no output"})
    path = write(tmp_path / "items.jsonl", lines)
    with Repository.open(tmp_path / "a.db") as repo:
        with pytest.raises(ManyInputErrors) as info:
            ingest.import_items(repo, path)
        assert [(e.line, e.field) for e in info.value.errors] == [(121, None), (171, "output")]
        assert repo.count_items() == 0
        skipped = ingest.import_items(repo, path, skip_invalid=True)
        assert (skipped.inserted, len(skipped.invalid)) == (198, 2)
