"""Paired comparisons: McNemar against scipy's binomtest, Holm by hand, cases and duplicates."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from tests.unit import decide_tables as dt
from tui_annotate.core.decide.compare import compare
from tui_annotate.core.decide.power import paired_mde

# Ten cases; A = 1.0.0 (rows 0-9), B = 1.1.0 (rows 10-19), then a duplicate of B in case c3.
A_FAITH = [5, 5, 5, 5, 5, 5, 2, 2, 4, None]
B_FAITH = [5, 5, 2, 2, 2, 2, 5, 2, 1, 5]
A_TOX = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
B_TOX = [1, 1, 1, 1, 1, 1, 1, 1, 1, 4]


def table(duplicate: bool = False) -> dt.PromptTable:
    faith = A_FAITH + B_FAITH + ([5] if duplicate else [])
    tox = A_TOX + B_TOX + ([1] if duplicate else [])
    n = len(faith)
    versions = ["1.0.0"] * 10 + ["1.1.0"] * (n - 10)
    cases = [f"c{i}" for i in range(10)] * 2 + (["c3"] if duplicate else [])
    n_human = [1] * 20 + ([3] if duplicate else [])
    return dt.table(
        versions,
        cases,
        [
            dt.column(
                "faith",
                n,
                human=faith,
                n_human=n_human,
                human_tags={12: ("hallucination",), 13: ("off-topic", "rude")},
                comments={12: ("made up a refund policy", "agreed")},
            ),
            dt.column("tox", n, human=tox, threshold=1, direction="lower"),
        ],
    )


def test_discordant_counts_and_exact_mcnemar() -> None:
    result = compare(table(), dt.infos(table()), baseline="1.0.0", candidate="1.1.0")
    r = result.rubrics["faith"]
    # c9 has no A label: 9 pairs; A PASS → B FAIL in c2..c5 and c8; FAIL → PASS in c6.
    assert (r.n_pairs, r.pass_to_fail, r.fail_to_pass) == (9, 5, 1)
    assert r.mcnemar_p == pytest.approx(binomtest(1, 6, 0.5).pvalue)
    assert r.diff.value == pytest.approx((1 - 5) / 9)
    b_minus_a = np.array(B_FAITH[:9], float) - np.array(A_FAITH[:9], float)
    assert r.mean_diff.value == pytest.approx(b_minus_a.mean())
    assert r.mde == pytest.approx(paired_mde(9, 6))
    assert [c.case for c in r.regressed] == ["c2", "c3", "c4", "c5", "c8"]
    c2 = r.regressed[0]
    assert (c2.item, c2.tags, c2.comment) == (
        "it-13",
        ("hallucination",),
        "made up a refund policy / agreed",
    )
    assert r.regressed[1].tags == ("off-topic", "rude")


def test_no_discordant_pairs_and_lower_direction() -> None:
    r = compare(table(), dt.infos(table()), baseline="1.0.0", candidate="1.1.0").rubrics["tox"]
    # In c9 B scored 4 on a "lower" rubric with threshold 1 (FAIL), A 1 (PASS): PASS → FAIL.
    assert (r.n_pairs, r.pass_to_fail, r.fail_to_pass) == (10, 1, 0)
    same = compare(table(), dt.infos(table()), baseline="1.0.0", candidate="1.0.0")
    for rubric in same.rubrics.values():
        assert (rubric.pass_to_fail, rubric.fail_to_pass, rubric.mcnemar_p) == (0, 0, 1.0)
        assert rubric.diff.value == 0.0 and rubric.diff.ci == (0.0, 0.0)
        assert rubric.verdict == "no detectable difference"


def test_holm_across_the_compared_rubrics() -> None:
    result = compare(table(), dt.infos(table()), baseline="1.0.0", candidate="1.1.0")
    p_faith, p_tox = result.rubrics["faith"].mcnemar_p, result.rubrics["tox"].mcnemar_p
    small, large = sorted([p_faith, p_tox])
    by_hand = {small: min(1.0, 2 * small), large: max(min(1.0, 2 * small), min(1.0, large))}
    assert result.rubrics["faith"].p_holm == pytest.approx(by_hand[p_faith])
    assert result.rubrics["tox"].p_holm == pytest.approx(by_hand[p_tox])


def test_a_duplicate_in_a_case_keeps_the_most_labelled_item() -> None:
    t = table(duplicate=True)
    result = compare(t, dt.infos(t), baseline="1.0.0", candidate="1.1.0")
    assert [d.to_json() for d in result.duplicates_in_case] == [
        {"version": "1.1.0", "case": "c3", "kept": "it-21", "dropped": ["it-14"]}
    ]
    # it-21 (three labels, PASS) replaces it-14 (one label, FAIL) in c3.
    r = result.rubrics["faith"]
    assert (r.n_pairs, r.pass_to_fail) == (9, 4)
    assert "c3" not in [c.case for c in r.regressed]


def test_ties_in_a_case_keep_the_lower_item_id() -> None:
    t = dt.table(
        ["1.0.0", "2.0.0", "2.0.0"],
        ["a", "a", "a"],
        [dt.column("faith", 3, human=[5, 1, 5])],
        item_ids=[1, 9, 4],
    )
    result = compare(t, dt.infos(t), baseline="1.0.0", candidate="2.0.0")
    assert result.duplicates_in_case[0].kept == "it-4"
    assert result.rubrics["faith"].pass_to_fail == 0


def test_verdicts_by_the_interval() -> None:
    n = 60
    a = [5] * n
    b = [1] * 40 + [5] * 20
    t = dt.table(
        ["1.0.0"] * n + ["2.0.0"] * n,
        [str(i) for i in range(n)] * 2,
        [dt.column("f", 2 * n, human=a + b)],
    )
    worse = compare(t, dt.infos(t), baseline="1.0.0", candidate="2.0.0").rubrics["f"]
    assert worse.verdict == "worse" and worse.diff.ci is not None and worse.diff.ci[1] < 0
    better = compare(t, dt.infos(t), baseline="2.0.0", candidate="1.0.0").rubrics["f"]
    assert better.verdict == "better"


def test_golden_baseline_pairs_by_case() -> None:
    n = 6
    golden = [5, 1, 5, None, None, None]
    human = [None, None, None, 5, 5, 1]
    t = dt.table(
        ["1.0.0"] * 3 + ["2.0.0"] * 3,
        ["a", "b", "c"] * 2,
        [dt.column("f", n, golden=golden, human=human)],
    )
    r = compare(t, dt.infos(t), baseline="golden", candidate="2.0.0").rubrics["f"]
    # a: 5 → 5, b: 1 → 5 (FAIL → PASS), c: 5 → 1 (PASS → FAIL).
    assert (r.n_pairs, r.pass_to_fail, r.fail_to_pass) == (3, 1, 1)
    assert [c.case for c in r.regressed] == ["c"]


def test_no_pairs_is_undefined() -> None:
    t = dt.table(["1.0.0", "2.0.0"], ["a", "b"], [dt.column("f", 2, human=[5, 5])])
    r = compare(t, dt.infos(t), baseline="1.0.0", candidate="2.0.0").rubrics["f"]
    assert (r.n_pairs, r.mde, r.diff.value, r.diff.ci, r.verdict, r.p_holm) == (
        0,
        None,
        None,
        None,
        "undefined",
        1.0,
    )


def test_two_discordant_pairs_claim_no_direction() -> None:
    """Both went PASS → FAIL: the bootstrap interval excludes 0, but the exact test says p = 0.5.

    Claiming "worse" would be more confidence than two pairs give.
    """
    n = 2
    a = [5] * n
    b = [1] * n
    t = dt.table(
        ["1.0.0"] * n + ["2.0.0"] * n,
        [str(i) for i in range(n)] * 2,
        [dt.column("f", 2 * n, human=a + b)],
    )
    r = compare(t, dt.infos(t), baseline="1.0.0", candidate="2.0.0").rubrics["f"]
    assert r.diff.ci is not None and r.diff.ci[1] < 0  # the interval alone would say worse
    assert r.mcnemar_p == 0.5
    assert r.verdict == "no detectable difference"
