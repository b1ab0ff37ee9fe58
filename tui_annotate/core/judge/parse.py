"""Read a judge's answer: a JSON object, possibly wrapped in prose or code fences, checked hard."""

from __future__ import annotations

import contextlib
import json
import re
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
    # strict=False: raw control characters inside strings (a tab, a newline), which some
    # grammars let a model write, don't cost a valid judgement.
    for candidate in [text.strip(), *(m.group(1).strip() for m in _FENCE.finditer(text))]:
        with contextlib.suppress(ValueError):
            found.append(json.loads(candidate, strict=False))
    decoder = json.JSONDecoder(strict=False)
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
