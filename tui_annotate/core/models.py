"""Frozen dataclasses shared by every layer: what an item, a rubric and a label are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Source = Literal["batch", "live"]
ExampleKind = Literal["positive", "negative", "edge"]
Level = Literal["nominal", "ordinal", "interval", "ratio"]
# What an appended label event says. `rate` sets the current label, `retract`
# (an undo) clears it, `skip` parks the item for this annotator; `flag` and
# `unflag` mark it for expert review without touching the rating.
EventKind = Literal["rate", "retract", "skip", "flag", "unflag"]


@dataclass(frozen=True, slots=True)
class Item:
    """One model output to be judged, with what the model was given."""

    id: int
    external_id: str
    output: str
    input: str = ""
    context: str = ""
    prompt: str = ""
    prompt_version: str = ""
    source: Source = "batch"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewItem:
    """A validated item ready to insert (ingest builds these)."""

    external_id: str
    content_hash: str
    rank: int
    output: str
    input: str
    context: str
    prompt: str
    prompt_version: str
    source: str
    metadata: str
    line: int


@dataclass(frozen=True, slots=True)
class ScaleLevel:
    """One point of a rubric's scale and the anchor that says what it means."""

    value: int
    label: str
    description: str
    key: str


@dataclass(frozen=True, slots=True)
class Tag:
    """A failure mode an annotator can attach to a label."""

    name: str
    key: str
    description: str


@dataclass(frozen=True, slots=True)
class Example:
    """A few-shot example shown to annotators (and later to the judge)."""

    kind: ExampleKind
    output: str
    score: int
    rationale: str
    input: str = ""
    context: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rubric:
    """A versioned question with an anchored scale, a PASS threshold, tags and examples."""

    name: str
    version: str
    title: str
    question: str
    scale: tuple[ScaleLevel, ...]
    pass_threshold: int
    level: Level = "ordinal"
    guidelines: str = ""
    tags: tuple[Tag, ...] = ()
    examples: tuple[Example, ...] = ()
    path: str = ""

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])

    @property
    def values(self) -> tuple[int, ...]:
        """The scale's values in scale order (best first, as written)."""
        return tuple(level.value for level in self.scale)

    def level_for(self, value: int) -> ScaleLevel | None:
        for level in self.scale:
            if level.value == value:
                return level
        return None

    def level_for_key(self, key: str) -> ScaleLevel | None:
        for level in self.scale:
            if level.key == key:
                return level
        return None

    def verdict(self, score: float) -> str:
        return "PASS" if score >= self.pass_threshold else "FAIL"


@dataclass(frozen=True, slots=True)
class LabelEvent:
    """One appended row of the label log, as the core sees it."""

    id: int
    item_id: int
    rubric: str
    rubric_version: str
    annotator: str
    kind: EventKind
    score: int | None
    tags: tuple[str, ...]
    comment: str
    seconds: float
    created_at: str
    calibration: bool = False


@dataclass(frozen=True, slots=True)
class CurrentLabel:
    """An annotator's current label on an item: derived from the event log."""

    item_id: int
    annotator: str
    score: int
    tags: tuple[str, ...]
    comment: str
    rubric_version: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Draft:
    """Tags and a comment typed before the rating key, kept so nothing typed is lost."""

    tags: tuple[str, ...] = ()
    comment: str = ""


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did, for the CLI to report."""

    file: str
    read: int
    inserted: int
    duplicates: int
    invalid: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Progress:
    """An annotator's progress on one rubric."""

    done: int
    remaining: int
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.done + self.remaining
