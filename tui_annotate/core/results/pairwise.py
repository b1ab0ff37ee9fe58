"""What pairwise A/B reports (issue 14): win rates per pair of versions, a ranking, position bias.

Plain frozen data with `to_json` (the issue's keys): `pairwise results`
prints it as text or JSON and the screen draws it, from the same object.
A rate or an interval over nothing is None (`null`), never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tui_annotate.core.results.decide import CI, ci_json

#: Position bias is flagged below this exact binomial p-value.
BIAS_P = 0.05


@dataclass(frozen=True, kw_only=True)
class PairResult:
    """One pair of versions: `a` is the one listed first in `--versions`."""

    a: str
    b: str
    #: Every current vote on the pair (ties and both-bad included).
    n: int
    a_wins: int
    b_wins: int
    ties: int
    both_bad: int
    #: (b_wins + ties / 2) / (a_wins + b_wins + ties); both-bad left out.
    win_rate_b: float | None
    #: Wilson's 95 % interval over the same counts (ties as half a win).
    ci: CI
    #: Exact two-sided binomial test of b_wins among a_wins + b_wins (ties, both-bad out).
    sign_test_p: float | None

    @property
    def both_bad_share(self) -> float | None:
        return self.both_bad / self.n if self.n else None

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "n": self.n,
            "a_wins": self.a_wins,
            "b_wins": self.b_wins,
            "ties": self.ties,
            "both_bad": self.both_bad,
            "both_bad_share": self.both_bad_share,
            "win_rate_b": self.win_rate_b,
            "ci": ci_json(self.ci),
            "sign_test_p": self.sign_test_p,
        }


@dataclass(frozen=True, kw_only=True)
class RankEntry:
    """One version's Bradley–Terry strength (log scale, mean 0) and its bootstrap interval."""

    version: str
    strength: float
    ci: CI
    rank: int
    #: Its interval overlaps that of the version ranked next to it (above or below).
    rank_uncertain: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "strength": self.strength,
            "ci": ci_json(self.ci),
            "rank": self.rank,
            "rank_uncertain": self.rank_uncertain,
        }


@dataclass(frozen=True, kw_only=True)
class SideShare:
    """The share of decisive votes that went to the left (top) response."""

    left_share: float | None
    n: int
    #: Exact two-sided binomial p against 0.5; 1.0 when n == 0.
    p: float
    flagged: bool

    def to_json(self) -> dict[str, Any]:
        return {"left_share": self.left_share, "n": self.n, "p": self.p, "flagged": self.flagged}


@dataclass(frozen=True, kw_only=True)
class PositionBias(SideShare):
    per_annotator: Mapping[str, SideShare] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            **super().to_json(),
            "per_annotator": {k: v.to_json() for k, v in self.per_annotator.items()},
        }


@dataclass(frozen=True, kw_only=True)
class PairAgreement:
    """Krippendorff's alpha (nominal) over pairs seen by two or more annotators."""

    alpha: float | None
    ci: CI
    units: int

    def to_json(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "ci": ci_json(self.ci), "units": self.units}


@dataclass(frozen=True, kw_only=True)
class PairwiseReport:
    task: int
    prompt: str
    versions: tuple[str, ...]
    pairs: tuple[PairResult, ...]
    ranking: tuple[RankEntry, ...]
    position_bias: PositionBias
    agreement: PairAgreement
    votes: int
    bootstrap: int
    seed: int

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "prompt": self.prompt,
            "versions": list(self.versions),
            "votes": self.votes,
            "pairs": [p.to_json() for p in self.pairs],
            "ranking": [r.to_json() for r in self.ranking],
            "position_bias": self.position_bias.to_json(),
            "agreement": self.agreement.to_json(),
            "bootstrap": {"replicates": self.bootstrap, "seed": self.seed},
        }


@dataclass(frozen=True, kw_only=True)
class AnnotatorProgress:
    annotator: str
    voted: int
    skipped: int

    def to_json(self) -> dict[str, Any]:
        return {"annotator": self.annotator, "voted": self.voted, "skipped": self.skipped}


@dataclass(frozen=True, kw_only=True)
class PairwiseStatus:
    task: int
    prompt: str
    versions: tuple[str, ...]
    annotators: tuple[str, ...]
    overlap: int
    pairs: int
    skipped_identical: int
    #: Pairs with at least one current vote, and votes needed in all (pairs × people).
    pairs_voted: int
    votes: int
    votes_wanted: int
    progress: tuple[AnnotatorProgress, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "prompt": self.prompt,
            "versions": list(self.versions),
            "annotators": list(self.annotators),
            "overlap": self.overlap,
            "pairs": self.pairs,
            "skipped_identical": self.skipped_identical,
            "pairs_voted": self.pairs_voted,
            "votes": self.votes,
            "votes_wanted": self.votes_wanted,
            "per_annotator": [p.to_json() for p in self.progress],
        }
