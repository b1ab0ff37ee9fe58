"""Confidence never above the evidence: hand-made logprob lists, however the answer was tokenized."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.openai_server import LogprobToken, score_logprobs
from tui_annotate.core.judge.confidence import (
    LOWER_BOUND,
    NoConfidence,
    from_logprobs,
    from_samples,
)
from tui_annotate.core.models import Rubric


def as_api(tokens: list[LogprobToken]) -> list[dict[str, Any]]:
    """score_logprobs' tuples in the shape of the API's JSON (what a batch result holds)."""
    return [
        {"token": t, "logprob": lp, "top_logprobs": [{"token": a, "logprob": b} for a, b in top]}
        for t, lp, top in tokens
    ]


def tok(text: str, p: float = 1.0, top: dict[str, float] | None = None) -> dict[str, Any]:
    """One token with probability P and alternatives TOP (text -> probability)."""
    alternatives = top if top is not None else {text: p}
    return {
        "token": text,
        "logprob": math.log(p),
        "top_logprobs": [{"token": a, "logprob": math.log(q)} for a, q in alternatives.items()],
    }


def answer(*middle: dict[str, Any]) -> list[dict[str, Any]]:
    """An answer whose score tokens are MIDDLE, between a fixed head and tail."""
    return [tok('{"'), *middle, tok(', "rationale": "ok", "tags": []}')]


# -- what the renormalisation keeps ---------------------------------------------------------


def test_the_chosen_score_probability_and_the_expectation(faithfulness: Rubric) -> None:
    tokens = as_api(score_logprobs({"4": 0.6, "5": 0.3, "3": 0.1}))
    got = from_logprobs(tokens, 4, faithfulness)
    assert got.method == LOWER_BOUND
    assert got.value == pytest.approx(0.6)
    assert got.expected == pytest.approx(4.2)
    assert got.detail == {
        "token_index": 4,
        "top_k": 3,
        "p_chosen": 0.6,
        "p_other_scores": 0.4,
        "p_unaccounted": 0.0,
    }


def test_tokens_that_cannot_start_a_score_are_left_out(faithfulness: Rubric) -> None:
    # Half the mass is on a letter, which a grammar-bound answer can't take: 3:1 remains.
    tokens = as_api(score_logprobs({"2": 0.375, "1": 0.125}, score=2))
    tokens[4]["top_logprobs"].append({"token": "x", "logprob": math.log(0.5)})
    got = from_logprobs(tokens, 2, faithfulness)
    assert got.value == pytest.approx(0.75)
    assert got.expected == pytest.approx(1.75)


def test_a_score_the_tokens_did_not_pick_gets_its_share(faithfulness: Rubric) -> None:
    tokens = as_api(score_logprobs({"5": 0.8, "4": 0.2}))
    assert from_logprobs(tokens, 4, faithfulness).value == pytest.approx(0.2)


def test_object_tokens_like_the_sdks_are_read_too(faithfulness: Rubric) -> None:
    class Tok:
        def __init__(self, token: str, logprob: float, top: list[Any]) -> None:
            self.token, self.logprob, self.top_logprobs = token, logprob, top

    tokens = [
        Tok(t, lp, [Tok(a, b, []) for a, b in top])
        for t, lp, top in score_logprobs({"1": 0.9, "2": 0.1})
    ]
    got = from_logprobs(tokens, 1, faithfulness)
    assert got.value == pytest.approx(0.9)
    assert got.expected == pytest.approx(1.1)


# -- the mass the server did not return ------------------------------------------------------


def test_mass_missing_from_the_top_k_counts_against_the_chosen_score(
    faithfulness: Rubric,
) -> None:
    # The alternatives sum to 0.8: the missing 0.2 may be other scores.
    tokens = as_api(score_logprobs({"4": 0.6, "5": 0.2}))
    got = from_logprobs(tokens, 4, faithfulness)
    assert got.value == pytest.approx(0.6)  # renormalising over what was seen would say 0.75
    assert got.detail["p_unaccounted"] == pytest.approx(0.2)


def test_a_chosen_score_outside_the_top_k_is_never_certain(faithfulness: Rubric) -> None:
    # What llama.cpp's server sent: the grammar forced "4" at logprob -7.13 (0.08 %) while
    # its top 5, taken before the grammar mask, held no scale value at all.
    top = {" The": 0.55, " I": 0.2, "\n": 0.1, " A": 0.05, " Based": 0.04}
    chosen = {
        "token": "4",
        "logprob": -7.13,
        "top_logprobs": [{"token": a, "logprob": math.log(q)} for a, q in top.items()],
    }
    tokens = answer(tok("score"), tok('": '), chosen)
    got = from_logprobs(tokens, 4, faithfulness)
    p = math.exp(-7.13)
    # "\n" could still lead to a score; the letters can't; 1 - 0.94 - p was never returned.
    assert got.value == pytest.approx(p / (p + 0.1 + (1 - 0.94 - p)))
    assert got.value < 0.01
    assert got.expected == pytest.approx(4.0)


def test_the_only_score_seen_with_nothing_missing_is_certain(faithfulness: Rubric) -> None:
    tokens = answer(tok("score"), tok('": '), tok("5", 0.999, {"5": 0.999, "x": 0.001}))
    assert from_logprobs(tokens, 5, faithfulness).value == pytest.approx(1.0)


# -- finding the score's token, whatever the tokenization ------------------------------------


def test_a_key_split_over_tokens_is_found_by_position(faithfulness: Rubric) -> None:
    tokens = answer(
        tok("sco"), tok("r"), tok("e"), tok('":'), tok(" 4", 0.7, {" 4": 0.7, " 3": 0.3})
    )
    got = from_logprobs(tokens, 4, faithfulness)
    assert got.value == pytest.approx(0.7)
    assert got.detail["token_index"] == 5


def test_a_digit_glued_to_the_colon_is_read_with_its_prefix(faithfulness: Rubric) -> None:
    tokens = answer(tok("score"), tok('":3', 0.5, {'":3': 0.5, '":2': 0.25, '":': 0.25}))
    got = from_logprobs(tokens, 3, faithfulness)
    # '":' alone could still be followed by any score: it counts against the chosen one.
    assert got.value == pytest.approx(0.5)
    assert got.detail["p_other_scores"] == pytest.approx(0.25)
    assert got.detail["p_unaccounted"] == pytest.approx(0.25)


def test_alternatives_spelling_the_same_score_add_up(faithfulness: Rubric) -> None:
    tokens = answer(tok("score"), tok('": '), tok("4", 0.5, {"4": 0.5, " 4": 0.3, "2": 0.2}))
    assert from_logprobs(tokens, 4, faithfulness).value == pytest.approx(0.8)


def test_a_score_after_other_numbers_is_the_one_under_the_key(faithfulness: Rubric) -> None:
    tokens = [
        tok('{"n": '),
        tok("5"),
        tok(', "score": '),
        tok("2", 0.9, {"2": 0.9, "1": 0.1}),
        tok("}"),
    ]
    got = from_logprobs(tokens, 2, faithfulness)
    assert got.value == pytest.approx(0.9) and got.detail["token_index"] == 3


# -- when it can't be computed, say why --------------------------------------------------------


@pytest.mark.parametrize(
    ("tokens", "why"),
    [
        (None, "no logprobs"),
        ([], "no logprobs"),
        ([tok("4")], "no score key"),
        (answer(tok("score"), tok('": 1'), tok("0")), "span several tokens"),
        (answer(tok("score"), tok('": '), {"token": "4", "logprob": None}), "no logprob"),
    ],
    ids=["none", "empty", "no-key", "split-digits", "no-logprob"],
)
def test_no_confidence_says_why(faithfulness: Rubric, tokens: Any, why: str) -> None:
    with pytest.raises(NoConfidence, match=why):
        from_logprobs(tokens, 4, faithfulness)


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
