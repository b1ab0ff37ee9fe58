"""jsonsafe.loads: what it refuses, the field it names, and what it must still accept."""

from __future__ import annotations

import json

import pytest

from tui_annotate.core import jsonsafe
from tui_annotate.core.jsonsafe import MAX_DEPTH, JSONProblem


def nested(depth: int) -> str:
    """An array DEPTH levels deep inside the 'm' field of an object (which is level 1)."""
    return '{"output": "x", "m": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def refusal(text: str) -> JSONProblem:
    with pytest.raises(JSONProblem) as info:
        jsonsafe.loads(text)
    return info.value


def test_max_depth_is_accepted_and_one_more_refused() -> None:
    assert jsonsafe.loads(nested(MAX_DEPTH))["output"] == "x"
    problem = refusal(nested(MAX_DEPTH + 1))
    assert (problem.field, problem.reason) == ("m", f"is nested more than {MAX_DEPTH} levels deep")


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"output": "[" * 500 + "{" * 500, "note": '\\"[[[' * 100})
    assert jsonsafe.loads(text)["output"].startswith("[[[")


def test_the_field_named_is_the_one_that_is_deep_not_an_earlier_one() -> None:
    text = '{"a": [1, 2], "b": "s, t", "c": {"d": ' + "[" * 200 + "]" * 200 + "}}"
    assert refusal(text).field == "c"


def test_a_deep_document_that_is_not_an_object_names_no_field() -> None:
    assert refusal("[" * 50_000).field is None


def test_a_surrogate_pair_is_a_character_and_a_lone_one_is_not() -> None:
    assert jsonsafe.loads('{"output": "\\ud83d\\ude00"}') == {"output": "\U0001f600"}
    assert refusal('{"ok": "a", "output": "\\ud83d"}').field == "output"
    assert refusal('{"output": "x", "m": ["\\uDE00"]}').field == "m"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_numbers_are_refused_with_their_field(constant: str) -> None:
    problem = refusal('{"output": "x", "m": {"deep": [1, ' + constant + "]}}")
    assert problem.field == "m" and constant in problem.reason


def test_a_number_past_pythons_digit_limit_is_a_reason_not_a_traceback() -> None:
    assert "4,300 digits" in refusal('{"m": ' + "7" * 5000 + "}").reason


def test_text_that_is_not_json_still_raises_json_decode_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        jsonsafe.loads("{not json")


def test_mixed_objects_and_arrays_count_one_level_each() -> None:
    inner = '{"k": [' * 50 + "1" + "]}" * 50  # 100 levels
    assert jsonsafe.loads(inner)["k"]
    assert refusal('{"m": ' + inner + "}").field == "m"  # 101


def test_many_shallow_records_are_not_deep() -> None:
    text = json.dumps({"output": "x", "context": [{"sku": n, "qty": [1]} for n in range(5_000)]})
    assert len(jsonsafe.loads(text)["context"]) == 5_000


def test_broken_json_with_many_brackets_is_reported_as_broken_json() -> None:
    with pytest.raises(json.JSONDecodeError):
        jsonsafe.loads('{"output": "x", "m": ' + "[1]," * 200 + "}")
