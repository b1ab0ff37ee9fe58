"""`agreement --judge`: the LLM judge measured against the people's consensus."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui_annotate.core.results.agreement import Agreement


@dataclass(frozen=True, slots=True)
class PassFail:
    """Judge and human consensus reduced to PASS/FAIL: Cohen's kappa and percent agreement."""

    kappa: float | None
    percent: float | None
    reason: str | None
    units: int

    def to_json(self) -> dict[str, Any]:
        return {
            "kappa": self.kappa,
            "percent": self.percent,
            "reason": self.reason,
            "units": self.units,
        }


@dataclass(frozen=True, slots=True)
class TagHits:
    """One failure tag: how often people and the judge used it, and on the same items."""

    humans: int
    judge: int
    both: int
    recall: float | None
    precision: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "humans": self.humans,
            "judge": self.judge,
            "both": self.both,
            "recall": self.recall,
            "precision": self.precision,
        }


@dataclass(frozen=True, slots=True)
class Disagreement:
    """An item where the judge's score is furthest from the people's."""

    item: str
    judge: int
    humans: int
    gap: int
    rationale: str

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "judge": self.judge,
            "humans": self.humans,
            "gap": self.gap,
            "rationale": self.rationale,
        }


@dataclass(frozen=True, kw_only=True)
class JudgeReport:
    rubric: str
    #: The judge's annotator name (`judge:MODEL`).
    judge: str
    #: Items labelled by both the judge and people.
    items: int
    vs_consensus: Agreement
    with_judge: Agreement
    pass_fail: PassFail
    #: "human PASS" → {"judge PASS": n, "judge FAIL": n}, and the same for "human FAIL".
    confusion: Mapping[str, Mapping[str, int]]
    #: Human consensus score → judge score → items, every scale value as a string.
    score_confusion: Mapping[str, Mapping[str, int]]
    verdicts: Mapping[str, int]
    tags: Mapping[str, TagHits]
    largest_disagreements: tuple[Disagreement, ...]
    trustworthy: bool
    trust_reason: str
    min_kappa: float

    def to_json(self) -> dict[str, Any]:
        return {
            "rubric": self.rubric,
            "judge": self.judge,
            "items": self.items,
            "vs_consensus": self.vs_consensus.to_json(),
            "with_judge": self.with_judge.to_json(),
            "pass_fail": self.pass_fail.to_json(),
            "confusion": {h: dict(row) for h, row in self.confusion.items()},
            "score_confusion": {h: dict(row) for h, row in self.score_confusion.items()},
            "verdicts": dict(self.verdicts),
            "tags": {name: t.to_json() for name, t in self.tags.items()},
            "largest_disagreements": [g.to_json() for g in self.largest_disagreements],
            "trustworthy": self.trustworthy,
            "trust_reason": self.trust_reason,
            "min_kappa": self.min_kappa,
        }
