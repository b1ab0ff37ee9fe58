"""Importing items from JSONL and CSV: every field, dedup, chat format, and all-or-nothing errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from tui_annotate.core import ingest, ingest_csv
from tui_annotate.core.models import Item
from tui_annotate.core.textsafe import readable_json
from tui_annotate.errors import InputError, ManyInputErrors
from tui_annotate.store.repository import Repository


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def item(repo: Repository, external_id: str) -> Item:
    found = repo.item_ids_by_external([external_id])
    assert external_id in found, f"{external_id} was not imported"
    return repo.get_item(found[external_id])


def all_items(repo: Repository) -> list[Item]:
    ids = [r[0] for r in repo.conn.execute("SELECT id FROM items ORDER BY id")]
    return [repo.get_item(i) for i in ids]


def errors_of(exc: BaseException) -> list[InputError]:
    if isinstance(exc, ManyInputErrors):
        return exc.errors
    assert isinstance(exc, InputError)
    return [exc]


@pytest.fixture
def seeded(repo: Repository, tmp_path: Path) -> Repository:
    """A database that already holds two items, so 'nothing imported' is visible as 'still 2'."""
    ingest.import_items(
        repo,
        write_jsonl(
            tmp_path / "seed.jsonl",
            [
                {"id": "seed-1", "output": "first"},
                {"id": "seed-2", "output": "second"},
            ],
        ),
    )
    assert repo.count_items() == 2
    return repo


# -- good input -------------------------------------------------------------------------------


def test_jsonl_all_fields(repo: Repository, tmp_path: Path) -> None:
    record = {
        "id": "q-17",
        "input": "Where is my order?",
        "output": "It shipped on June 10.",
        "context": "order NW-1: shipped 2024-06-10",
        "prompt": "support-answer",
        "prompt_version": "2.1.0",
        "source": "live",
        "metadata": {"locale": "de-DE", "n": 3},
    }
    result = ingest.import_items(repo, write_jsonl(tmp_path / "items.jsonl", [record]))
    assert (result.read, result.inserted, result.duplicates, result.invalid) == (1, 1, 0, ())
    got = item(repo, "q-17")
    assert got.input == "Where is my order?"
    assert got.output == "It shipped on June 10."
    assert got.context == "order NW-1: shipped 2024-06-10"
    assert got.prompt == "support-answer"
    assert got.prompt_version == "2.1.0"
    assert got.source == "live"
    assert got.metadata == {"locale": "de-DE", "n": 3}


def test_only_output_is_required(repo: Repository, tmp_path: Path) -> None:
    ingest.import_items(repo, write_jsonl(tmp_path / "items.jsonl", [{"id": "a", "output": "x"}]))
    got = item(repo, "a")
    assert (got.input, got.context, got.prompt, got.prompt_version) == ("", "", "", "")
    assert got.source == "batch"
    assert got.metadata == {}


def test_generated_ids_are_stable_and_prefixed(tmp_path: Path) -> None:
    records = [{"output": "alpha"}, {"output": "beta", "input": "q"}]
    path = write_jsonl(tmp_path / "items.jsonl", records)
    ids = []
    for name in ("one.db", "two.db"):
        with Repository.open(tmp_path / name) as r:
            ingest.import_items(r, path)
            ids.append([i.external_id for i in all_items(r)])
    assert ids[0] == ids[1]
    assert len(set(ids[0])) == 2
    assert all(i.startswith("h") and len(i) > 8 for i in ids[0])


def test_reimport_is_a_no_op(repo: Repository, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "items.jsonl", [{"output": f"answer {n}"} for n in range(7)])
    first = ingest.import_items(repo, path)
    assert (first.read, first.inserted, first.duplicates) == (7, 7, 0)
    again = ingest.import_items(repo, path)
    assert (again.read, again.inserted, again.duplicates) == (7, 0, 7)
    assert repo.count_items() == 7


def test_dedup_is_by_content_not_id(repo: Repository, tmp_path: Path) -> None:
    ingest.import_items(repo, write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "output": "same"}]))
    result = ingest.import_items(
        repo, write_jsonl(tmp_path / "b.jsonl", [{"id": "b", "output": "same"}])
    )
    assert (result.inserted, result.duplicates) == (0, 1)
    assert [i.external_id for i in all_items(repo)] == ["a"]


def test_same_id_different_content_in_one_file(repo: Repository, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "items.jsonl",
        [
            {"id": "a", "output": "one"},
            {"id": "b", "output": "two"},
            {"id": "a", "output": "three"},
        ],
    )
    with pytest.raises(ManyInputErrors) as info:
        ingest.import_items(repo, path)
    [error] = info.value.errors
    assert (error.file, error.line, error.field) == (str(path), 3, "id")
    assert f"{path}:3: field 'id'" in str(info.value)
    assert repo.count_items() == 0


def test_same_id_as_an_item_in_the_db(seeded: Repository, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "items.jsonl",
        [
            {"id": "new-1", "output": "fresh"},
            {"id": "seed-2", "output": "not the second"},
        ],
    )
    before = [(i.external_id, i.output) for i in all_items(seeded)]
    with pytest.raises(InputError) as info:
        ingest.import_items(seeded, path)
    [error] = errors_of(info.value)
    assert (error.file, error.line, error.field) == (str(path), 2, "id")
    assert "seed-2" in error.reason
    assert [(i.external_id, i.output) for i in all_items(seeded)] == before


def test_openai_chat_messages(repo: Repository, tmp_path: Path) -> None:
    record = {
        "id": "chat-1",
        "messages": [
            {"role": "system", "content": "You are a support assistant for Northwind."},
            {"role": "user", "content": "Where is order NW-7?"},
            {"role": "assistant", "content": "Let me look that up."},
            {"role": "tool", "content": '{"order": "NW-7", "status": "shipped"}'},
            {"role": "assistant", "content": "Order NW-7 has shipped."},
        ],
    }
    ingest.import_items(repo, write_jsonl(tmp_path / "chat.jsonl", [record]))
    got = item(repo, "chat-1")
    assert got.output == "Order NW-7 has shipped."
    assert got.context == '{"order": "NW-7", "status": "shipped"}'
    assert "You are a support assistant" in got.input
    assert "Where is order NW-7?" in got.input
    assert got.input.index("support assistant") < got.input.index("Where is order")
    assert "Let me look that up." in got.input  # an earlier assistant turn is part of the input
    assert 'shipped"}' not in got.input  # tool data goes to context, not input
    assert "has shipped" not in got.input


def test_chat_content_parts(repo: Repository, tmp_path: Path) -> None:
    record = {
        "id": "c",
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}],
            },
            {"role": "assistant", "content": [{"type": "text", "text": "Hello!"}]},
        ],
    }
    ingest.import_items(repo, write_jsonl(tmp_path / "chat.jsonl", [record]))
    got = item(repo, "c")
    assert got.output == "Hello!"
    assert "Hi there" in got.input


def test_chat_without_assistant_is_an_error(repo: Repository, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "chat.jsonl", [{"messages": [{"role": "user", "content": "hi"}]}])
    with pytest.raises(ManyInputErrors) as info:
        ingest.import_items(repo, path)
    [error] = info.value.errors
    assert (error.line, error.field) == (1, "messages")
    assert repo.count_items() == 0


def test_context_object_stored_as_json(repo: Repository, tmp_path: Path) -> None:
    """Stored compact (fast to write); the app indents it for reading (readable_json)."""
    context = {"order_id": "NW-1", "items": [{"sku": "BT-1", "qty": 2}], "note": "größe 10"}
    path = write_jsonl(tmp_path / "items.jsonl", [{"id": "a", "output": "x", "context": context}])
    ingest.import_items(repo, path)
    got = item(repo, "a")
    assert got.context == json.dumps(context, ensure_ascii=False)
    assert json.loads(got.context) == context
    shown = readable_json(got.context)
    assert "\n  " in shown and "größe" in shown and json.loads(shown) == context


def test_defaults_fill_only_missing_fields(repo: Repository, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "items.jsonl",
        [
            {
                "id": "given",
                "output": "a",
                "prompt": "mine",
                "prompt_version": "3.0.0",
                "source": "live",
            },
            {"id": "missing", "output": "b"},
        ],
    )
    ingest.import_items(repo, path, prompt="cli-prompt", prompt_version="1.4.0", source="live")
    given, missing = item(repo, "given"), item(repo, "missing")
    assert (given.prompt, given.prompt_version, given.source) == ("mine", "3.0.0", "live")
    assert (missing.prompt, missing.prompt_version, missing.source) == (
        "cli-prompt",
        "1.4.0",
        "live",
    )


def test_source_default_does_not_override_a_given_source(repo: Repository, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "items.jsonl",
        [
            {"id": "b", "output": "a", "source": "batch"},
            {"id": "n", "output": "b"},
        ],
    )
    ingest.import_items(repo, path, source="live")
    assert item(repo, "b").source == "batch"
    assert item(repo, "n").source == "live"


def test_bad_source_option(repo: Repository, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "items.jsonl", [{"output": "x"}])
    with pytest.raises(InputError, match="source"):
        ingest.import_items(repo, path, source="nightly")
    assert repo.count_items() == 0


def test_jsonl_bom_and_blank_lines(repo: Repository, tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"id": "a", "output": "x"}\r\n\r\n   \n{"id": "b", "output": "y"}\n'
    )
    result = ingest.import_items(repo, path)
    assert result.inserted == 2
    assert item(repo, "b").output == "y"


def test_csv_bom_crlf_and_quoted_newlines(repo: Repository, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"\xef\xbb\xbfid,input,output,context,metadata\r\n"
        b'r1,"Two questions:\nwhere, and when?","It ships ""today"".\nTracking: 1Z9",'
        b'"{""a"": 1}","{""lang"": ""en""}"\r\n'
        b"r2,plain,caf\xc3\xa9 \xe2\x9c\x93,,\r\n"
    )
    result = ingest.import_items(repo, path)
    assert (result.read, result.inserted) == (2, 2)
    r1, r2 = item(repo, "r1"), item(repo, "r2")
    assert r1.input == "Two questions:\nwhere, and when?"
    assert r1.output == 'It ships "today".\nTracking: 1Z9'
    assert r1.context == '{"a": 1}'
    assert r1.metadata == {"lang": "en"}
    assert r2.input == "plain"
    assert r2.output == "café ✓"  # no stray '\r' at the end of a CRLF row
    assert r2.context == ""
    assert r2.metadata == {}


def test_csv_crlf_inside_a_quoted_cell_keeps_both_lines(repo: Repository, tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_bytes(b'id,output\r\nr1,"line one\r\nline two"\r\n')
    ingest.import_items(repo, path)
    assert item(repo, "r1").output.splitlines() == ["line one", "line two"]


def test_format_option_overrides_extension(repo: Repository, tmp_path: Path) -> None:
    path = tmp_path / "items.txt"
    path.write_text("id,output\na,hello\n", "utf-8")
    ingest.import_items(repo, path, fmt="csv")
    assert item(repo, "a").output == "hello"


# -- bad input: nothing imported, and the message says where -----------------------------------

BAD_JSONL: list[tuple[str, bytes, int, str | None, str]] = [
    # (id, file content, bad line, field, phrase)
    ("invalid-json", b'{"output": "ok"}\n{"output": "x",}\n', 2, None, "invalid JSON"),
    ("missing-output", b'{"output": "ok"}\n{"input": "q"}\n', 2, "output", "required"),
    ("null-output", b'{"output": null}\n', 1, "output", "required"),
    ("empty-output", b'{"output": "   "}\n', 1, "output", "empty"),
    ("output-not-string", b'{"output": 42}\n', 1, "output", "must be a string"),
    ("input-not-string", b'{"output": "x", "input": ["a"]}\n', 1, "input", "must be a string"),
    ("metadata-not-object", b'{"output": "x", "metadata": [1, 2]}\n', 1, "metadata", "object"),
    ("metadata-string", b'{"output": "x", "metadata": "{}"}\n', 1, "metadata", "object"),
    ("unknown-field", b'{"output": "x", "colour": "red"}\n', 1, "colour", "unknown field"),
    ("bad-source", b'{"output": "x", "source": "nightly"}\n', 1, "source", "batch"),
    ("not-an-object", b'{"output": "ok"}\n["output", "x"]\n', 2, None, "JSON object"),
    (
        "messages-and-output",
        b'{"output": "x", "messages": [{"role": "assistant", "content": "y"}]}\n',
        1,
        "output",
        "messages",
    ),
    (
        "invalid-utf8-line-3",
        b'{"output": "a"}\n{"output": "b"}\n{"output": "caf\xe9"}\n',
        3,
        None,
        "UTF-8",
    ),
]


@pytest.mark.parametrize(
    ("content", "line", "field", "phrase"),
    [case[1:] for case in BAD_JSONL],
    ids=[case[0] for case in BAD_JSONL],
)
def test_bad_jsonl_line(
    seeded: Repository, tmp_path: Path, content: bytes, line: int, field: str | None, phrase: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises((InputError, ManyInputErrors)) as info:
        ingest.import_items(seeded, path)
    [error] = errors_of(info.value)
    assert error.file == str(path)
    assert error.line == line
    assert error.field == field
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: ")
    if field:
        assert f"field '{field}'" in message
    assert phrase in error.reason
    assert seeded.count_items() == 2


BAD_CSV: list[tuple[str, bytes, int, str | None, str]] = [
    ("unknown-column", b"id,output,score\na,x,4\n", 1, "score", "unknown column"),
    ("missing-output-column", b"id,input\na,q\n", 1, "output", "missing column"),
    ("duplicate-column", b"output,output\nx,y\n", 1, "output", "twice"),
    ("too-many-fields", b"id,output\na,x\nb,y,z\n", 3, None, "3 fields"),
    ("too-few-fields", b"id,input,output\na,q,x\nb,y\n", 3, None, "2 fields"),
    ("empty-output-cell", b"id,output\na,x\nb,\n", 3, "output", "empty"),
    ("bad-metadata-json", b'id,output,metadata\na,x,"{nope"\n', 2, "metadata", "not valid JSON"),
    ("metadata-not-object", b"id,output,metadata\na,x,[1]\n", 2, "metadata", "object"),
    ("invalid-utf8", b"id,output\na,x\nb,caf\xe9\n", 3, None, "UTF-8"),
    ("line-after-quoted-newline", b'id,output\na,"x\ny"\nb,y,z\n', 4, None, "3 fields"),
]


@pytest.mark.parametrize(
    ("content", "line", "field", "phrase"),
    [case[1:] for case in BAD_CSV],
    ids=[case[0] for case in BAD_CSV],
)
def test_bad_csv(
    seeded: Repository, tmp_path: Path, content: bytes, line: int, field: str | None, phrase: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises((InputError, ManyInputErrors)) as info:
        ingest.import_items(seeded, path)
    [error] = errors_of(info.value)
    assert error.file == str(path)
    assert error.line == line
    assert error.field == field
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert phrase in error.reason
    assert seeded.count_items() == 2


BAD_FILES: list[tuple[str, str, bytes | None, str]] = [
    # (id, file name, content (None: a directory), phrase)
    ("empty-jsonl", "items.jsonl", b"", "empty"),
    ("empty-csv", "items.csv", b"", "empty"),
    ("blank-lines-only", "items.jsonl", b"\n\n   \n\t\n", "no items"),
    ("header-only-csv", "items.csv", b"id,output\r\n", "no items"),
    ("directory", "items.jsonl", None, "directory"),
    ("binary", "items.jsonl", b'{"output": "x"}\n\x00\x01\x02\x89PNG\x00', "binary"),
    ("unknown-extension", "items.txt", b'{"output": "x"}\n', "--format"),
    ("no-extension", "items", b'{"output": "x"}\n', "--format"),
]


@pytest.mark.parametrize(
    ("name", "content", "phrase"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_file(
    seeded: Repository, tmp_path: Path, name: str, content: bytes | None, phrase: str
) -> None:
    path = tmp_path / name
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises((InputError, ManyInputErrors)) as info:
        ingest.import_items(seeded, path)
    [error] = errors_of(info.value)
    assert error.file == str(path)
    assert str(info.value).startswith(str(path))
    assert phrase in error.reason
    assert seeded.count_items() == 2


def test_a_directory_is_called_a_directory_whatever_its_name(
    seeded: Repository, tmp_path: Path
) -> None:
    """`import somedir/` should say it's a directory, not complain about its extension."""
    folder = tmp_path / "batch"
    folder.mkdir()
    with pytest.raises(InputError) as info:
        ingest.import_items(seeded, folder)
    assert info.value.file == str(folder)
    assert "directory" in info.value.reason


def test_missing_file_says_so(seeded: Repository, tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    with pytest.raises(InputError) as info:
        ingest.import_items(seeded, path)
    assert info.value.file == str(path)
    assert "no such file" in info.value.reason


def test_unknown_format_option(seeded: Repository, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "items.jsonl", [{"output": "x"}])
    with pytest.raises(InputError, match="unknown format"):
        ingest.import_items(seeded, path, fmt="xml")
    assert seeded.count_items() == 2


def test_every_bad_line_is_reported(seeded: Repository, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"output": "a"}\nnope\n{"output": "b"}\n{"output": 1}\n{"x": 1}\n')
    with pytest.raises(ManyInputErrors) as info:
        ingest.import_items(seeded, path)
    assert [(e.line, e.field) for e in info.value.errors] == [(2, None), (4, "output"), (5, "x")]
    assert seeded.count_items() == 2


def test_last_line_bad_imports_nothing(seeded: Repository, tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    good = "".join(json.dumps({"output": f"answer {n}"}) + "\n" for n in range(50))
    path.write_text(good + '{"output": "last", "oops": true}\n', "utf-8")
    with pytest.raises(ManyInputErrors) as info:
        ingest.import_items(seeded, path)
    assert [e.line for e in info.value.errors] == [51]
    assert seeded.count_items() == 2


def test_last_line_bad_in_a_file_larger_than_a_batch(seeded: Repository, tmp_path: Path) -> None:
    """Good lines flushed in earlier batches are rolled back too."""
    n = ingest_csv.BATCH + 10
    path = tmp_path / "items.jsonl"
    good = "".join(json.dumps({"output": f"answer {i}"}) + "\n" for i in range(n))
    path.write_text(good + "{broken\n", "utf-8")
    with pytest.raises(ManyInputErrors) as info:
        ingest.import_items(seeded, path)
    assert [e.line for e in info.value.errors] == [n + 1]
    assert seeded.count_items() == 2


def test_skip_invalid_imports_the_good_lines(seeded: Repository, tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_bytes(
        b'{"id": "g1", "output": "a"}\nnope\n{"id": "g2", "output": "b"}\n{"output": 1}\n'
    )
    result = ingest.import_items(seeded, path, skip_invalid=True)
    assert (result.read, result.inserted, result.duplicates) == (2, 2, 0)
    assert len(result.invalid) == 2
    assert result.invalid[0].startswith(f"{path}:2: ")
    assert result.invalid[1].startswith(f"{path}:4: field 'output'")
    assert seeded.count_items() == 4
    assert item(seeded, "g2").output == "b"


def test_skip_invalid_with_nothing_good_is_still_an_error(
    seeded: Repository, tmp_path: Path
) -> None:
    path = tmp_path / "items.jsonl"
    path.write_bytes(b"nope\n{}\n")
    with pytest.raises(ManyInputErrors) as info:
        ingest.import_items(seeded, path, skip_invalid=True)
    assert [e.line for e in info.value.errors] == [1, 2]
    assert seeded.count_items() == 2


def test_many_errors_message_is_capped(seeded: Repository, tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text("nope\n" * 30, "utf-8")
    with pytest.raises(ManyInputErrors) as info:
        ingest.import_items(seeded, path)
    assert len(info.value.errors) == 30
    assert "and 10 more bad lines" in str(info.value)
    assert f"{path}:30:" not in str(info.value)


def test_skip_invalid_skips_an_id_already_taken_in_the_db(
    seeded: Repository, tmp_path: Path
) -> None:
    """A line whose id names a different item in the DB is a bad line like any other."""
    path = write_jsonl(
        tmp_path / "items.jsonl",
        [
            {"id": "g1", "output": "a"},
            {"id": "seed-2", "output": "not the second"},
            {"id": "g2", "output": "b"},
        ],
    )
    result = ingest.import_items(seeded, path, skip_invalid=True)
    assert result.inserted == 2
    assert len(result.invalid) == 1
    assert result.invalid[0].startswith(f"{path}:2: field 'id'")
    assert seeded.count_items() == 4
    assert item(seeded, "seed-2").output == "second"


def test_csv_with_a_very_long_cell(repo: Repository, tmp_path: Path) -> None:
    """Retrieved documents easily pass Python's default 128 KiB csv field limit."""
    context = "retrieved passage. " * 12_000  # ~230 KB
    path = tmp_path / "rag.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["id", "context", "output"], ["big", context, "ok"]])
    ingest.import_items(repo, path)
    assert item(repo, "big").context == context


def test_jsonl_with_a_very_long_line(repo: Repository, tmp_path: Path) -> None:
    context = "retrieved passage. " * 12_000
    ingest.import_items(
        repo,
        write_jsonl(
            tmp_path / "rag.jsonl",
            [
                {"id": "big", "context": context, "output": "ok"},
            ],
        ),
    )
    assert item(repo, "big").context == context
