"""Pairwise statistics against independent computations on fixed data (issue 14)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest

from tui_annotate.core.pairwise import bradley_terry as bt
from tui_annotate.core.pairwise.models import Choice, Side, Task, VoteRow
from tui_annotate.core.pairwise.report import pair_result, report

VERSIONS = ("1.0.0", "1.1.0", "1.2.0")


def votes(*spec: tuple[str, str, Choice, Side, int], annotator: str = "ana") -> list[VoteRow]:
    """(a, b, choice, left, how many) → that many votes, each on a pair of its own."""
    out: list[VoteRow] = []
    for a, b, choice, left, count in spec:
        for _ in range(count):
            out.append(VoteRow(len(out), annotator, a, b, choice, left))
    return out


def wilson_by_hand(k: float, n: float, z: float = 1.959964) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_pair_counts_and_tests_match_scipy() -> None:
    r = pair_result("1.0.0", "1.1.0", a_wins=7, b_wins=18, ties=0, both_bad=3)
    assert (r.n, r.a_wins, r.b_wins, r.ties, r.both_bad) == (28, 7, 18, 0, 3)
    assert r.win_rate_b == pytest.approx(18 / 25)
    ci = binomtest(18, 25).proportion_ci(method="wilson")
    assert r.ci == pytest.approx((ci.low, ci.high), abs=1e-6)
    assert r.sign_test_p == pytest.approx(binomtest(18, 25, 0.5).pvalue)
    assert r.both_bad_share == pytest.approx(3 / 28)


def test_ties_count_half_a_win_and_leave_the_sign_test() -> None:
    r = pair_result("a", "b", a_wins=4, b_wins=10, ties=6, both_bad=5)
    assert r.win_rate_b == pytest.approx((10 + 3) / 20)
    assert r.ci == pytest.approx(wilson_by_hand(13, 20), abs=1e-9)
    assert r.sign_test_p == pytest.approx(binomtest(10, 14).pvalue)
    assert r.n == 25


def test_no_decisive_votes() -> None:
    all_ties = pair_result("a", "b", a_wins=0, b_wins=0, ties=5, both_bad=0)
    assert all_ties.win_rate_b == 0.5
    assert all_ties.sign_test_p is None
    assert all_ties.ci is not None and all_ties.ci[0] < 0.5 < all_ties.ci[1]
    nothing = pair_result("a", "b", a_wins=0, b_wins=0, ties=0, both_bad=4)
    assert (nothing.win_rate_b, nothing.ci, nothing.sign_test_p) == (None, None, None)
    assert nothing.both_bad_share == 1.0


def test_bradley_terry_known_answer_without_prior() -> None:
    """Win counts exactly proportional to strengths 1, 2, 4: the MLE is those strengths."""
    wins = np.array([[0, 10, 10], [20, 0, 10], [40, 20, 0]], dtype=float)
    # 1 vs 2: 10 of 30 (1/3); 2 vs 4: 10 of 30; 1 vs 4: 10 of 50 (1/5). All as p_i/(p_i+p_j).
    got = bt.fit(wins, prior=0.0)
    want = np.log([1.0, 2.0, 4.0])
    assert got == pytest.approx(want - want.mean(), abs=1e-7)


def plain_ml(wins: np.ndarray, prior: float) -> np.ndarray:
    """A plain gradient-ascent loop on the penalised log-likelihood: nothing shared with bt.fit."""
    k = len(wins)
    w = [[wins[i][j] + (prior / 2 if i != j else 0.0) for j in range(k)] for i in range(k)]
    theta = [0.0] * k
    for _ in range(20_000):
        grad = [0.0] * k
        for i in range(k):
            for j in range(k):
                if i == j:
                    continue
                n = w[i][j] + w[j][i]
                p = 1.0 / (1.0 + math.exp(theta[j] - theta[i]))
                grad[i] += w[i][j] - n * p
        theta = [t + 0.01 * g for t, g in zip(theta, grad, strict=True)]
        mean = sum(theta) / k
        theta = [t - mean for t in theta]
    return np.array(theta)


def test_bradley_terry_with_its_prior_matches_a_plain_ml_loop() -> None:
    wins = np.array([[0, 3, 1], [5, 0, 2], [6, 7, 0]], dtype=float)
    assert bt.fit(wins) == pytest.approx(plain_ml(wins, bt.PRIOR), abs=1e-5)


def test_a_version_that_always_wins_gets_a_finite_strength_and_interval() -> None:
    rows = votes(
        ("1.0.0", "1.1.0", "b", "a", 12),
        ("1.0.0", "1.2.0", "b", "b", 12),
        ("1.1.0", "1.2.0", "b", "a", 12),
    )
    found = report(Task(1, "p", VERSIONS, 0), rows, bootstrap=300, seed=3)
    top = found.ranking[0]
    assert top.version == "1.2.0" and top.rank == 1
    for entry in found.ranking:
        assert math.isfinite(entry.strength)
        assert entry.ci is not None and all(math.isfinite(x) for x in entry.ci)
    assert [r.version for r in found.ranking] == ["1.2.0", "1.1.0", "1.0.0"]


def test_all_ties_rank_everyone_equal_and_uncertain() -> None:
    rows = votes(("1.0.0", "1.1.0", "tie", "a", 5), ("1.1.0", "1.2.0", "tie", "b", 5))
    found = report(Task(1, "p", VERSIONS, 0), rows, bootstrap=200)
    assert all(abs(r.strength) < 1e-9 for r in found.ranking)
    assert all(r.rank_uncertain for r in found.ranking)
    assert found.position_bias.n == 0 and not found.position_bias.flagged
    assert found.position_bias.left_share is None


def test_no_votes_at_all() -> None:
    found = report(Task(1, "p", VERSIONS[:2], 0), [], bootstrap=50)
    assert found.pairs[0].n == 0 and found.pairs[0].win_rate_b is None
    assert found.agreement.alpha is None and found.agreement.units == 0
    assert all(r.ci is None for r in found.ranking)


def test_the_batched_bootstrap_is_the_single_fit_per_replicate() -> None:
    rng = np.random.default_rng(0)
    k = 4
    a = rng.integers(0, k - 1, 300)
    b = np.minimum(a + 1 + rng.integers(0, 2, 300), k - 1)
    outcome = rng.integers(0, 3, 300)
    draws = bt.bootstrap(a, b, outcome, k, replicates=5, seed=9)
    # The same multinomial draws, fitted one at a time.
    counts = np.bincount(bt.cells(a, b, outcome, k), minlength=k * k * 3)
    again = np.random.default_rng(9).multinomial(300, counts / 300, size=5).astype(float)
    for row, drawn in zip(draws, again, strict=True):
        single = bt.fit((drawn @ bt.cell_matrix(k)).reshape(k, k))
        assert row == pytest.approx(single, abs=1e-8)


def test_position_bias_flags_an_always_left_annotator_only() -> None:
    rows = votes(
        ("1.0.0", "1.1.0", "a", "a", 6), ("1.0.0", "1.1.0", "b", "b", 6), annotator="lefty"
    )
    fair = votes(("1.0.0", "1.1.0", "b", "a", 6), ("1.0.0", "1.1.0", "b", "b", 6), annotator="fair")
    fair = [
        VoteRow(v.pair_id + 100, v.annotator, v.version_a, v.version_b, v.choice, v.left)
        for v in fair
    ]
    found = report(Task(1, "p", VERSIONS[:2], 0), rows + fair, bootstrap=0)
    lefty, even = (
        found.position_bias.per_annotator["lefty"],
        found.position_bias.per_annotator["fair"],
    )
    assert lefty.left_share == 1.0 and lefty.n == 12
    assert lefty.p == pytest.approx(binomtest(12, 12).pvalue) and lefty.flagged
    assert even.left_share == 0.5 and not even.flagged
    assert found.position_bias.n == 24
    assert found.position_bias.left_share == pytest.approx(18 / 24)


def test_agreement_codes_votes_by_version_not_by_side() -> None:
    """Two annotators who agree on the version, seen from opposite sides: alpha 1."""
    base = [("a", "a"), ("b", "b"), ("tie", "a"), ("both_bad", "b"), ("a", "b"), ("b", "a")]
    rows = []
    for pair, (choice, left) in enumerate(base):
        other: Side = "b" if left == "a" else "a"
        rows.append(VoteRow(pair, "ana", "1.0.0", "1.1.0", choice, left))  # type: ignore[arg-type]
        rows.append(VoteRow(pair, "ben", "1.0.0", "1.1.0", choice, other))  # type: ignore[arg-type]
    rows.append(VoteRow(99, "ana", "1.0.0", "1.1.0", "a", "a"))  # seen once: not a unit
    found = report(Task(1, "p", VERSIONS[:2], 0), rows, bootstrap=100)
    assert found.agreement.units == len(base)
    assert found.agreement.alpha == pytest.approx(1.0)
    assert found.agreement.ci is not None


def test_report_json_has_the_issues_keys() -> None:
    rows = votes(("1.0.0", "1.1.0", "b", "a", 3), ("1.1.0", "1.2.0", "a", "b", 2))
    data = report(Task(5, "p", VERSIONS, 0), rows, bootstrap=20).to_json()
    assert {"task", "prompt", "versions", "pairs", "ranking", "position_bias", "agreement"} <= set(
        data
    )
    assert set(data["pairs"][0]) >= {
        "a",
        "b",
        "n",
        "a_wins",
        "b_wins",
        "ties",
        "both_bad",
        "win_rate_b",
        "ci",
        "sign_test_p",
    }
    assert set(data["ranking"][0]) == {"version", "strength", "ci", "rank", "rank_uncertain"}
    assert set(data["position_bias"]) == {"left_share", "n", "p", "flagged", "per_annotator"}
    assert set(data["agreement"]) == {"alpha", "ci", "units"}
    assert [(p["a"], p["b"]) for p in data["pairs"]] == [
        ("1.0.0", "1.1.0"),
        ("1.0.0", "1.2.0"),
        ("1.1.0", "1.2.0"),
    ]
