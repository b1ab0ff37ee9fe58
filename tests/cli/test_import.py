"""`tui-annotate import`: the good files go in whole, the bad ones are refused whole, with a pointed message."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.conftest import bad, item_count, items_by_external_id, names_line, ok, write_jsonl
from tests.conftest import SAMPLE
from tui_annotate.core import snapshot
from tui_annotate.core.rubric import find_rubric, shipped_rubrics_dir
from tui_annotate.store.repository import Repository

# -- the happy path -----------------------------------------------------------


def test_import_the_sample_says_40_imported(cli, db_path: Path) -> None:
    result = ok(cli("import", str(SAMPLE)))
    assert re.search(r"\bimported 40\b", result.stdout), result.stdout
    assert item_count(db_path) == 40


def test_reimport_is_a_noop_that_says_so(cli, db_path: Path) -> None:
    ok(cli("import", str(SAMPLE)))
    result = ok(cli("import", str(SAMPLE)))
    assert re.search(r"nothing new|already", result.stdout, re.IGNORECASE), result.stdout
    assert not re.search(r"\bimported 40\b", result.stdout)
    assert item_count(db_path) == 40


def test_json_output_counts_read_inserted_duplicates_invalid(cli) -> None:
    first = json.loads(ok(cli("import", "--json", str(SAMPLE))).stdout)
    assert {"read", "inserted", "duplicates", "invalid"} <= set(first)
    assert (first["read"], first["inserted"], first["duplicates"], first["invalid"]) == (
        40,
        40,
        0,
        [],
    )
    again = json.loads(ok(cli("import", "--json", str(SAMPLE))).stdout)
    assert (again["read"], again["inserted"], again["duplicates"], again["invalid"]) == (
        40,
        0,
        40,
        [],
    )


def test_partial_overlap_counts_only_the_new_items(cli, tmp_path: Path, db_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", [{"output": "one"}, {"output": "two"}])
    write_jsonl(tmp_path / "b.jsonl", [{"output": "two"}, {"output": "three"}])
    ok(cli("import", "a.jsonl"))
    data = json.loads(ok(cli("import", "--json", "b.jsonl")).stdout)
    assert (data["read"], data["inserted"], data["duplicates"]) == (2, 1, 1)
    assert item_count(db_path) == 3


MULTILINE = 'First line, with a comma\nsecond line with "quotes"\n\n  indented third'


def excel_csv(tmp_path: Path) -> Path:
    """What Excel writes: a UTF-8 BOM, CRLF row ends, LF inside a quoted cell."""
    body = (
        "id,input,output,prompt_version\r\n"
        'x1,"Where is my order?","' + MULTILINE.replace('"', '""') + '",1.0.0\r\n'
        "x2,Café ☕,Ünïcödé answer,1.0.0\r\n"
    )
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    return path


def test_csv_with_bom_crlf_and_quoted_newlines_is_stored_exactly(
    cli, tmp_path: Path, db_path: Path
) -> None:
    ok(cli("import", str(excel_csv(tmp_path))))
    items = items_by_external_id(db_path)
    assert set(items) == {"x1", "x2"}  # the BOM did not turn the first column into "\ufeffid"
    assert items["x1"].output == MULTILINE
    assert items["x1"].input == "Where is my order?"
    assert items["x1"].prompt_version == "1.0.0"  # no trailing "\r" from the CRLF
    assert items["x2"].input == "Café ☕"
    assert items["x2"].output == "Ünïcödé answer"


def test_csv_text_survives_the_round_trip_through_export(
    cli, repo: Repository, tmp_path: Path
) -> None:
    ok(cli("import", str(excel_csv(tmp_path))))
    rubric = find_rubric("faithfulness", [shipped_rubrics_dir()])
    snapshot.register(repo, rubric)
    for iid in repo.item_ids_by_external(["x1", "x2"]).values():
        repo.append_event(
            item_id=iid,
            rubric="faithfulness",
            rubric_version=rubric.version,
            annotator="ana",
            kind="rate",
            score=5,
        )
    exported = ok(cli("export", "--rubric", "faithfulness", "--format", "jsonl")).stdout
    rows = {r["item_id"]: r for r in map(json.loads, exported.splitlines())}
    assert rows["x1"]["output"] == MULTILINE
    assert rows["x2"]["input"] == "Café ☕"


def test_prompt_version_and_source_flags_fill_only_missing_fields(
    cli, tmp_path: Path, db_path: Path
) -> None:
    write_jsonl(
        tmp_path / "items.jsonl",
        [
            {"id": "bare", "output": "no prompt fields"},
            {
                "id": "own",
                "output": "has its own",
                "prompt": "p-own",
                "prompt_version": "2.0.0",
                "source": "batch",
            },
        ],
    )
    ok(
        cli(
            "import",
            "items.jsonl",
            "--prompt",
            "support-answer",
            "--prompt-version",
            "1.2.3",
            "--source",
            "live",
        )
    )
    items = items_by_external_id(db_path)
    assert (items["bare"].prompt, items["bare"].prompt_version, items["bare"].source) == (
        "support-answer",
        "1.2.3",
        "live",
    )
    assert (items["own"].prompt, items["own"].prompt_version, items["own"].source) == (
        "p-own",
        "2.0.0",
        "batch",
    )


def test_source_defaults_to_batch(cli, tmp_path: Path, db_path: Path) -> None:
    write_jsonl(tmp_path / "items.jsonl", [{"id": "a", "output": "x"}])
    ok(cli("import", "items.jsonl"))
    assert items_by_external_id(db_path)["a"].source == "batch"


def test_openai_chat_messages(cli, tmp_path: Path, db_path: Path) -> None:
    write_jsonl(
        tmp_path / "chat.jsonl",
        [
            {
                "id": "chat-1",
                "messages": [
                    {"role": "system", "content": "You are a support assistant."},
                    {"role": "user", "content": "Where is order NW-1?"},
                    {"role": "assistant", "content": "Let me check."},
                    {"role": "tool", "content": '{"status": "shipped"}'},
                    {"role": "assistant", "content": "It shipped yesterday."},
                ],
            }
        ],
    )
    ok(cli("import", "chat.jsonl"))
    item = items_by_external_id(db_path)["chat-1"]
    assert item.output == "It shipped yesterday."  # the *last* assistant message
    assert "Where is order NW-1?" in item.input
    assert "You are a support assistant." in item.input
    assert "It shipped yesterday." not in item.input
    assert '{"status": "shipped"}' in item.context


# -- bad input: exit 2, a pointed message, nothing imported ----------------------

GOOD = '{"output": "fine"}\n'

BAD_FILES: dict[str, tuple[str, bytes, int | None, str | None]] = {
    # case: (file name, bytes, line named, field named)
    "invalid-json": ("bad.jsonl", (GOOD + '{"output": "x",\n').encode(), 2, None),
    "missing-output": ("bad.jsonl", (GOOD + '{"input": "question only"}\n').encode(), 2, "output"),
    "output-is-a-number": ("bad.jsonl", (GOOD + '{"output": 42}\n').encode(), 2, "output"),
    "metadata-is-a-string": (
        "bad.jsonl",
        (GOOD + '{"output": "x", "metadata": "channel=chat"}\n').encode(),
        2,
        "metadata",
    ),
    "invalid-utf8-line-3": (
        "bad.jsonl",
        (GOOD + '{"output": "two"}\n').encode() + b'{"output": "caf\xe9"}\n',
        3,
        None,
    ),
    "csv-unknown-column": ("bad.csv", b"output,colour\nfine,blue\n", 1, "colour"),
    "csv-without-output": ("bad.csv", b"input,context\nq,c\n", 1, "output"),
    "empty-file": ("bad.jsonl", b"", None, None),
    "binary-file": ("bad.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", None, None),
}


@pytest.fixture(params=[False, True], ids=["fresh-db", "db-with-items"])
def before(request, cli, tmp_path: Path, db_path: Path) -> int:
    """The item count before the bad import: a fresh project, or one holding earlier items."""
    if request.param:
        write_jsonl(
            tmp_path / "earlier.jsonl", [{"output": "earlier one"}, {"output": "earlier two"}]
        )
        ok(cli("import", "earlier.jsonl"))
    return item_count(db_path)


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_refused_whole(
    case: str, cli, before: int, tmp_path: Path, db_path: Path
) -> None:
    name, content, line, field = BAD_FILES[case]
    (tmp_path / name).write_bytes(content)
    result = bad(cli("import", name))
    assert name in result.stderr
    if line is not None:
        assert names_line(result.stderr, name, line), result.stderr
    if field is not None:
        assert field in result.stderr
    assert item_count(db_path) == before


def test_a_directory_is_refused(cli, before: int, tmp_path: Path, db_path: Path) -> None:
    (tmp_path / "items.jsonl").mkdir()
    result = bad(cli("import", "items.jsonl"))
    assert "items.jsonl" in result.stderr
    assert "director" in result.stderr.lower()
    assert item_count(db_path) == before


def test_a_missing_file_is_refused(cli, before: int, db_path: Path) -> None:
    result = bad(cli("import", "nowhere.jsonl"))
    assert "nowhere.jsonl" in result.stderr
    assert item_count(db_path) == before


def test_unknown_extension_needs_format(cli, before: int, tmp_path: Path, db_path: Path) -> None:
    (tmp_path / "items.txt").write_text('{"output": "from a txt"}\n', encoding="utf-8")
    result = bad(cli("import", "items.txt"))
    assert "items.txt" in result.stderr
    assert "--format" in result.stderr
    assert item_count(db_path) == before
    ok(cli("import", "items.txt", "--format", "jsonl"))
    assert item_count(db_path) == before + 1


def test_bogus_source_is_a_usage_error(cli, before: int, db_path: Path) -> None:
    result = bad(cli("import", str(SAMPLE), "--source", "bogus"))
    assert "--source" in result.stderr
    assert "bogus" in result.stderr
    assert item_count(db_path) == before


def test_every_bad_line_is_reported_not_only_the_first(cli, tmp_path: Path, db_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text(
        GOOD + '{"input": "no output"}\n' + GOOD.replace("fine", "ok") + "not json\n",
        encoding="utf-8",
    )
    result = bad(cli("import", "bad.jsonl"))
    assert names_line(result.stderr, "bad.jsonl", 2)
    assert names_line(result.stderr, "bad.jsonl", 4)
    assert item_count(db_path) == 0


def test_skip_invalid_imports_the_good_lines_and_lists_the_bad(
    cli, tmp_path: Path, db_path: Path
) -> None:
    (tmp_path / "mixed.jsonl").write_text(
        '{"output": "good one"}\n'
        "{broken\n"
        '{"output": "good two"}\n'
        '{"input": "no output"}\n'
        '{"output": 7}\n'
        '{"output": "good three"}\n',
        encoding="utf-8",
    )
    result = ok(cli("import", "mixed.jsonl", "--skip-invalid"))
    assert item_count(db_path) == 3
    for line in (2, 4, 5):
        assert names_line(result.stderr, "mixed.jsonl", line), result.stderr
    for line in (1, 3, 6):
        assert not names_line(result.stderr, "mixed.jsonl", line), result.stderr
    assert re.search(r"\bimported 3\b", result.stdout), result.stdout


def test_skip_invalid_json_lists_the_bad_lines(cli, tmp_path: Path) -> None:
    (tmp_path / "mixed.csv").write_text(
        "output,source\ngood,batch\nbad,nowhere\n", encoding="utf-8"
    )
    data = json.loads(ok(cli("import", "mixed.csv", "--skip-invalid", "--json")).stdout)
    assert (data["read"], data["inserted"]) == (1, 1)
    assert len(data["invalid"]) == 1
    assert names_line(data["invalid"][0], "mixed.csv", 3)
    assert "source" in data["invalid"][0]


def test_escape_sequences_in_a_bad_file_never_reach_the_terminal(cli, tmp_path: Path) -> None:
    """An error quotes the file's field name; a name holding an OSC sequence is shown, not sent."""
    path = tmp_path / "evil.jsonl"
    path.write_text(json.dumps({"output": "x", "\x1b]0;pwned\x07": 1}) + "\n", encoding="utf-8")
    result = cli("import", str(path))
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "␛]0;pwned␇" in result.stderr
