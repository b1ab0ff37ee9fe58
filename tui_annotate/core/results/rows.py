"""The rows of an agreement result's tables: per annotator, per pair, per disputed item.

A round's rows carry a little more than the agreement report's (labels *of* how many, the item's
database id, accuracy against the golden set); the extra keys appear in JSON only when set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AnnotatorRow:
    annotator: str
    labels: int
    alpha_without: float | None
    #: Mean (own − others' mean) in scale values; None for nominal.
    bias: float | None
    #: A round's size (labels of how many); None outside a round.
    of: int | None = None
    #: Golden rounds only: the share of gold items scored like the gold label, and how many.
    accuracy_vs_gold: float | None = None
    gold_items: int | None = None

    @property
    def graded(self) -> bool:
        """True in a golden round, where accuracy against the gold labels is reported."""
        return self.gold_items is not None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"annotator": self.annotator, "labels": self.labels}
        if self.of is not None:
            data["of"] = self.of
        data["alpha_without"] = self.alpha_without
        data["bias"] = self.bias
        if self.graded:
            data["accuracy_vs_gold"] = self.accuracy_vs_gold
            data["gold_items"] = self.gold_items
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AnnotatorRow:
        graded = "accuracy_vs_gold" in data
        return cls(
            annotator=str(data["annotator"]),
            labels=data.get("labels", 0),
            alpha_without=data.get("alpha_without"),
            bias=data.get("bias"),
            of=data.get("of"),
            accuracy_vs_gold=data.get("accuracy_vs_gold"),
            gold_items=data.get("gold_items", 0) if graded else None,
        )


@dataclass(frozen=True, slots=True)
class PairRow:
    a: str
    b: str
    units: int
    agreement: float | None

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "units": self.units, "agreement": self.agreement}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PairRow:
        return cls(str(data["a"]), str(data["b"]), data.get("units", 0), data.get("agreement"))


@dataclass(frozen=True, slots=True)
class DisputedRow:
    """An item the annotators scored furthest apart, with every annotator's score."""

    item: str
    spread: float
    scores: Mapping[str, Any]
    #: The item's database id (a round's result has it); None in the agreement report.
    item_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"item": self.item}
        if self.item_id is not None:
            data["item_id"] = self.item_id
        data["spread"] = self.spread
        data["scores"] = dict(self.scores)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DisputedRow:
        return cls(
            item=data["item"],
            spread=data.get("spread", 0),
            scores=dict(data.get("scores") or {}),
            item_id=data.get("item_id"),
        )
