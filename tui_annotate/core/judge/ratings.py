"""The judge's current ratings on a rubric as arrays: item ids, scores and confidences.

What `route` and the judge's report weigh, read in chunks (store/judge.py)
into three arrays: a million labels take 24 MB, where objects with their
parsed metadata took over a gigabyte.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


@dataclass(frozen=True)
class JudgeRatings:
    """ITEMS ascending; SCORES; CONFIDENCE (NaN where the label has none)."""

    items: npt.NDArray[np.int64]
    scores: npt.NDArray[np.int64]
    confidence: npt.NDArray[np.float64]


def judge_ratings(repo: Repository, rubric: str, model: str) -> JudgeRatings:
    items, scores, confidence = [], [], []
    for chunk in repo.judge.rating_chunks(rubric, model):
        items.append(np.fromiter((r[0] for r in chunk), dtype=np.int64, count=len(chunk)))
        scores.append(np.fromiter((r[1] for r in chunk), dtype=np.int64, count=len(chunk)))
        confidence.append(
            np.fromiter(
                (np.nan if r[2] is None else r[2] for r in chunk),
                dtype=np.float64,
                count=len(chunk),
            )
        )
    if not items:
        return JudgeRatings(
            np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=float)
        )
    return JudgeRatings(np.concatenate(items), np.concatenate(scores), np.concatenate(confidence))
