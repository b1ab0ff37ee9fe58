"""Seeded percentile bootstraps, vectorised: a mean, a paired difference, a weighted composite.

Resampling N rows with replacement only matters through how many times each
*distinct* row is drawn, and that is one multinomial draw over the distinct
rows with their frequencies: the same resampling distribution as drawing N
indices, at the cost of the few distinct rows instead of N. Scores sit on a
small scale and verdicts are 0/1, so a version's 100,000 items are a handful of
patterns, and 2,000 replicates are one (B × P) @ (P × K) matrix product.
Replicates are drawn in chunks so memory stays bounded whatever P is.

Every statistic is a function of per-replicate column sums (`resample_sums`);
a replicate whose statistic is undefined (a rubric with no label in it) is
left out of the percentiles. The interval is the 2.5th and 97.5th percentile
(numpy's default linear interpolation); None when there is nothing to resample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tui_annotate.core.results.decide import CI

DEFAULT_REPLICATES = 2000
DEFAULT_SEED = 0
#: Multinomial draws held at once: chunk × patterns counts (about 8 MB).
CHUNK_CELLS = 1_000_000
#: A column whose values are whole numbers within this range is coded by offset, unsorted.
SMALL_RANGE = 1024
#: Combined codes up to this are counted with bincount rather than sorted.
BINCOUNT_LIMIT = 4_000_000


def _column_codes(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(per row a code 0..k−1, the k values): a direct offset for small whole numbers (scores,
    verdicts, their differences: no sort), else numpy's unique."""
    lo, hi = float(column.min()), float(column.max())
    if hi - lo < SMALL_RANGE:
        codes = column - lo
        whole = codes.astype(np.int64)
        if np.array_equal(whole, codes):
            return whole, np.arange(int(hi - lo) + 1, dtype=np.float64) + lo
    values, inverse = np.unique(column, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), values


def distinct_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct rows of X, how often each occurs), X a rows × K float matrix without NaN.

    Each column is coded by its values and the codes combined in mixed radix:
    one integer count (or sort) instead of numpy's slow row-wise unique.
    """
    if x.shape[0] == 0:
        return x[:0], np.zeros(0, dtype=np.int64)
    code = np.zeros(x.shape[0], dtype=np.int64)
    radices: list[tuple[int, np.ndarray]] = []
    radix = 1
    for k in range(x.shape[1]):
        codes, values = _column_codes(x[:, k])
        if radix * len(values) >= 2**62:
            # Too many combinations for one integer (continuous data): fall back to row-wise.
            rows, counts = np.unique(x, axis=0, return_counts=True)
            return rows, counts.astype(np.int64)
        code += codes * radix
        radices.append((radix, values))
        radix *= len(values)
    if radix <= BINCOUNT_LIMIT:
        counts = np.bincount(code, minlength=radix)
        present = np.flatnonzero(counts)
        counts = counts[present]
    else:
        present, counts = np.unique(code, return_counts=True)
    rows = np.column_stack([values[(present // r) % len(values)] for r, values in radices]).astype(
        np.float64
    )
    return rows, counts.astype(np.int64)


def resample_sums(
    x: np.ndarray,
    *,
    replicates: int,
    seed: int,
    features: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Per replicate (rows), the column sums of X over a resample of its rows with replacement.

    X is rows × K without NaN; returns replicates × K. Empty X gives zeros.
    With FEATURES, X holds compact state codes and the sums are of FEATURES(rows
    of X) instead: fewer distinct rows, so fewer multinomial cells to draw.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    patterns, counts = distinct_rows(x)
    if features is not None:
        patterns = features(patterns)
    n = int(counts.sum())
    out = np.zeros((replicates, patterns.shape[1]))
    if n == 0 or replicates <= 0:
        return out
    rng = np.random.default_rng(seed)
    probs = counts / n
    chunk = max(1, CHUNK_CELLS // max(1, len(patterns)))
    for start in range(0, replicates, chunk):
        size = min(chunk, replicates - start)
        draws = rng.multinomial(n, probs, size=size).astype(np.float64)
        out[start : start + size] = draws @ patterns
    return out


def percentile_ci(stats: np.ndarray) -> CI:
    """The 2.5th and 97.5th percentiles of the defined (non-NaN) replicates; None if none."""
    stats = np.asarray(stats, dtype=np.float64)
    stats = stats[~np.isnan(stats)]
    if stats.size == 0:
        return None
    low, high = np.percentile(stats, [2.5, 97.5])
    return (float(low), float(high))


def bootstrap_mean(
    values: np.ndarray, *, replicates: int = DEFAULT_REPLICATES, seed: int = DEFAULT_SEED
) -> CI:
    """Percentile interval of the mean of VALUES (NaN dropped); None when there are none."""
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    sums = resample_sums(values, replicates=replicates, seed=seed)
    return percentile_ci(sums[:, 0] / values.size)


def bootstrap_paired(
    diffs: np.ndarray, *, replicates: int = DEFAULT_REPLICATES, seed: int = DEFAULT_SEED
) -> list[CI]:
    """Intervals of the mean of each column of DIFFS (cases × K, B − A), cases resampled jointly.

    A paired bootstrap over cases: mean(B) − mean(A) over a resample of cases is
    the mean of the per-case differences, so the pass-rate and the mean-score
    difference share one draw of cases. All None when there are no cases.
    """
    diffs = np.asarray(diffs, dtype=np.float64)
    if diffs.ndim == 1:
        diffs = diffs[:, None]
    if diffs.shape[0] == 0:
        return [None] * diffs.shape[1]
    sums = resample_sums(diffs, replicates=replicates, seed=seed)
    return [percentile_ci(sums[:, k] / diffs.shape[0]) for k in range(diffs.shape[1])]


def composite_value(rates: Sequence[float | None], weights: Sequence[float]) -> float | None:
    """The weighted mean of the defined rates; None when no rate is defined."""
    num = sum(w * r for r, w in zip(rates, weights, strict=True) if r is not None)
    den = sum(w for r, w in zip(rates, weights, strict=True) if r is not None)
    return num / den if den > 0 else None


def bootstrap_composite(
    passes: np.ndarray,
    weights: Sequence[float],
    *,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = DEFAULT_SEED,
) -> CI:
    """Interval of the weighted mean of per-rubric pass rates, items resampled jointly.

    PASSES is items × rubrics of 1.0/0.0/NaN (no label). In each replicate a
    rubric's rate is PASS / labelled over the drawn items, and the composite the
    weighted mean over the rubrics with a label among them. None with no label at all.
    """
    passes = np.asarray(passes, dtype=np.float64)
    has = ~np.isnan(passes)
    if not has.any():
        return None
    x = np.concatenate([np.where(has, passes, 0.0), has.astype(np.float64)], axis=1)
    sums = resample_sums(x[has.any(axis=1)], replicates=replicates, seed=seed)
    r = passes.shape[1]
    return _composite_ci(sums[:, :r], sums[:, r:], weights)


def bootstrap_composite_ppi(
    judge_only: np.ndarray,
    both_diff: np.ndarray,
    weights: Sequence[float],
    *,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = DEFAULT_SEED,
) -> CI:
    """The composite of prediction-powered pass rates, items resampled jointly.

    JUDGE_ONLY is items × rubrics of the judge verdict f where only the judge
    labelled (NaN elsewhere); BOTH_DIFF the human verdict minus the judge's
    (Y − f) where both labelled. A rubric's rate in a replicate is
    mean(f) + mean(Y − f), defined when both parts have an item.
    """
    f = np.asarray(judge_only, dtype=np.float64)
    d = np.asarray(both_diff, dtype=np.float64)
    hf, hd = ~np.isnan(f), ~np.isnan(d)
    keep = hf.any(axis=1) | hd.any(axis=1)
    if not keep.any():
        return None
    # One state per rubric: 0 neither, 1/2 judge only (f = 1/0), 3/4/5 both (Y − f = −1/0/1).
    with np.errstate(invalid="ignore"):
        state = np.where(hf, 2.0 - f, 0.0) + np.where(hd, 4.0 + d, 0.0)
    r = f.shape[1]

    def features(states: np.ndarray) -> np.ndarray:
        s = states.astype(np.int64)
        judge, both = (s == 1) | (s == 2), s >= 3
        return np.concatenate(
            [(s == 1).astype(float), judge.astype(float), np.where(both, s - 4.0, 0.0), both],
            axis=1,
        ).astype(np.float64)

    sums = resample_sums(state[keep], replicates=replicates, seed=seed, features=features)
    fs, fn, ds, dn = (sums[:, i * r : (i + 1) * r] for i in range(4))
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where((fn > 0) & (dn > 0), fs / fn + ds / dn, np.nan)
    rates = np.clip(rates, 0.0, 1.0)
    return _weighted_ci(rates, weights)


def _composite_ci(num: np.ndarray, den: np.ndarray, weights: Sequence[float]) -> CI:
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(den > 0, num / den, np.nan)
    return _weighted_ci(rates, weights)


def _weighted_ci(rates: np.ndarray, weights: Sequence[float]) -> CI:
    w = np.asarray(weights, dtype=np.float64)[None, :]
    defined = ~np.isnan(rates)
    wsum = (w * defined).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        comp = np.where(wsum > 0, (np.where(defined, rates, 0.0) * w).sum(axis=1) / wsum, np.nan)
    return percentile_ci(comp)
