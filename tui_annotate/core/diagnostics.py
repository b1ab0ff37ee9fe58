"""Who disagrees with whom: alpha without each annotator, bias, pairwise agreement, the most
disputed units, and Cohen's kappa between two raters.

Beside agreement.py (alpha and its bootstrap), over the same `Ratings`; pure functions over
arrays, no I/O. Undefined results are `None` with a reason, never 0 or 1.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_annotate.core.agreement import FloatArray, Ratings, alpha, numeric_values

# -- diagnostics ------------------------------------------------------------------


@dataclass(frozen=True)
class AnnotatorDiagnostics:
    annotator: str
    labels: int
    alpha_without: float | None
    bias: float | None  # mean (own − others' mean), in scale values; None for nominal


@dataclass(frozen=True)
class PairAgreement:
    a: str
    b: str
    units: int
    agreement: float | None


@dataclass(frozen=True)
class DisputedUnit:
    unit: Hashable
    spread: float
    scores: dict[str, Any]


def _values(ratings: Ratings, level: str) -> FloatArray:
    """Annotators × units in scale values (for bias and spread); indices for nominal."""
    x = numeric_values(ratings.domain, level) if level in ("interval", "ratio") else None
    if x is None:
        try:
            x = np.asarray([float(v) for v in ratings.domain])
        except (TypeError, ValueError):
            x = np.arange(len(ratings.domain), dtype=float)
    out = np.full(ratings.matrix.shape, np.nan)
    present = ~np.isnan(ratings.matrix)
    out[present] = x[ratings.matrix[present].astype(int)]
    return out


def per_annotator(ratings: Ratings, level: str) -> list[AnnotatorDiagnostics]:
    """Alpha without each annotator, and each one's mean bias against the others."""
    values = _values(ratings, level)
    result = []
    for i, name in enumerate(ratings.annotators):
        without = alpha(ratings.without(name), level).alpha if len(ratings.annotators) > 2 else None
        own = values[i]
        others = np.delete(values, i, axis=0)
        have_others = (~np.isnan(others)).any(axis=0)
        both = ~np.isnan(own) & have_others
        bias = None
        if level != "nominal" and both.any():
            with np.errstate(invalid="ignore"):
                others_mean = np.nanmean(others[:, both], axis=0)
            bias = float(np.mean(own[both] - others_mean))
        result.append(AnnotatorDiagnostics(name, int((~np.isnan(own)).sum()), without, bias))
    return result


def pairwise(ratings: Ratings) -> list[PairAgreement]:
    """Exact agreement for every pair of annotators on the units both labelled."""
    m = ratings.matrix
    out = []
    for i in range(len(ratings.annotators)):
        for j in range(i + 1, len(ratings.annotators)):
            both = ~np.isnan(m[i]) & ~np.isnan(m[j])
            n = int(both.sum())
            agree = float((m[i, both] == m[j, both]).mean()) if n else None
            out.append(PairAgreement(ratings.annotators[i], ratings.annotators[j], n, agree))
    return out


def disputed(ratings: Ratings, level: str, limit: int = 10) -> list[DisputedUnit]:
    """Units ranked by the spread of their scores (range; distinct values for nominal).

    Ties go to the larger standard deviation, then to the earlier unit.
    Computed over all units at once: only the LIMIT shown become objects.
    """
    values = _values(ratings, level)
    present = ~np.isnan(values)
    rated = present.sum(axis=0)
    if values.size == 0:
        return []
    if level == "nominal":
        k = len(ratings.domain)
        idx = np.where(present, ratings.matrix, 0).astype(int)
        seen = np.zeros((k, values.shape[1]), dtype=bool)
        for a in range(values.shape[0]):
            seen[idx[a], np.arange(values.shape[1])] |= present[a]
        spread = seen.sum(axis=0).astype(float) - 1.0
    else:
        with np.errstate(invalid="ignore"):
            high = np.where(present, values, -np.inf).max(axis=0)
            low = np.where(present, values, np.inf).min(axis=0)
        spread = np.where(rated >= 2, high - low, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(present, values, 0.0).sum(axis=0) / np.maximum(rated, 1)
        var = (np.where(present, values - mean, 0.0) ** 2).sum(axis=0) / np.maximum(rated, 1)
    std = np.sqrt(var)
    candidates = np.flatnonzero((rated >= 2) & (spread > 0))
    order = candidates[np.lexsort((-std[candidates], -spread[candidates]))][:limit]
    out = []
    for u in order.tolist():
        scores = {
            ratings.annotators[a]: ratings.domain[int(ratings.matrix[a, u])]
            for a in np.flatnonzero(present[:, u])
        }
        out.append(DisputedUnit(ratings.units[u], float(spread[u]), scores))
    return out


# -- two raters ----------------------------------------------------------------


@dataclass(frozen=True)
class TwoRaterAgreement:
    units: int
    percent: float | None
    kappa: float | None
    reason: str | None = None


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> TwoRaterAgreement:
    """Cohen's kappa and percent agreement for paired labels (None where a label is missing)."""
    return kappa_from_table(
        Counter((x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None)
    )


def kappa_from_table(table: Mapping[tuple[Any, Any], int]) -> TwoRaterAgreement:
    """Cohen's kappa and percent agreement from how many units got each pair of labels
    {(first rater's, second rater's): units}: the judge's report counts a million pairs
    in arrays and hands over the four cells of PASS/FAIL."""
    n = sum(table.values())
    if n == 0:
        return TwoRaterAgreement(0, None, None, "no unit labelled by both raters")
    p_o = sum(k for (x, y), k in table.items() if x == y) / n
    first: Counter[Any] = Counter()
    second: Counter[Any] = Counter()
    for (x, y), k in table.items():
        first[x] += k
        second[y] += k
    p_e = sum((first[c] / n) * (second[c] / n) for c in first.keys() | second.keys())
    if math.isclose(p_e, 1.0):
        return TwoRaterAgreement(n, p_o, None, "both raters used one and the same category only")
    return TwoRaterAgreement(n, p_o, (p_o - p_e) / (1.0 - p_e))
