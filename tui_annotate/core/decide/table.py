"""One prompt's items and labels as columns: the one input of every decision statistic.

The store builds a `PromptTable` in a few queries (`Repository.prompt_table`);
scorecard, compare, gate, tags, trend, drift and the Decide screen all read it.
Resolution (golden > human consensus > judge, see `core/resolve.py`) happens
here, vectorised, so the numbers on every screen and in every export agree.

Row i of every array is one item. Scores are float64 with NaN for "no label",
so a missing label can never be counted as a 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from tui_annotate.core.decide.rowtexts import RowTexts
from tui_annotate.core.models import Direction

#: Which labels a command counts (`--source`): people only, the judge where no person
#: labelled, or prediction-powered inference (judge bulk corrected by the both-labelled items).
Source = Literal["human", "judge", "ppi"]
SOURCES: tuple[Source, ...] = ("human", "judge", "ppi")

#: Codes of `RubricColumn.resolved`'s second array.
NONE, GOLDEN, HUMAN, JUDGE = 0, 1, 2, 3
SOURCE_NAMES = ("", "golden", "human", "judge")


@dataclass(frozen=True, eq=False)
class RubricColumn:
    """Every item's labels on one rubric, aligned with the table's rows."""

    name: str
    #: "higher": PASS when score >= threshold; "lower" (toxicity): PASS when score <= threshold.
    direction: Direction
    threshold: int
    #: The rubric's newest registered version (part of the gate's lock).
    version: str
    #: The latest adjudicated golden score, NaN where none.
    golden: np.ndarray
    #: The human consensus: median-low of the annotators' current scores, NaN where none.
    human: np.ndarray
    #: How many people have a current score on the item (int32).
    n_human: np.ndarray
    #: The latest judge score, NaN where none.
    judge: np.ndarray
    #: Row → tags of the golden/human labels that FAIL (sorted, unique); rows with none absent.
    human_tags: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    #: Row → the judge's tags when its score FAILs; rows with none absent.
    judge_tags: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    #: Row → the people's comments on the item (non-empty ones, in label order).
    comments: Mapping[int, tuple[str, ...]] = field(default_factory=dict)

    def passes(self, scores: np.ndarray) -> np.ndarray:
        """1.0 PASS, 0.0 FAIL, NaN where the score is NaN (no label)."""
        with np.errstate(invalid="ignore"):
            ok = (
                scores >= self.threshold if self.direction == "higher" else scores <= self.threshold
            )
        out = ok.astype(np.float64)
        out[np.isnan(scores)] = np.nan
        return out

    def resolved(self, use_judge: bool) -> tuple[np.ndarray, np.ndarray]:
        """(score, source code) per row: golden, else human, else (if asked) judge, else NaN/NONE."""
        score = np.where(np.isnan(self.golden), self.human, self.golden)
        src = np.where(
            ~np.isnan(self.golden), GOLDEN, np.where(~np.isnan(self.human), HUMAN, NONE)
        ).astype(np.int8)
        if use_judge:
            fill = np.isnan(score) & ~np.isnan(self.judge)
            score = np.where(fill, self.judge, score)
            src[fill] = JUDGE
        return score, src

    def tags_of(self, row: int, src: int) -> tuple[str, ...]:
        """The tags a FAIL at ROW carries, from the labels its resolved score came from."""
        if src == JUDGE:
            return tuple(self.judge_tags.get(row, ()))
        return tuple(self.human_tags.get(row, ()))


@dataclass(frozen=True, eq=False)
class PromptTable:
    """One prompt's items (rows) with their version, case and every rubric's labels."""

    prompt: str
    #: The store's item ids (int64) and the ids people know them by (a tuple, or from the
    #: store a `RowTexts` fetching them when asked: see `external_ids_of`).
    item_ids: np.ndarray
    external_ids: Sequence[str]
    #: Per row, an index into `versions` (int32); versions sorted by semantic version.
    version_codes: np.ndarray
    versions: tuple[str, ...]
    #: Per row, an index into `cases` (int32): the `case` field, else the input text
    #: (`cases` a tuple, or from the store a `RowTexts`: see `cases_of`).
    case_codes: np.ndarray
    cases: Sequence[str]
    #: Per row, when the item happened: its `timestamp` field if any, else `imported_at`,
    #: as numpy datetime64[s] (UTC).
    times: np.ndarray
    #: Per row, the human labels on the item over all rubrics (breaks duplicate-case ties).
    n_human_total: np.ndarray
    rubrics: Mapping[str, RubricColumn]

    def __len__(self) -> int:
        return int(self.item_ids.shape[0])

    def external_ids_of(self, rows: Iterable[int]) -> list[str]:
        """The external ids of ROWS, fetched in one query where they are fetched at all."""
        return _take(self.external_ids, rows)

    def cases_of(self, codes: Iterable[int]) -> list[str]:
        """The names of the cases coded CODES, fetched in one query where fetched at all."""
        return _take(self.cases, codes)

    def version_rows(self, version: str) -> np.ndarray:
        """The rows of one version (an int index array)."""
        return np.flatnonzero(self.version_codes == self.versions.index(version))


def _take(texts: Sequence[str], at: Iterable[int]) -> list[str]:
    positions = [int(p) for p in at]
    if isinstance(texts, RowTexts):
        return texts.take(positions)
    return [texts[p] for p in positions]
