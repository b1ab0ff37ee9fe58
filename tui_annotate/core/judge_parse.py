"""Read a judge's answer: a JSON object, possibly wrapped in prose or code fences, checked hard."""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tui_annotate.core.models import Rubric

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


class InvalidAnswer(ValueError):
    """The answer has no usable score; the raw text is kept as a failed attempt."""


@dataclass(frozen=True, slots=True)
class Judgement:
    score: int
    rationale: str
    tags: tuple[str, ...]
    dropped_tags: tuple[str, ...] = ()


def _objects(text: str) -> list[Any]:
    """Candidate JSON values in TEXT: the whole, fenced blocks, then every balanced {...}."""
    found: list[Any] = []
    for candidate in [text.strip(), *(m.group(1).strip() for m in _FENCE.finditer(text))]:
        with contextlib.suppress(ValueError):
            found.append(json.loads(candidate))
    decoder = json.JSONDecoder()
    for start in (m.start() for m in re.finditer(r"\{", text)):
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        found.append(value)
    return found


def parse(text: str | None, rubric: Rubric) -> Judgement:
    """The judgement in TEXT, or InvalidAnswer saying why there is none.

    A score must be an integer on the rubric's scale (a whole-number float
    or numeric string is accepted; 3.5 is not). Unknown tags are dropped and
    reported, not fatal: the score is what matters.
    """
    if not text or not text.strip():
        raise InvalidAnswer("empty answer")
    objects = [o for o in _objects(text) if isinstance(o, dict) and "score" in o]
    if not objects:
        raise InvalidAnswer("no JSON object with a score in the answer")
    data = objects[0]
    raw = data["score"]
    if isinstance(raw, bool):
        raise InvalidAnswer(f"score {raw!r} is not a number")
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            raise InvalidAnswer(f"score {data['score']!r} is not a number") from None
    if not isinstance(raw, int | float) or not float(raw).is_integer():
        raise InvalidAnswer(f"score {data['score']!r} is not a whole number")
    score = int(raw)
    if rubric.level_for(score) is None:
        raise InvalidAnswer(f"score {score} is not on the scale {list(rubric.values)}")
    rationale = data.get("rationale", "")
    rationale = rationale if isinstance(rationale, str) else json.dumps(rationale)
    tags = data.get("tags") or []
    if not isinstance(tags, list):
        tags = [tags]
    known = {t.name for t in rubric.tags}
    good = tuple(dict.fromkeys(t for t in tags if isinstance(t, str) and t in known))
    dropped = tuple(str(t) for t in tags if not (isinstance(t, str) and t in known))
    return Judgement(score, rationale.strip(), good, dropped)


@dataclass(frozen=True, slots=True)
class Confidence:
    """How sure the judge was: P(chosen score), the expected score, and how it was measured."""

    value: float
    expected: float | None
    method: str  # "logprobs" or "samples"


def from_logprobs(tokens: Sequence[Any] | None, score: int, rubric: Rubric) -> Confidence | None:
    """P(score) from the token that carries the score digit (the first digit token after
    'score'), renormalised over the scale's values among its top alternatives."""
    if not tokens:
        return None
    values = {str(v): v for v in rubric.values}
    seen_key = False
    for token in tokens:
        text = _get(token, "token") or ""
        if "score" in text:
            seen_key = True
            continue
        if not seen_key or text.strip() not in values:
            continue
        alternatives = _get(token, "top_logprobs") or []
        probs: dict[int, float] = {}
        for alt in alternatives:
            alt_text = (_get(alt, "token") or "").strip()
            if alt_text in values:
                probs[values[alt_text]] = probs.get(values[alt_text], 0.0) + math.exp(
                    float(_get(alt, "logprob"))
                )
        own = values[text.strip()]
        if own not in probs:
            probs[own] = math.exp(float(_get(token, "logprob")))
        total = sum(probs.values())
        if total <= 0:
            return None
        expected = sum(v * p for v, p in probs.items()) / total
        return Confidence(probs.get(score, 0.0) / total, expected, "logprobs")
    return None


def from_samples(scores: Sequence[int]) -> tuple[int, Confidence]:
    """The modal score of repeated answers (ties to the lower score), and the share agreeing."""
    counts = Counter(scores)
    top = max(counts.values())
    mode = min(s for s, c in counts.items() if c == top)
    expected = sum(scores) / len(scores)
    return mode, Confidence(top / len(scores), expected, "samples")


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
