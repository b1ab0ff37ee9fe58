"""From a task's current votes to its report: win rates, a ranking, position bias, agreement.

The definitions are the issue's, word for word:

- per pair of versions, b's win rate counts a tie as half a win and leaves
  "both bad" out; its interval is Wilson's over the decisive votes plus the
  ties (ties as half a win); the sign test is the exact two-sided binomial
  test of b's wins among the decisive votes;
- the ranking is Bradley–Terry (bradley_terry.py) with percentile bootstrap
  intervals; a version's rank is uncertain when its interval overlaps that
  of a version ranked next to it;
- position bias is the share of decisive votes that went to the left (top)
  response, with the exact binomial p against 0.5, flagged below 0.05,
  overall and per annotator;
- agreement is Krippendorff's alpha (nominal) over pairs that two or more
  annotators voted on, each vote coded relative to the versions (a, b, tie,
  both bad), with calibration's bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations, pairwise

import numpy as np

from tui_annotate.core import agreement
from tui_annotate.core.decide.stats import binom_two_sided_p, wilson
from tui_annotate.core.pairwise import bradley_terry as bt
from tui_annotate.core.pairwise.models import CHOICES, Task, VoteRow
from tui_annotate.core.results.pairwise import (
    BIAS_P,
    PairAgreement,
    PairResult,
    PairwiseReport,
    PositionBias,
    RankEntry,
    SideShare,
)

#: Bootstrap replicates by default (BT and agreement).
DEFAULT_BOOTSTRAP = 1000


def pair_result(a: str, b: str, a_wins: int, b_wins: int, ties: int, both_bad: int) -> PairResult:
    """One pair of versions' counts and statistics, exactly as the module docstring says."""
    rated = a_wins + b_wins + ties
    decisive = a_wins + b_wins
    return PairResult(
        a=a,
        b=b,
        n=rated + both_bad,
        a_wins=a_wins,
        b_wins=b_wins,
        ties=ties,
        both_bad=both_bad,
        win_rate_b=(b_wins + ties / 2) / rated if rated else None,
        ci=wilson(b_wins + ties / 2, rated),
        sign_test_p=binom_two_sided_p(b_wins, decisive) if decisive else None,
    )


def side_share(left: int, n: int) -> SideShare:
    p = binom_two_sided_p(left, n)
    return SideShare(left_share=left / n if n else None, n=n, p=p, flagged=n > 0 and p < BIAS_P)


def report(
    task: Task,
    votes: Sequence[VoteRow],
    *,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int = 0,
) -> PairwiseReport:
    """The task's report over VOTES (each annotator's current vote on each pair)."""
    versions = task.versions
    k = len(versions)
    at = {v: i for i, v in enumerate(versions)}
    code = {c: i for i, c in enumerate(CHOICES)}
    n = len(votes)
    va = np.fromiter((at[v.version_a] for v in votes), dtype=np.int64, count=n)
    vb = np.fromiter((at[v.version_b] for v in votes), dtype=np.int64, count=n)
    choice = np.fromiter((code[v.choice] for v in votes), dtype=np.int64, count=n)
    b_left = np.fromiter((v.left == "b" for v in votes), dtype=bool, count=n)
    # a must be the version listed first: a pair stored the other way round is flipped.
    flip = va > vb
    va, vb = np.where(flip, vb, va), np.where(flip, va, vb)
    choice = np.where(flip & (choice < 2), 1 - choice, choice)
    b_left = np.where(flip, ~b_left, b_left)

    counts = np.bincount((va * k + vb) * 4 + choice, minlength=k * k * 4).reshape(k, k, 4)
    pairs = tuple(
        pair_result(versions[i], versions[j], *(int(x) for x in counts[i, j]))
        for i, j in combinations(range(k), 2)
    )
    rated = choice < 3
    ranking = rank(versions, va[rated], vb[rated], choice[rated], bootstrap=bootstrap, seed=seed)

    decisive = choice < 2
    left_won = decisive & ((choice == 1) == b_left)
    names_found, who = np.unique(
        np.array([v.annotator for v in votes], dtype=str), return_inverse=True
    )
    names = [str(x) for x in names_found]
    per_n = np.bincount(who[decisive], minlength=len(names))
    per_left = np.bincount(who[left_won], minlength=len(names))
    overall = side_share(int(left_won.sum()), int(decisive.sum()))
    bias = PositionBias(
        left_share=overall.left_share,
        n=overall.n,
        p=overall.p,
        flagged=overall.flagged,
        per_annotator={
            name: side_share(int(per_left[i]), int(per_n[i])) for i, name in enumerate(names)
        },
    )
    return PairwiseReport(
        task=task.id,
        prompt=task.prompt,
        versions=versions,
        pairs=pairs,
        ranking=ranking,
        position_bias=bias,
        agreement=pair_agreement(votes, flip, bootstrap=bootstrap, seed=seed),
        votes=n,
        bootstrap=bootstrap,
        seed=seed,
    )


def rank(
    versions: Sequence[str],
    a: np.ndarray,
    b: np.ndarray,
    outcome: np.ndarray,
    *,
    bootstrap: int,
    seed: int,
) -> tuple[RankEntry, ...]:
    """Bradley–Terry strengths, percentile intervals, ranks and which ranks are uncertain."""
    k = len(versions)
    if k < 2:
        return ()
    strength = bt.fit(bt.win_matrix(a, b, outcome, k))
    cis: list[tuple[float, float] | None] = [None] * k
    if bootstrap > 0 and len(a):
        draws = bt.bootstrap(a, b, outcome, k, replicates=bootstrap, seed=seed)
        low, high = np.percentile(draws, [2.5, 97.5], axis=0)
        cis = [(float(low[i]), float(high[i])) for i in range(k)]
    order = sorted(range(k), key=lambda i: (-strength[i], i))
    uncertain = [len(a) == 0] * k
    for upper, lower in pairwise(order):
        cu, cl = cis[upper], cis[lower]
        if cu is None or cl is None or cl[1] >= cu[0]:
            uncertain[upper] = uncertain[lower] = True
    return tuple(
        RankEntry(
            version=versions[i],
            strength=float(strength[i]),
            ci=cis[i],
            rank=place + 1,
            rank_uncertain=uncertain[i],
        )
        for place, i in enumerate(order)
    )


def pair_agreement(
    votes: Sequence[VoteRow], flip: np.ndarray, *, bootstrap: int, seed: int
) -> PairAgreement:
    """Alpha (nominal) over the pairs two or more annotators voted on, coded by version."""
    by_pair: dict[int, int] = {}
    for v in votes:
        by_pair[v.pair_id] = by_pair.get(v.pair_id, 0) + 1
    swap = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}
    triples = [
        (v.pair_id, v.annotator, swap[v.choice] if flipped else v.choice)
        for v, flipped in zip(votes, flip.tolist(), strict=True)
        if by_pair[v.pair_id] >= 2
    ]
    units = sum(1 for count in by_pair.values() if count >= 2)
    if not triples:
        return PairAgreement(alpha=None, ci=None, units=0)
    ratings = agreement.Ratings.from_triples(triples, domain=list(CHOICES))
    found = agreement.alpha(ratings, "nominal", bootstrap=bootstrap, seed=seed)
    return PairAgreement(alpha=found.alpha, ci=found.ci, units=units)
