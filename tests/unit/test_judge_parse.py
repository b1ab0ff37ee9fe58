"""Reading a judge's answer: JSON however wrapped, checked hard."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tui_annotate.core.judge.parse import InvalidAnswer, parse
from tui_annotate.core.models import Rubric

ANSWER = {"score": 4, "rationale": "Amounts match.", "tags": ["wrong-number"]}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(ANSWER),
        "```json\n" + json.dumps(ANSWER, indent=2) + "\n```",
        "```\n" + json.dumps(ANSWER) + "\n```",
        "Sure. My verdict:\n```JSON\n" + json.dumps(ANSWER) + "\n```\nHope this helps!",
        "After comparing {the amounts} with the data, here it is: " + json.dumps(ANSWER) + " Done.",
        "  \n" + json.dumps(ANSWER) + "\n\n",
    ],
    ids=["plain", "fenced", "bare-fence", "fence-in-prose", "prose", "whitespace"],
)
def test_the_json_is_found_however_it_is_wrapped(faithfulness: Rubric, text: str) -> None:
    got = parse(text, faithfulness)
    assert (got.score, got.rationale, got.tags, got.dropped_tags) == (
        4,
        "Amounts match.",
        ("wrong-number",),
        (),
    )


@pytest.mark.parametrize("score", ["4", " 4 ", 4.0, "4.0"])
def test_a_whole_number_as_text_or_float_is_accepted(faithfulness: Rubric, score: Any) -> None:
    assert parse(json.dumps({"score": score}), faithfulness).score == 4


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"score": 3.5, "rationale": "between"}', "not a whole number"),
        ('{"score": "3.5"}', "not a whole number"),
        ('{"score": 6}', "not on the scale"),
        ('{"score": 0}', "not on the scale"),
        ('{"score": -4}', "not on the scale"),
        ('{"score": "five"}', "not a number"),
        ('{"score": true}', "not a number"),
        ('{"score": null}', "not a whole number"),
        ('{"score": [4]}', "not a whole number"),
        ('{"rationale": "fine", "tags": []}', "no JSON object with a score"),
        ("[4]", "no JSON object with a score"),
        ("I would give it a 4.", "no JSON object with a score"),
        ('{"score": 4, "rationale": ', "no JSON object with a score"),
        ("", "empty"),
        ("   \n ", "empty"),
        (None, "empty"),
    ],
)
def test_no_usable_score_is_an_invalid_answer(
    faithfulness: Rubric, text: str | None, why: str
) -> None:
    with pytest.raises(InvalidAnswer, match=why):
        parse(text, faithfulness)


def test_invalid_answer_is_a_value_error() -> None:
    assert issubclass(InvalidAnswer, ValueError)


def test_unknown_tags_are_dropped_and_reported(faithfulness: Rubric) -> None:
    text = json.dumps(
        {
            "score": 2,
            "tags": ["hallucinated-fact", "made-up", 7, "hallucinated-fact", "ignores-data"],
        }
    )
    got = parse(text, faithfulness)
    assert got.score == 2
    assert got.tags == ("hallucinated-fact", "ignores-data")
    assert got.dropped_tags == ("made-up", "7")


def test_a_single_tag_string_and_missing_fields(faithfulness: Rubric) -> None:
    got = parse('{"score": 1, "tags": "contradicts-data"}', faithfulness)
    assert got.tags == ("contradicts-data",) and got.rationale == ""
    got = parse('{"score": 5, "rationale": "  ok  ", "tags": null}', faithfulness)
    assert got.tags == () and got.rationale == "ok"


def test_a_non_text_rationale_is_kept_as_json(faithfulness: Rubric) -> None:
    got = parse('{"score": 3, "rationale": ["a", "b"]}', faithfulness)
    assert got.rationale == '["a", "b"]'


def test_the_first_object_with_a_score_wins(faithfulness: Rubric) -> None:
    text = 'Context: {"order": 1}. Answer: {"score": 2, "rationale": "x"} and {"score": 5}'
    assert parse(text, faithfulness).score == 2


def test_raw_control_characters_inside_strings_are_tolerated(faithfulness: Rubric) -> None:
    # Some grammars let a model write a raw tab or newline inside a JSON string.
    text = '{"score": 4, "rationale": "line one\nline\ttwo\x1b[31m", "tags": []}'
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    got = parse(text, faithfulness)
    assert got.score == 4
    assert got.rationale == "line one\nline\ttwo\x1b[31m"
