"""The fast paths of import-labels give exactly what the careful ones give, or step aside.

`jsonsafe.loads` runs the C scanner straight on a clean line, and
`label_file._plain_row` checks a plain record with a few type tests; both
hand anything unusual to the careful code. These tests hold each fast path to
its careful twin on the records that sit on the border between them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tui_annotate.core import jsonsafe, label_file
from tui_annotate.core.jsonsafe import JSONProblem
from tui_annotate.errors import InputError

BASE = {"item_id": "a1", "annotator": "ana", "score": 3}

VARIANTS: list[dict[str, Any]] = [
    {},
    {"rubric": "faithfulness"},
    {"rubric": "  faithfulness "},
    {"rubric": None},
    {"rubric": 3},
    {"rubric": "r\x00"},
    {"comment": "fine"},
    {"comment": None},
    {"comment": ""},
    {"comment": "a\x00b"},
    {"comment": ["x"]},
    {"tags": None},
    {"tags": []},
    {"tags": ""},
    {"tags": "a; b;;"},
    {"tags": "a\x00"},
    {"tags": ["x", "y"]},
    {"tags": ["x\x00"]},
    {"tags": [1]},
    {"tags": {"a": 1}},
    {"tags": 0},
    {"tags": False},
    {"tags": True},
    {"score": 0},
    {"score": "3"},
    {"score": " 4 "},
    {"score": "3.0"},
    {"score": "2.5"},
    {"score": "PASS"},
    {"score": ""},
    {"score": " "},
    {"score": "nan"},
    {"score": "inf"},
    {"score": "1e999"},
    {"score": "3\x00"},
    {"score": 3.0},
    {"score": 2.5},
    {"score": math.inf},
    {"score": True},
    {"score": None},
    {"score": [3]},
    {"item_id": 7},
    {"item_id": 7.5},
    {"item_id": True},
    {"item_id": "  x "},
    {"item_id": " "},
    {"item_id": ""},
    {"item_id": None},
    {"item_id": "a\x00"},
    {"annotator": " ana "},
    {"annotator": "judge:gpt"},
    {"annotator": "a  b"},
    {"annotator": "ana:x"},
    {"annotator": "Zoë Ünal"},
    {"annotator": "ana\x1b[31m"},
    {"annotator": "x" * 65},
    {"annotator": 12},
    {"annotator": ""},
    {"extra": 1},
]


def careful(data: Any, check_names: bool) -> label_file.LabelRow | str:
    try:
        return label_file._row(data, 9, "f.jsonl", check_names=check_names)
    except InputError as exc:
        return str(exc)


@pytest.mark.parametrize("check_names", [True, False])
def test_plain_row_returns_only_what_row_returns(check_names: bool) -> None:
    records: list[Any] = [{**BASE, **v} for v in VARIANTS]
    records += [[BASE], "text", {k: v for k, v in BASE.items() if k != "score"}]
    fast_taken = 0
    for data in records:
        good: set[str] | None = set() if check_names else None
        fast = label_file._plain_row(data, 9, good)
        slow = careful(data, check_names)
        if fast is None:
            continue
        fast_taken += 1
        assert fast == slow, data
        assert type(fast.score) is type(slow.score), data  # type: ignore[union-attr]
    assert fast_taken >= 20  # the plain records did take the fast path


def test_a_name_once_found_bad_is_never_remembered_as_good() -> None:
    good: set[str] = set()
    assert label_file._plain_row({**BASE, "annotator": "judge:x"}, 1, good) is None
    assert label_file._plain_row(BASE, 2, good) is not None
    assert good == {"ana"}


LINES = [
    '{"a": 1}\n',
    '{"a": 1}\r\n',
    '{"a": 1}',
    '  {"a": 1}\n',
    '{"a": 1} \t\n',
    '{"a": 1} x\n',
    '{"a": 1}{"b": 2}\n',
    '{"a": 1e999}\n',
    '{"a": "\\u00e9"}\n',
    '{"a": [1, {"b": [null, true, false]}]}\n',
    '"just text"\n',
    "[1, 2]\n",
    "{\n",
    '{"a": 1,}\n',
    "{'a': 1}\n",
    '{"a": 1}\x0b\n',
    '{"a": 1}\u3000\n',
]


@pytest.mark.parametrize("line", LINES)
def test_loads_agrees_with_json_on_what_it_accepts_and_refuses(line: str) -> None:
    try:
        expected: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        with pytest.raises(json.JSONDecodeError) as info:
            jsonsafe.loads(line)
        assert info.value.msg == exc.msg
        return
    assert jsonsafe.loads(line) == expected


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('{"s": 1, "x": NaN}\n', "x"),
        ('{"x": [Infinity]}\n', "x"),
        ('{"x": "\\ud800"}\n', "x"),
        ('{"x": ' + "9" * 5000 + "}\n", None),
    ],
)
def test_the_crafted_line_still_goes_the_careful_way(line: str, field: str | None) -> None:
    with pytest.raises(JSONProblem) as info:
        jsonsafe.loads(line)
    assert info.value.field == field


def test_a_file_mixing_plain_and_unusual_rows_reads_as_before(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    rows = [BASE, {**BASE, "score": 2.0}, {**BASE, "annotator": "judge:x"}, {**BASE, "tags": "a;b"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    got = list(label_file.iter_labels(path))
    assert [type(g).__name__ for g in got] == ["LabelRow", "LabelRow", "InputError", "LabelRow"]
    assert got[1] == label_file.LabelRow(2, "a1", "ana", 2, "", "", ())
    assert "labels.jsonl:3: field 'annotator'" in str(got[2])
    assert got[3].tags == ("a", "b")  # type: ignore[union-attr]
