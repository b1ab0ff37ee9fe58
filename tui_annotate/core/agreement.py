"""Inter-annotator agreement: Krippendorff's alpha, a bootstrap interval, kappa, diagnostics.

Pure functions over arrays: no I/O, no UI. The point estimate of alpha comes
from the `krippendorff` package; the bootstrap re-derives alpha from per-unit
coincidence contributions so that a thousand replicates cost one matrix product.
Undefined results are `None` with a reason, never 0 or 1.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from tui_annotate.core.coincidence import (
    LEVELS,
    FloatArray,
    distances,
    numeric_values,
    undefined_reason,
    unit_coincidences,
)
from tui_annotate.core.results.alpha import CONFIDENCE, DEFAULT_BOOTSTRAP, BootstrapInfo
from tui_annotate.core.results.thresholds import PASS_ALPHA

#: Bootstrap replicates computed per matrix product.
BLOCK = 128
#: Above this many pairable units, sums over units are taken over their distinct count
#: rows (exact), and the bootstrap draws those rows' multiplicities (the same distribution).
MANY_UNITS = 20_000


@dataclass(frozen=True)
class Ratings:
    """Reliability data: annotators × units, each cell an index into `domain` or NaN (missing)."""

    units: tuple[Hashable, ...]
    annotators: tuple[str, ...]
    domain: tuple[Any, ...]
    matrix: FloatArray = field(repr=False)

    @classmethod
    def from_triples(
        cls,
        triples: Iterable[tuple[Hashable, str, Any]],
        domain: Sequence[Any] | None = None,
    ) -> Ratings:
        """Build from (unit, annotator, value) triples; the last triple for a cell wins.

        DOMAIN is the scale in scale order. Without it, numbers are sorted and
        strings keep their first-seen order (fine for nominal data only).
        """
        rows = list(triples)
        if domain is None:
            values = [v for _, _, v in rows]
            if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                domain = sorted(set(values))
            else:
                domain = list(dict.fromkeys(values))
        index = {v: i for i, v in enumerate(domain)}
        units = list(dict.fromkeys(u for u, _, _ in rows))
        annotators = sorted({a for _, a, _ in rows})
        unit_at = {u: i for i, u in enumerate(units)}
        ann_at = {a: i for i, a in enumerate(annotators)}
        matrix = np.full((len(annotators), len(units)), np.nan)
        for unit, annotator, value in rows:
            if value not in index:
                raise ValueError(f"value {value!r} is not on the scale {list(domain)}")
            matrix[ann_at[annotator], unit_at[unit]] = index[value]
        return cls(tuple(units), tuple(annotators), tuple(domain), matrix)

    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
        domain: Sequence[Any],
    ) -> Ratings:
        """Build from per-annotator arrays (unit ids, value indices into DOMAIN), no Python
        object per label: a million units take tens of MB, not a gigabyte.

        Units are the ids in ascending order (as from_triples gives them for
        triples ordered by unit). An index outside the domain is refused.
        """
        annotators = sorted(columns)
        parts = [columns[a][0] for a in annotators]
        ids_all = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        if len(ids_all) and ids_all.min() >= 0 and ids_all.max() < 8 * len(ids_all) + 1024:
            # Dense ids (database row ids): a mask finds the units in linear time.
            seen = np.zeros(int(ids_all.max()) + 1, dtype=bool)
            seen[ids_all] = True
            units = np.flatnonzero(seen)
        else:
            units = np.unique(ids_all)
        matrix = np.full((len(annotators), len(units)), np.nan)
        for row, name in enumerate(annotators):
            ids, values = columns[name]
            if len(values) and (values.min() < 0 or values.max() >= len(domain)):
                raise ValueError(f"a value of {name} is not on the scale {list(domain)}")
            matrix[row, np.searchsorted(units, ids)] = values
        return cls(tuple(units.tolist()), tuple(annotators), tuple(domain), matrix)

    def without(self, annotator: str) -> Ratings:
        keep = [i for i, a in enumerate(self.annotators) if a != annotator]
        return Ratings(
            self.units, tuple(self.annotators[i] for i in keep), self.domain, self.matrix[keep]
        )

    def value_counts(self) -> npt.NDArray[np.int64]:
        """units × values: how many annotators gave each value to each unit."""
        k = len(self.domain)
        counts = np.zeros((len(self.units), k), dtype=np.int64)
        for v in range(k):
            counts[:, v] = (self.matrix == v).sum(axis=0)
        return counts


@dataclass(frozen=True)
class Bootstrap:
    replicates: int
    undefined: int
    seed: int
    confidence: float
    ci: tuple[float, float] | None
    p_below: float | None
    threshold: float


@dataclass(frozen=True)
class AlphaResult:
    alpha: float | None
    level: str
    units: int
    annotators: int
    pairable_values: int
    reason: str | None = None
    bootstrap: Bootstrap | None = None

    @property
    def ci(self) -> tuple[float, float] | None:
        return self.bootstrap.ci if self.bootstrap else None


def alpha_fields(result: AlphaResult) -> dict[str, Any]:
    """The part every report shares (alpha or why not, its interval, the bootstrap), as the
    keyword arguments of a result's `AlphaFields`."""
    boot = result.bootstrap
    return {
        "alpha": result.alpha,
        "reason": result.reason,
        "ci": boot.ci if boot and boot.ci else None,
        "bootstrap": None
        if boot is None
        else BootstrapInfo(boot.replicates, boot.undefined, boot.seed, boot.confidence),
        "p_below_threshold": boot.p_below if boot else None,
    }


# -- alpha ----------------------------------------------------------------------


def alpha(
    ratings: Ratings,
    level: str,
    *,
    bootstrap: int = 0,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    threshold: float = PASS_ALPHA,
) -> AlphaResult:
    """Krippendorff's alpha at LEVEL over RATINGS, optionally with a bootstrap interval."""
    counts = ratings.value_counts()
    m = counts.sum(axis=1)
    pairable = m >= 2
    base = {
        "level": level,
        "units": int(pairable.sum()),
        "annotators": len(ratings.annotators),
        "pairable_values": int(m[pairable].sum()),
    }
    reason = undefined_reason(counts)
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r} (use one of {', '.join(LEVELS)})")
    if len(ratings.domain) < 2:
        reason = "the scale has fewer than two values"
    if reason is not None:
        return AlphaResult(alpha=None, reason=reason, **base)  # type: ignore[arg-type]
    if int(pairable.sum()) > MANY_UNITS:
        # The reference library builds units × V × V arrays (GBs at a million units);
        # the same coincidences summed over distinct count rows are exact and tiny.
        patterns, weights = count_patterns(counts[pairable])
        point = alpha_from_counts(patterns, ratings.domain, level, weights=weights)
        value = float("nan") if point is None else point
    else:
        import krippendorff  # the reference point estimate; numpy-heavy, so imported on use

        value = float(
            krippendorff.alpha(
                value_counts=counts[pairable],
                value_domain=numeric_values(ratings.domain, level)
                if level in ("interval", "ratio")
                else np.arange(len(ratings.domain)),
                level_of_measurement=cast(Any, level),
            )
        )
    if not math.isfinite(value):
        return AlphaResult(alpha=None, reason="expected disagreement is 0", **base)  # type: ignore[arg-type]
    boot = None
    if bootstrap > 0:
        boot = bootstrap_alpha(
            counts,
            ratings.domain,
            level,
            replicates=bootstrap,
            seed=seed,
            confidence=confidence,
            threshold=threshold,
        )
    return AlphaResult(alpha=value, bootstrap=boot, **base)  # type: ignore[arg-type]


def count_patterns(
    counts: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct unit × value count rows and how many units have each.

    Three annotators on a 5-point scale make at most 56 distinct rows,
    whatever the number of units: every sum over units is a sum over these.
    """
    if len(counts) == 0:
        return counts, np.zeros(0, dtype=np.int64)
    base = int(counts.max()) + 1
    k = counts.shape[1]
    if base**k > 10_000_000:  # too many annotators × values to number every row: sort rows
        rows, weights = np.unique(counts, axis=0, return_counts=True)
        return rows, weights.astype(np.int64)
    # Each row as one number in base BASE, then a histogram: linear, where sorting the rows
    # of a million units took seconds.
    powers = base ** np.arange(k, dtype=np.int64)
    codes = counts.astype(np.int64) @ powers
    histogram = np.bincount(codes, minlength=1)
    present = np.flatnonzero(histogram)
    rows = (present[:, None] // powers[None, :]) % base
    return rows.astype(np.int64), histogram[present].astype(np.int64)


def alpha_from_counts(
    counts: npt.NDArray[np.int64],
    domain: Sequence[Any],
    level: str,
    *,
    weights: npt.NDArray[np.int64] | None = None,
) -> float | None:
    """Alpha from unit × value counts via coincidences (the bootstrap's own formula).

    WEIGHTS: how many units each row of COUNTS stands for (count_patterns).
    """
    if undefined_reason(counts) is not None:
        return None
    per_unit = unit_coincidences(counts)
    if weights is not None:
        pairable = weights[counts.sum(axis=1) >= 2].astype(float)
        o = (per_unit * pairable[:, None, None]).sum(axis=0)
    else:
        o = per_unit.sum(axis=0)
    n_v = o.sum(axis=0)
    n = n_v.sum()
    d = distances(level, domain, n_v)
    expected = (np.outer(n_v, n_v) * d).sum()
    if expected == 0:
        return None
    return float(1.0 - (n - 1) * (o * d).sum() / expected)


def bootstrap_alpha(
    counts: npt.NDArray[np.int64],
    domain: Sequence[Any],
    level: str,
    *,
    replicates: int = DEFAULT_BOOTSTRAP,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    threshold: float = PASS_ALPHA,
) -> Bootstrap:
    """Resample pairable units with replacement and recompute alpha for each replicate.

    Observed and expected disagreement are both recomputed per replicate. A
    replicate with no variation has no alpha: it is skipped and counted.
    Vectorised: each unit's coincidence contribution is computed once, a
    replicate is a vector of unit weights, and all replicates are one matrix
    product (B × U) @ (U × V²).
    """
    m = counts.sum(axis=1)
    u, k = int((m >= 2).sum()), len(domain)
    rng = np.random.default_rng(seed)
    if u == 0:
        return Bootstrap(replicates, replicates, seed, confidence, None, None, threshold)
    if u > MANY_UNITS:
        # Drawing u units with replacement draws each distinct count row a multinomial
        # number of times: the same resampling distribution, at the cost of the few rows
        # (a draw of a million unit indices per replicate took seconds and GBs).
        patterns, weights = count_patterns(counts[m >= 2])
        per_pattern = unit_coincidences(patterns).reshape(len(patterns), k * k)
        draws = rng.multinomial(u, weights / weights.sum(), size=replicates).astype(float)
        return _bootstrap_result(
            draws @ per_pattern,
            domain,
            level,
            replicates=replicates,
            seed=seed,
            confidence=confidence,
            threshold=threshold,
        )
    per_unit = unit_coincidences(counts)
    flat_units = per_unit.reshape(u, k * k)
    blocks = []
    # In blocks, so the weight matrices stay a few MB however many units there are;
    # the draws are the same as one big draw, so results don't depend on the block size.
    for start in range(0, replicates, BLOCK):
        size = min(BLOCK, replicates - start)
        picks = rng.integers(0, u, size=(size, u))
        flat = (np.arange(size)[:, None] * u + picks).ravel()
        weights = np.bincount(flat, minlength=size * u).reshape(size, u).astype(float)
        blocks.append(weights @ flat_units)
    return _bootstrap_result(
        np.concatenate(blocks),
        domain,
        level,
        replicates=replicates,
        seed=seed,
        confidence=confidence,
        threshold=threshold,
    )


def _bootstrap_result(
    flat: FloatArray,
    domain: Sequence[Any],
    level: str,
    *,
    replicates: int,
    seed: int,
    confidence: float,
    threshold: float,
) -> Bootstrap:
    """Alpha per replicate from its coincidences (replicates × V²), and the interval."""
    k = len(domain)
    o = flat.reshape(replicates, k, k)
    n_v = o.sum(axis=1)
    n = n_v.sum(axis=1)
    d = distances(level, domain, n_v)
    observed = (o * d).sum(axis=(1, 2))
    expected = (n_v[:, :, None] * n_v[:, None, :] * d).sum(axis=(1, 2))
    defined = expected > 0
    values = 1.0 - (n[defined] - 1) * observed[defined] / expected[defined]
    undefined = int(replicates - defined.sum())
    if values.size == 0:
        return Bootstrap(replicates, undefined, seed, confidence, None, None, threshold)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return Bootstrap(
        replicates=replicates,
        undefined=undefined,
        seed=seed,
        confidence=confidence,
        ci=(float(low), float(high)),
        p_below=float((values < threshold).mean()),
        threshold=threshold,
    )
