"""The small closed-form statistics every decision rests on, in one place.

Each function says what it returns when the evidence is empty: `None`, never
0 or 1, so a caller cannot print a rate nobody measured. numpy is imported
inside the one function that needs it (the binomial test), never at module import.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: The 97.5th percentile of the standard normal: a two-sided 95 % interval.
Z95 = 1.959964

Interval = tuple[float, float]
#: Up to this many trials the binomial test sums exact coefficients; above, logs in numpy.
_EXACT_UP_TO = 500


def wilson(k: float, n: float, z: float = Z95) -> Interval | None:
    """Wilson's score interval for k successes in n trials; None when n == 0.

    k may be fractional (a tie counted as half a win). Wilson's interval keeps
    its coverage near 0 and 1, where the textbook (Wald) interval collapses to
    a width of zero on 20/20.
    """
    if n <= 0:
        return None
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = (z / denom) * math.sqrt(max(p * (1 - p) / n + z2 / (4 * n * n), 0.0))
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate(k: float, n: float) -> float | None:
    """k / n, or None when nothing was counted."""
    return k / n if n > 0 else None


def rule_of_three(n: int) -> float | None:
    """The 95 % upper bound on a failure rate after n trials with no failure: 3/n (capped at 1)."""
    return min(1.0, 3.0 / n) if n > 0 else None


def binom_two_sided_p(k: int, n: int, p: float = 0.5) -> float:
    """The exact two-sided binomial test of k successes in n; 1.0 when n == 0.

    The minimum-likelihood rule scipy's `binomtest` uses: the sum of every
    outcome's probability that is no larger than the observed one's (with
    scipy's relative tolerance of 1e-7, so ties in a symmetric case count on
    both sides). Computed here in log space with numpy, exact to ~1e-12,
    because importing scipy.stats costs 0.3–0.7 s, a third of a command's
    2 s budget; tests/unit/test_decide_stats.py checks it against scipy.
    """
    if n <= 0:
        return 1.0
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be strictly between 0 and 1, not {p}")
    k, n = int(k), int(n)
    if n <= _EXACT_UP_TO:
        # Small n (every McNemar of a 40-case sample): plain floats of exact binomial
        # coefficients, so 2 × 0.5¹⁰ prints as 0.001953125, as scipy gives it.
        pmf = [math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
        cut = pmf[k] * (1 + 1e-7)
        return min(1.0, math.fsum(x for x in pmf if x <= cut))
    import numpy as np

    i = np.arange(1, n + 1, dtype=np.float64)
    # log C(n, i) for i = 0..n, as a running sum of log((n - i + 1) / i).
    log_choose = np.concatenate(([0.0], np.cumsum(np.log(n - i + 1) - np.log(i))))
    outcomes = np.arange(n + 1, dtype=np.float64)
    log_pmf = log_choose + outcomes * math.log(p) + (n - outcomes) * math.log1p(-p)
    observed = log_pmf[k] + math.log1p(1e-7)
    total = float(np.exp(log_pmf[log_pmf <= observed]).sum())
    return min(1.0, total)


def mcnemar_exact_p(pass_to_fail: int, fail_to_pass: int) -> float:
    """Exact McNemar: the binomial test of one discordant count out of all discordant pairs.

    1.0 when there are no discordant pairs (no evidence of any change).
    """
    return binom_two_sided_p(fail_to_pass, pass_to_fail + fail_to_pass, 0.5)


def holm(pvalues: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment; None entries (not tested) stay None and are not counted.

    Adjusted p = max over the earlier sorted steps of (m − i)·p, capped at 1, so
    the adjusted values keep the order of the raw ones.
    """
    tested = sorted((p, i) for i, p in enumerate(pvalues) if p is not None)
    m = len(tested)
    out: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for step, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (m - step) * p))
        out[i] = running
    return out


def newcombe_diff(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> Interval | None:
    """Newcombe's hybrid score interval (his method 10) for p2 − p1 of two independent rates.

    Built from the two Wilson intervals, so it behaves near 0 and 1 as they do.
    None when either side has n == 0.
    """
    a = wilson(k1, n1, z)
    b = wilson(k2, n2, z)
    if a is None or b is None:
        return None
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = a
    l2, u2 = b
    d = p2 - p1
    low = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return (max(-1.0, low), min(1.0, high))
