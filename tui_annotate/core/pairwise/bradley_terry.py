"""Bradley–Terry strengths from pairwise votes, and their seeded bootstrap, vectorised.

The model: P(i beats j) = p_i / (p_i + p_j). A tie counts as half a win each
way. It is fitted by Hunter's MM iteration (2004), p_i ← W_i / Σ_j n_ij /
(p_i + p_j), which raises the likelihood at every step.

Regularisation: every two versions also get PRIOR virtual games, won half by
each (a symmetric prior, like adding half a win and half a loss to every
pairing). Without it a version that won every vote has an infinite maximum-
likelihood strength (the likelihood keeps growing as p_i → ∞) and a version
compared with nobody has none at all; with it, every strength is finite, the
graph of comparisons is connected, the bootstrap replicates where a version
never loses stay finite, and no interval is NaN. One virtual game against
hundreds of real ones moves a strength by well under its interval.

Strengths are reported as log p, centred to mean 0 (only differences mean
anything). The bootstrap resamples votes: N votes drawn with replacement
fall into the (version pair, outcome) cells as one multinomial draw of N
over the cells' shares, the same distribution at a cost that doesn't grow
with N; all replicates then iterate together as (B, K, K) arrays.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Virtual games per pair of versions, split evenly (see the module docstring).
PRIOR = 1.0
#: The iteration stops when no log-strength moves more than this...
TOLERANCE = 1e-10
#: ...or after this many steps.
MAX_STEPS = 10_000
#: Outcomes of a vote among the decisive or tied ones (both-bad is left out).
A_WINS, B_WINS, TIE = 0, 1, 2


def win_matrix(
    a: IntArray, b: IntArray, outcome: IntArray, k: int, weights: FloatArray | None = None
) -> FloatArray:
    """k × k: W[i, j] = i's wins over j, a tie as half a win each way (one replicate)."""
    w = np.ones(len(a)) if weights is None else weights
    wins = np.zeros((k, k))
    win = np.where(outcome == B_WINS, b, a)
    lose = np.where(outcome == B_WINS, a, b)
    decisive = outcome != TIE
    np.add.at(wins, (win[decisive], lose[decisive]), w[decisive])
    tied = ~decisive
    np.add.at(wins, (a[tied], b[tied]), 0.5 * w[tied])
    np.add.at(wins, (b[tied], a[tied]), 0.5 * w[tied])
    return wins


def fit(wins: FloatArray, prior: float = PRIOR) -> FloatArray:
    """Log-strengths (mean 0) for one win matrix (k × k) or a stack of them (B × k × k)."""
    w = np.asarray(wins, dtype=float)
    single = w.ndim == 2
    if single:
        w = w[None]
    k = w.shape[-1]
    off = 1.0 - np.eye(k)
    w = w + (prior / 2.0) * off
    games = w + np.swapaxes(w, 1, 2)
    total = w.sum(axis=2)
    p = np.ones(w.shape[:2])
    logp = np.zeros_like(p)
    for _ in range(MAX_STEPS):
        denom = (games / (p[:, :, None] + p[:, None, :])).sum(axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = np.where(denom > 0, total / denom, 1.0)
        new_log = np.log(np.maximum(new, 1e-300))
        new_log -= new_log.mean(axis=1, keepdims=True)
        moved = float(np.abs(new_log - logp).max()) if new_log.size else 0.0
        logp, p = new_log, np.exp(new_log)
        if moved < TOLERANCE:
            break
    return logp[0] if single else logp


def cells(a: IntArray, b: IntArray, outcome: IntArray, k: int) -> IntArray:
    """Each vote's cell: (a, b, outcome) as one index into k * k * 3."""
    return (a * k + b) * 3 + outcome


def cell_matrix(k: int) -> FloatArray:
    """(k·k·3) × (k·k): what one vote in each cell adds to the flattened win matrix."""
    m = np.zeros((k * k * 3, k * k))
    for i in range(k):
        for j in range(k):
            base = (i * k + j) * 3
            m[base + A_WINS, i * k + j] = 1.0
            m[base + B_WINS, j * k + i] = 1.0
            m[base + TIE, i * k + j] = 0.5
            m[base + TIE, j * k + i] = 0.5
    return m


def bootstrap(
    a: IntArray,
    b: IntArray,
    outcome: IntArray,
    k: int,
    *,
    replicates: int,
    seed: int,
    prior: float = PRIOR,
) -> FloatArray:
    """replicates × k log-strengths, each from the votes resampled with replacement."""
    n = len(a)
    if n == 0 or replicates <= 0:
        return np.zeros((max(replicates, 0), k))
    counts = np.bincount(cells(a, b, outcome, k), minlength=k * k * 3)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, counts / n, size=replicates).astype(float)
    wins = (draws @ cell_matrix(k)).reshape(replicates, k, k)
    return np.asarray(fit(wins, prior))
