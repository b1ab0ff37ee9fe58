"""Frozen dataclasses shared by every layer: what an item, a rubric and a label are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Source = Literal["batch", "live"]
ExampleKind = Literal["positive", "negative", "edge"]
Level = Literal["nominal", "ordinal", "interval", "ratio"]
Direction = Literal["higher", "lower"]
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


#: A validated item ready to insert, field for field the `items` columns it fills:
#: (external_id, content_hash, rank, output, input, context, prompt, prompt_version,
#:  source, metadata, import_file, import_line, imported_at).
#: A plain tuple, not a class: import makes these by the million, sends them from
#: the parsing process and hands them to executemany as they are.
#: The last two are the item's case (case_key) and its `timestamp` in UTC (logged_at).
NewItem = tuple[str, str, int, str, str, str, str, str, str, str, str, int, str, str, str]
ROW_EXTERNAL_ID = 0
ROW_CONTENT_HASH = 1
ROW_LINE = 11


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    """Who wants their next item, and on what terms (see Repository.claim_next)."""

    rubric: str
    annotator: str
    overlap: int
    start_rank: int
    exclude: tuple[int, ...] = ()
    include_skipped: bool = False
    drift_permille: int = 0
    calibration_only: bool = False


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
    #: Who the LLM judge is and what it grades; empty: a neutral default naming the title.
    judge_instructions: str = ""
    #: "higher": a high score is good (PASS at score >= threshold); "lower" (toxicity,
    #: hallucination): a low score is good (PASS at score <= threshold).
    direction: Direction = "higher"
    #: The question a pairwise A/B screen asks; empty: the rubric's question.
    pairwise_question: str = ""

    @property
    def pass_rule(self) -> str:
        """How the threshold reads, wherever it is shown: "PASS at 4+" or "PASS at 1 or less"."""
        if self.direction == "lower":
            return f"PASS at {self.pass_threshold} or less"
        return f"PASS at {self.pass_threshold}+"

    def passes(self, score: float) -> bool:
        if self.direction == "lower":
            return score <= self.pass_threshold
        return score >= self.pass_threshold

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
        return "PASS" if self.passes(score) else "FAIL"


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

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "read": self.read,
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "invalid": list(self.invalid),
        }


@dataclass(frozen=True, slots=True)
class Progress:
    """An annotator's progress on one rubric."""

    done: int
    remaining: int
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.done + self.remaining

    def moved(self, done: int = 0, remaining: int = 0, skipped: int = 0) -> Progress:
        """The counts after a key moved items between them (never below zero)."""
        return Progress(
            max(0, self.done + done),
            max(0, self.remaining + remaining),
            max(0, self.skipped + skipped),
        )


@dataclass(frozen=True, slots=True)
class Round:
    """A calibration round: a rubric version, its annotators and a sample of items."""

    id: int
    rubric: str
    rubric_version: str
    rubric_major: int
    status: Literal["open", "closed"]
    source: Literal["sample", "golden"]
    seed: int
    created_by: str
    created_at: str
    annotators: tuple[str, ...]
    items: int
    closed_at: str | None = None
    verdict: str | None = None
    alpha: float | None = None
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True, slots=True)
class GoldenLabel:
    """An adjudicated label: the lead's consensus score for an item, with a note."""

    item_id: int
    rubric: str
    rubric_version: str
    score: int
    note: str
    adjudicator: str
    round_id: int | None
    created_at: str


@dataclass(frozen=True, slots=True)
class RoundLabel:
    """One annotator's current label on a round item, with everything review shows."""

    item_id: int
    annotator: str
    score: int
    tags: tuple[str, ...]
    comment: str
