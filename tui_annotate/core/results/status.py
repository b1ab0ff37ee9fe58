"""`status`: a project's items, labels per rubric and annotator, and what is left to label."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The label states counted per annotator, in the order they are reported.
KINDS = ("rated", "skipped", "flagged", "held", "lapsed")


@dataclass(frozen=True, slots=True)
class AnnotatorCounts:
    rated: int = 0
    skipped: int = 0
    flagged: int = 0
    #: Handed out, not yet labelled, on a live lease.
    held: int = 0
    #: Held by an annotator whose app stopped answering (the next who asks gets it).
    lapsed: int = 0

    def to_json(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in KINDS}


@dataclass(frozen=True, slots=True)
class RubricStatus:
    annotators: Mapping[str, AnnotatorCounts]
    labeled_items: int
    unlabeled_items: int

    def to_json(self) -> dict[str, Any]:
        return {
            "annotators": {a: c.to_json() for a, c in self.annotators.items()},
            "labeled_items": self.labeled_items,
            "unlabeled_items": self.unlabeled_items,
        }


@dataclass(frozen=True, slots=True)
class ProjectStatus:
    db: str
    schema_version: int
    items: int
    rubrics: Mapping[str, RubricStatus]

    def to_json(self) -> dict[str, Any]:
        return {
            "db": self.db,
            "schema_version": self.schema_version,
            "items": self.items,
            "rubrics": {name: r.to_json() for name, r in self.rubrics.items()},
        }
