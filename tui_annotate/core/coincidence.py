"""The metric side of Krippendorff's alpha: value distances per level, unit coincidences.

Pure functions over numpy arrays, shared by the point estimate and the
bootstrap in core/agreement.py and the diagnostics in core/diagnostics.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

LEVELS = ("nominal", "ordinal", "interval", "ratio")

FloatArray = npt.NDArray[np.float64]


def numeric_values(domain: Sequence[Any], level: str) -> FloatArray:
    """The scale's values as numbers for interval and ratio data; positions otherwise."""
    if level in ("interval", "ratio"):
        try:
            return np.asarray([float(v) for v in domain])
        except (TypeError, ValueError):
            raise ValueError(f"{level} alpha needs numeric values, not {list(domain)}") from None
    return np.arange(len(domain), dtype=float)


def distances(level: str, domain: Sequence[Any], n_v: FloatArray) -> FloatArray:
    """Squared distance δ² between every pair of values; N_V may be a batch (B × V).

    Ordinal distances depend on how often each value was used (Krippendorff
    2011, eq. for ordinal metric), so they are recomputed for every replicate.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r} (use one of {', '.join(LEVELS)})")
    k = len(domain)
    if level == "nominal":
        d = 1.0 - np.eye(k)
        return d if n_v.ndim == 1 else np.broadcast_to(d, (*n_v.shape[:-1], k, k))
    if level == "ordinal":
        cs = np.cumsum(n_v, axis=-1)
        lo = np.minimum.outer(np.arange(k), np.arange(k))
        hi = np.maximum.outer(np.arange(k), np.arange(k))
        between = cs[..., hi] - cs[..., lo] + n_v[..., lo]  # sum of n_g for g in [lo, hi]
        d = (between - (n_v[..., :, None] + n_v[..., None, :]) / 2.0) ** 2
        return d * (1.0 - np.eye(k))
    x = numeric_values(domain, level)
    if level == "interval":
        d = np.subtract.outer(x, x) ** 2
    else:
        total = np.add.outer(x, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(total != 0, (np.subtract.outer(x, x) / total) ** 2, 0.0)
    return d if n_v.ndim == 1 else np.broadcast_to(d, (*n_v.shape[:-1], k, k))


def unit_coincidences(counts: npt.NDArray[np.int64]) -> FloatArray:
    """Each pairable unit's contribution to the coincidence matrix: units × V × V."""
    m = counts.sum(axis=1)
    pairable = counts[m >= 2].astype(float)
    m = m[m >= 2].astype(float)
    outer = pairable[:, :, None] * pairable[:, None, :]
    outer -= pairable[:, :, None] * np.eye(counts.shape[1])[None]
    return outer / (m - 1)[:, None, None]


def undefined_reason(counts: npt.NDArray[np.int64]) -> str | None:
    """Why alpha is undefined on these unit × value counts, or None when it is defined."""
    m = counts.sum(axis=1)
    if len(counts) == 0 or (m >= 2).sum() == 0:
        return "no unit has values from two or more annotators"
    used = counts[m >= 2].sum(axis=0)
    if (used > 0).sum() < 2:
        return "no variation: every pairable value is the same, so expected disagreement is 0"
    return None
