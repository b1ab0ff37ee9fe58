"""Reading a judge's answer: JSON however wrapped, checked hard; confidence from logprobs or samples."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tests.openai_server import LogprobToken, score_logprobs
from tui_annotate.core.judge_parse import InvalidAnswer, from_logprobs, from_samples, parse
from tui_annotate.core.models import Rubric

ANSWER = {"score": 4, "rationale": "Amounts match.", "tags": ["wrong-number"]}


def as_api(tokens: list[LogprobToken]) -> list[dict[str, Any]]:
    """score_logprobs' tuples in the shape of the API's JSON (what a batch result holds)."""
    return [
        {"token": t, "logprob": lp, "top_logprobs": [{"token": a, "logprob": b} for a, b in top]}
        for t, lp, top in tokens
    ]


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


# -- confidence from logprobs --------------------------------------------------------------


def test_logprobs_give_the_chosen_score_probability_and_the_expectation(
    faithfulness: Rubric,
) -> None:
    tokens = as_api(score_logprobs({"4": 0.6, "5": 0.3, "3": 0.1}))
    got = from_logprobs(tokens, 4, faithfulness)
    assert got is not None and got.method == "logprobs"
    assert got.value == pytest.approx(0.6)
    assert got.expected == pytest.approx(4.2)


def test_logprobs_are_renormalised_over_the_scale(faithfulness: Rubric) -> None:
    # Half of the mass is on tokens that are not scores: what is left is split 3:1.
    tokens = as_api(score_logprobs({"2": 0.375, "1": 0.125}, score=2))
    tokens[4]["top_logprobs"].append({"token": "x", "logprob": math.log(0.5)})
    got = from_logprobs(tokens, 2, faithfulness)
    assert got is not None
    assert got.value == pytest.approx(0.75)
    assert got.expected == pytest.approx(1.75)


def test_a_score_missing_from_the_alternatives_uses_its_own_logprob(faithfulness: Rubric) -> None:
    tokens = as_api(score_logprobs({"3": 0.5, "4": 0.5}, score=3))
    tokens[4]["top_logprobs"] = [{"token": "4", "logprob": math.log(0.5)}]
    got = from_logprobs(tokens, 3, faithfulness)
    assert got is not None and got.value == pytest.approx(0.5)


def test_a_confidence_for_a_score_the_tokens_did_not_pick_is_its_share(
    faithfulness: Rubric,
) -> None:
    tokens = as_api(score_logprobs({"5": 0.8, "4": 0.2}))
    got = from_logprobs(tokens, 4, faithfulness)
    assert got is not None and got.value == pytest.approx(0.2)


def test_object_tokens_like_the_sdks_are_read_too(faithfulness: Rubric) -> None:
    class Tok:
        def __init__(self, token: str, logprob: float, top: list[Any]) -> None:
            self.token, self.logprob, self.top_logprobs = token, logprob, top

    tokens = [
        Tok(t, lp, [Tok(a, b, []) for a, b in top])
        for t, lp, top in score_logprobs({"1": 0.9, "2": 0.1})
    ]
    got = from_logprobs(tokens, 1, faithfulness)
    assert got is not None and got.value == pytest.approx(0.9)
    assert got.expected == pytest.approx(1.1)


def test_no_logprobs_or_no_score_token_means_no_confidence(faithfulness: Rubric) -> None:
    assert from_logprobs(None, 4, faithfulness) is None
    assert from_logprobs([], 4, faithfulness) is None
    no_key = [{"token": "4", "logprob": 0.0, "top_logprobs": []}]
    assert from_logprobs(no_key, 4, faithfulness) is None
    off_scale = as_api(score_logprobs({"7": 1.0}))
    assert from_logprobs(off_scale, 4, faithfulness) is None


# -- confidence from samples ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "mode", "share", "expected"),
    [
        ([4, 4, 2], 4, 2 / 3, 10 / 3),
        ([2, 4, 4], 4, 2 / 3, 10 / 3),
        ([5, 2], 2, 0.5, 3.5),
        ([5, 5, 3, 3, 1], 3, 0.4, 3.4),
        ([3, 3, 3], 3, 1.0, 3.0),
        ([1], 1, 1.0, 1.0),
    ],
)
def test_samples_give_the_mode_ties_to_lower_and_the_share(
    scores: list[int], mode: int, share: float, expected: float
) -> None:
    got_mode, confidence = from_samples(scores)
    assert got_mode == mode
    assert confidence.value == pytest.approx(share)
    assert confidence.expected == pytest.approx(expected)
    assert confidence.method == "samples"
