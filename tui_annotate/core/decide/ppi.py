"""Prediction-powered inference (Angelopoulos et al. 2023): judge bulk corrected by people.

With N items only the judge labelled (its verdicts f) and n items both a person
and the judge labelled (the person's verdict Y, the judge's f):

    estimate = mean_N(f) + mean_n(Y − f)
    variance = var_N(f) / N + var_n(Y − f) / n          (sample variances, ddof = 1)
    interval = estimate ± 1.959964 · √variance, clipped to [0, 1] for a rate

The correction term removes the judge's bias as measured where both labelled,
so a lenient judge cannot inflate the pass rate; the interval widens with the
disagreement. The estimate needs N ≥ 1 and n ≥ 1 (else None); the interval
needs N ≥ 2 and n ≥ 2 for the sample variances (else None: undefined, not 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tui_annotate.core.decide.stats import Z95
from tui_annotate.core.results.decide import CI


@dataclass(frozen=True)
class PPIResult:
    estimate: float | None
    ci: CI
    #: Items only the judge labelled, and items both labelled.
    n_judge_only: int
    n_both: int


def ppi(
    judge_only: np.ndarray,
    human_both: np.ndarray,
    judge_both: np.ndarray,
    *,
    clip: tuple[float, float] | None = (0.0, 1.0),
) -> PPIResult:
    """The PPI mean of JUDGE_ONLY (f over N) corrected by HUMAN_BOTH − JUDGE_BOTH (over n).

    CLIP bounds the estimate and the interval (a rate lies in [0, 1]); None for a mean score.
    """
    f = np.asarray(judge_only, dtype=np.float64)
    rect = np.asarray(human_both, dtype=np.float64) - np.asarray(judge_both, dtype=np.float64)
    big_n, n = int(f.size), int(rect.size)
    if big_n < 1 or n < 1:
        return PPIResult(None, None, big_n, n)
    estimate = float(f.mean() + rect.mean())
    ci: CI = None
    if big_n >= 2 and n >= 2:
        variance = float(f.var(ddof=1)) / big_n + float(rect.var(ddof=1)) / n
        half = Z95 * math.sqrt(max(variance, 0.0))
        ci = (estimate - half, estimate + half)
        if clip is not None:
            ci = (min(max(ci[0], clip[0]), clip[1]), min(max(ci[1], clip[0]), clip[1]))
    if clip is not None:
        estimate = min(max(estimate, clip[0]), clip[1])
    return PPIResult(estimate, ci, big_n, n)
