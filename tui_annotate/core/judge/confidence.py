"""How sure the judge was, never more than the evidence says: from logprobs or repeated samples.

A server's logprobs are read where the score actually is: the tokens are joined back into
the answer's text and the score's value is found by its character offset, so a tokenizer
that splits the key (`sco`, `r`, `e`) or glues the digit to a space or a colon changes
nothing. Only the top-k alternatives of that token come back; the mass outside them (and
on alternatives that could still lead to a score, like a bare space) may belong to other
scores, so it is counted against the chosen one. The result is a lower bound: a token the
model gave 0.08 % can't read as certain because no rival happened to be in the top 5
(llama.cpp's top_logprobs are taken before its grammar mask, so rivals are often missing).
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui_annotate.core.models import Rubric

#: How a logprob confidence was computed, stored with the label.
LOWER_BOUND = "logprobs-lower-bound"

_SCORE_VALUE = re.compile(r'"score"\s*:\s*"?\s*(-?\d+)')
#: Characters that can stand between the key's colon and the score's digits.
_LEAD = ' \t\r\n":'
_DIGITS = re.compile(r"(-?\d+)(?!\d)")


class NoConfidence(ValueError):
    """No confidence can be computed; the message says why (it goes into the label's meta)."""


@dataclass(frozen=True, slots=True)
class Confidence:
    """P(chosen score) (a lower bound for logprobs), the expected score, and how it was found."""

    value: float
    expected: float | None
    method: str  # LOWER_BOUND or "samples"
    detail: Mapping[str, Any] = field(default_factory=dict)


def from_logprobs(tokens: Sequence[Any] | None, score: int, rubric: Rubric) -> Confidence:
    """The lower bound of P(SCORE) at the token that holds the answer's score value.

    Denominator: the chosen score's mass (its token and any alternative spelling the same
    score), the mass of other scale values among the alternatives, the mass of alternatives
    that could still lead to a score (whitespace, a quote), and the mass the server did not
    return at all (1 - the alternatives' total). Alternatives that can't start a score
    (a letter, a value off the scale) are left out: a grammar-bound answer can't take them.
    """
    if not tokens:
        raise NoConfidence("the server returned no logprobs")
    texts = [str(_get(t, "token") or "") for t in tokens]
    starts: list[int] = []
    offset = 0
    for text in texts:
        starts.append(offset)
        offset += len(text)
    joined = "".join(texts)
    found = _SCORE_VALUE.search(joined)
    if found is None:
        raise NoConfidence("no score key and value in the logprob tokens")
    begin, end = found.span(1)
    index = bisect.bisect_right(starts, begin) - 1
    token_end = starts[index] + len(texts[index])
    if end > token_end:
        raise NoConfidence("the score's digits span several tokens")
    prefix = joined[starts[index] : begin]
    token = tokens[index]
    own_logprob = _get(token, "logprob")
    if own_logprob is None:
        raise NoConfidence("the score's token has no logprob")
    values = set(rubric.values)
    scores: dict[int, float] = {}
    unsure = 0.0
    returned = 0.0
    own_listed = False
    alternatives = _get(token, "top_logprobs") or []
    for alt in alternatives:
        text = str(_get(alt, "token") or "")
        p = _prob(_get(alt, "logprob"))
        returned += p
        if text == texts[index] and not own_listed:
            own_listed = True
        value = _value(text, prefix)
        if value is None:
            if _could_lead(text, prefix):
                unsure += p
            continue
        if value in values:
            scores[value] = scores.get(value, 0.0) + p
    own = _value(texts[index], prefix)
    if not own_listed:
        p = _prob(own_logprob)
        returned += p
        if own is not None and own in values:
            scores[own] = scores.get(own, 0.0) + p
    missing = max(0.0, 1.0 - returned)
    chosen = scores.get(score, 0.0)
    others = sum(p for v, p in scores.items() if v != score)
    total = chosen + others + unsure + missing
    if total <= 0:
        raise NoConfidence("the score's token and its alternatives carry no probability")
    seen = chosen + others
    expected = sum(v * p for v, p in scores.items()) / seen if seen > 0 else None
    detail = {
        "token_index": index,
        "top_k": len(alternatives),
        "p_chosen": round(chosen, 6),
        "p_other_scores": round(others, 6),
        "p_unaccounted": round(unsure + missing, 6),
    }
    return Confidence(chosen / total, expected, LOWER_BOUND, detail)


def from_samples(scores: Sequence[int]) -> tuple[int, Confidence]:
    """The modal score of repeated answers (ties to the lower score), and the share agreeing."""
    counts = Counter(scores)
    top = max(counts.values())
    mode = min(s for s, c in counts.items() if c == top)
    expected = sum(scores) / len(scores)
    return mode, Confidence(top / len(scores), expected, "samples", {"samples": len(scores)})


def _value(text: str, prefix: str) -> int | None:
    """The integer a token puts where the score goes, if it puts one there."""
    rest = text[len(prefix) :] if prefix and text.startswith(prefix) else text.lstrip(_LEAD)
    found = _DIGITS.match(rest)
    return int(found.group(1)) if found else None


def _could_lead(text: str, prefix: str) -> bool:
    """Whether a token could still be followed by a score: nothing but what precedes digits."""
    rest = text[len(prefix) :] if prefix and text.startswith(prefix) else text
    return all(c in _LEAD or c == "-" for c in rest)


def _prob(logprob: Any) -> float:
    try:
        return math.exp(float(logprob))
    except (TypeError, ValueError, OverflowError):
        return 0.0


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
