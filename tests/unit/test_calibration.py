"""Calibration rounds without a screen: sampling, blindness, close, adjudication, the gate, drift."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_shipped
from tui_annotate.core import calibration, export, gate, ingest
from tui_annotate.core.calibration import Thresholds, stratified_sample
from tui_annotate.core.models import Rubric
from tui_annotate.core.session import AnnotationSession
from tui_annotate.errors import InputError, NotFound
from tui_annotate.store.repository import Repository

TEAM = ["ana", "ben", "cy"]


def scores_for(repo: Repository, item_id: int, name: str, disagree: bool) -> int:
    """A deterministic 'opinion': everyone agrees unless DISAGREE, then cy is one lower."""
    base = item_id % 5 + 1
    if disagree and name == "cy":
        return max(1, base - 1) if base > 1 else 2
    return base


def label_round(
    repo: Repository, rubric: Rubric, names: list[str], *, disagree: bool = False
) -> None:
    for name in names:
        session = AnnotationSession(repo, rubric, name, calibration_only=True)
        session.start()
        while not session.done:
            item = session.current_id
            assert item is not None
            session.rate(scores_for(repo, item, name, disagree))


def test_stratified_sample_is_proportional_exact_and_seeded() -> None:
    pool = [(i, "p", "1.0") for i in range(60)] + [(100 + i, "p", "2.0") for i in range(30)]
    pool += [(200 + i, "q", "1.0") for i in range(10)]
    picked = stratified_sample(pool, 20, seed=4)
    assert len(picked) == len(set(picked)) == 20
    strata = Counter("a" if i < 100 else "b" if i < 200 else "c" for i in picked)
    assert strata == {"a": 12, "b": 6, "c": 2}
    assert stratified_sample(pool, 20, seed=4) == picked
    assert stratified_sample(pool, 20, seed=5) != picked


def test_every_stratum_gets_an_item_when_the_sample_allows() -> None:
    pool = [(i, "p", "1.0") for i in range(97)] + [(1000, "rare", "1.0"), (1001, "rarer", "9")]
    picked = stratified_sample(pool, 5, seed=0)
    assert len(picked) == 5
    assert {1000, 1001} <= set(picked)


def test_start_round_samples_across_prompt_versions(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = calibration.start_round(
        sample_repo, faithfulness, TEAM, items=10, seed=1, created_by="lead"
    )
    assert round_.is_open and round_.items == 10 and round_.annotators == tuple(sorted(TEAM))
    versions = Counter(
        sample_repo.get_item(i).prompt_version for i in sample_repo.rounds.item_ids(round_.id)
    )
    assert versions == {"1.0.0": 5, "1.1.0": 5}  # the sample has 20 of each


@pytest.mark.parametrize(
    ("annotators", "message"), [(["ana"], "at least two"), (["ana", " ", "ana"], "at least two")]
)
def test_a_round_needs_two_annotators(sample_repo, faithfulness, annotators, message) -> None:
    with pytest.raises(InputError, match=message):
        calibration.start_round(sample_repo, faithfulness, annotators, created_by="lead")


def test_one_open_round_per_rubric(sample_repo: Repository, faithfulness: Rubric) -> None:
    first = calibration.start_round(sample_repo, faithfulness, TEAM, items=4, created_by="lead")
    with pytest.raises(InputError, match=f"round {first.id} .* still open"):
        calibration.start_round(sample_repo, faithfulness, TEAM, items=4, created_by="lead")


def test_round_items_come_first_and_are_blind(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = calibration.start_round(
        sample_repo, faithfulness, TEAM, items=5, seed=2, created_by="lead"
    )
    in_round = set(sample_repo.rounds.item_ids(round_.id))
    ana = AnnotationSession(sample_repo, faithfulness, "ana")
    ana.start()
    served = []
    for _ in range(5):
        served.append(ana.current_id)
        assert ana.round_of() == round_.id
        ana.rate(4)
    assert set(served) == in_round
    # the labels are calibration labels of the round
    events = [e for e in sample_repo.events(annotator="ana") if e.kind == "rate"]
    assert all(e.calibration for e in events)
    # blind: no export, no agreement, nothing shows them while the round is open
    assert list(export.rows(sample_repo, faithfulness)) == []
    assert sample_repo.current_labels("faithfulness") == []
    # someone outside the round is never handed a round item
    dan = AnnotationSession(sample_repo, faithfulness, "dan", overlap=3)
    dan.start()
    seen = set()
    while not dan.done:
        seen.add(dan.current_id)
        dan.rate(3)
    assert not seen & in_round
    assert len(seen) == 40 - 5


def test_round_items_ignore_the_overlap(sample_repo: Repository, faithfulness: Rubric) -> None:
    round_ = calibration.start_round(sample_repo, faithfulness, TEAM, items=3, created_by="lead")
    label_round(sample_repo, faithfulness, TEAM)
    labels = sample_repo.rounds.labels(round_.id)
    assert Counter(label.item_id for label in labels) == dict.fromkeys(
        sample_repo.rounds.item_ids(round_.id), 3
    )


def test_close_passes_with_agreement(sample_repo: Repository, faithfulness: Rubric) -> None:
    round_ = calibration.start_round(
        sample_repo, faithfulness, TEAM, items=12, seed=5, created_by="lead"
    )
    label_round(sample_repo, faithfulness, TEAM)
    result = calibration.close_round(sample_repo, round_, faithfulness, bootstrap=200)
    assert result.alpha == pytest.approx(1.0)
    assert result.verdict == "pass"
    assert result.round == round_.id
    assert {p.annotator for p in result.per_annotator} == set(TEAM)
    assert result.disputed == ()
    stored = sample_repo.rounds.get(round_.id)
    assert stored is not None and not stored.is_open and stored.verdict == "pass"
    assert stored.result["alpha"] == pytest.approx(1.0)
    # blindness lifts: the labels are exportable now
    assert len(list(export.rows(sample_repo, faithfulness))) == 12
    with pytest.raises(InputError, match="already closed"):
        calibration.close_round(sample_repo, stored, faithfulness)


def test_close_reports_disagreement_and_fails(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = calibration.start_round(
        sample_repo, faithfulness, TEAM, items=12, seed=5, created_by="lead"
    )
    label_round(sample_repo, faithfulness, TEAM, disagree=True)
    result = calibration.close_round(
        sample_repo, round_, faithfulness, bootstrap=300, thresholds=Thresholds(0.95, 0.9)
    )
    assert result.alpha < 0.95
    assert result.verdict in ("fail", "tentative")
    assert result.ci[0] <= result.alpha <= result.ci[1]
    assert 0.0 <= result.p_below_threshold <= 1.0
    cy = next(p for p in result.per_annotator if p.annotator == "cy")
    assert cy.bias is not None and cy.bias < 0  # cy scores lower than the others
    assert cy.alpha_without == pytest.approx(1.0)
    assert result.disputed and all(set(d.scores) == set(TEAM) for d in result.disputed)


def test_undefined_alpha_is_reported_not_passed(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = calibration.start_round(
        sample_repo, faithfulness, ["ana", "ben"], items=4, created_by="lead"
    )
    for name in ("ana", "ben"):
        session = AnnotationSession(sample_repo, faithfulness, name, calibration_only=True)
        session.start()
        while not session.done:
            session.rate(4)
    result = calibration.close_round(sample_repo, round_, faithfulness, bootstrap=50)
    assert result.alpha is None
    assert "variation" in result.reason
    assert result.verdict == "undefined"
    assert result.ci is None


def test_thresholds_decide_the_verdict() -> None:
    t = Thresholds()
    assert [t.verdict(a) for a in (0.8, 0.79, 0.667, 0.6, None)] == [
        "pass",
        "tentative",
        "tentative",
        "fail",
        "undefined",
    ]


def test_review_and_adjudication_build_the_golden_set(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = calibration.start_round(
        sample_repo, faithfulness, TEAM, items=10, seed=5, created_by="lead"
    )
    label_round(sample_repo, faithfulness, TEAM, disagree=True)
    with pytest.raises(InputError, match="still open"):
        calibration.review_items(sample_repo, round_, faithfulness)
    calibration.close_round(sample_repo, round_, faithfulness, bootstrap=0)
    closed = sample_repo.rounds.get(round_.id)
    assert closed is not None
    review = calibration.review_items(sample_repo, closed, faithfulness)
    assert review and all(len(r.labels) == 3 for r in review)
    spreads = [r.spread for r in review]
    assert spreads == sorted(spreads, reverse=True)
    first = review[0].item_id
    calibration.adjudicate(
        sample_repo,
        faithfulness,
        first,
        3,
        note="wrong date",
        adjudicator="lead",
        round_id=closed.id,
    )
    calibration.adjudicate(
        sample_repo,
        faithfulness,
        first,
        2,
        note="on second thought",
        adjudicator="lead",
        round_id=closed.id,
    )
    gold = sample_repo.rounds.golden("faithfulness")
    assert gold[first].score == 2 and gold[first].note == "on second thought"
    with pytest.raises(InputError, match="not on the"):
        calibration.adjudicate(
            sample_repo, faithfulness, first, 9, note="", adjudicator="lead", round_id=None
        )
    # golden items seed the next round, which reports accuracy against gold
    follow = calibration.start_round(
        sample_repo, faithfulness, ["dan", "eve"], from_golden=True, created_by="lead"
    )
    assert sample_repo.rounds.item_ids(follow.id) == [first]
    for name, score in (("dan", 2), ("eve", 5)):
        session = AnnotationSession(sample_repo, faithfulness, name, calibration_only=True)
        session.start()
        session.rate(score)
    result = calibration.close_round(sample_repo, follow, faithfulness, bootstrap=0)
    accuracy = {p.annotator: p.accuracy_vs_gold for p in result.per_annotator}
    assert accuracy == {"dan": 1.0, "eve": 0.0}


def test_from_golden_needs_golden_items(sample_repo: Repository, faithfulness: Rubric) -> None:
    with pytest.raises(InputError, match="no golden items"):
        calibration.start_round(sample_repo, faithfulness, TEAM, from_golden=True, created_by="l")


def test_find_round(sample_repo: Repository, faithfulness: Rubric) -> None:
    with pytest.raises(NotFound):
        calibration.find_round(sample_repo, None)
    with pytest.raises(NotFound):
        calibration.find_round(sample_repo, 99)
    round_ = calibration.start_round(sample_repo, faithfulness, TEAM, items=2, created_by="lead")
    assert calibration.find_round(sample_repo, None).id == round_.id


# -- the gate ------------------------------------------------------------------


def decide(repo: Repository, rubric: Rubric, who: str, **kw: bool) -> gate.GateDecision:
    return gate.decide(repo, rubric, who, **kw)


def test_a_solo_user_who_never_calibrates_is_never_blocked(sample_repo, faithfulness) -> None:
    assert decide(sample_repo, faithfulness, "solo") == gate.GateDecision(
        True, False, "no calibration on this rubric"
    )


def test_the_gate_lets_through_exactly_the_passed(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = calibration.start_round(
        sample_repo, faithfulness, TEAM, items=6, seed=1, created_by="lead"
    )
    # while open: round members may label the round, nobody may go live
    assert decide(sample_repo, faithfulness, "ana").calibration_only
    refused = decide(sample_repo, faithfulness, "dan")
    assert not refused.allowed
    assert "faithfulness" in refused.message and "calibrate start" in refused.message
    label_round(sample_repo, faithfulness, TEAM)
    calibration.close_round(sample_repo, round_, faithfulness, bootstrap=0)
    for name in TEAM:
        d = decide(sample_repo, faithfulness, name)
        assert d.allowed and not d.calibration_only
    assert not decide(sample_repo, faithfulness, "dan").allowed
    through = decide(sample_repo, faithfulness, "dan", allow_uncalibrated=True)
    assert through.allowed and through.uncalibrated


def test_a_failed_round_does_not_open_the_gate(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = calibration.start_round(
        sample_repo, faithfulness, TEAM, items=12, seed=5, created_by="lead"
    )
    label_round(sample_repo, faithfulness, TEAM, disagree=True)
    result = calibration.close_round(
        sample_repo, round_, faithfulness, bootstrap=0, thresholds=Thresholds(0.99, 0.98)
    )
    assert result.verdict == "fail"
    assert not decide(sample_repo, faithfulness, "ana").allowed


def test_a_major_version_change_needs_new_calibration(sample_repo, faithfulness, tmp_path) -> None:
    round_ = calibration.start_round(sample_repo, faithfulness, TEAM, items=4, created_by="lead")
    label_round(sample_repo, faithfulness, TEAM)
    calibration.close_round(sample_repo, round_, faithfulness, bootstrap=0)
    text = Path(faithfulness.path).read_text("utf-8")
    minor = tmp_path / "minor" / "faithfulness.toml"
    major = tmp_path / "major" / "faithfulness.toml"
    for path, version in ((minor, "1.1.0"), (major, "2.0.0")):
        path.parent.mkdir()
        path.write_text(text.replace('version = "1.0.0"', f'version = "{version}"'), "utf-8")
    from tui_annotate.core.rubric import load_rubric

    assert decide(sample_repo, load_rubric(minor), "ana").allowed
    assert not decide(sample_repo, load_rubric(major), "ana").allowed


def test_required_calibration_blocks_from_the_start(sample_repo, faithfulness) -> None:
    d = decide(sample_repo, faithfulness, "solo", require_calibration=True)
    assert not d.allowed and "requires calibration" in d.message


def test_uncalibrated_labels_are_marked(sample_repo: Repository, faithfulness: Rubric) -> None:
    session = AnnotationSession(sample_repo, faithfulness, "dan", uncalibrated=True)
    session.start()
    session.rate(4)
    row = sample_repo.conn.execute("SELECT meta FROM labels WHERE annotator = 'dan'").fetchone()
    assert '"uncalibrated": true' in row[0]


# -- drift ---------------------------------------------------------------------


def test_drift_share_double_labels_some_live_items(repo: Repository, tmp_path) -> None:
    rubric = load_shipped("faithfulness")
    lines = [f'{{"id": "i{i}", "output": "answer {i}"}}' for i in range(400)]
    (tmp_path / "many.jsonl").write_text("\n".join(lines), "utf-8")
    ingest.import_items(repo, tmp_path / "many.jsonl")
    from tui_annotate.core import snapshot

    snapshot.register(repo, rubric)
    for name in ("ana", "ben"):
        session = AnnotationSession(repo, rubric, name, overlap=1, drift_permille=100)
        session.start()
        while not session.done:
            session.rate(4)
    per_item = Counter(label.item_id for label in repo.current_labels("faithfulness"))
    doubled = sum(1 for n in per_item.values() if n == 2)
    assert len(per_item) == 400 and max(per_item.values()) == 2
    assert 20 <= doubled <= 60  # about 10 % of 400


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=8), st.integers(0, 200), st.integers(0, 9))
def test_stratified_sample_properties(sizes: list[int], n: int, seed: int) -> None:
    pool = [(s * 1000 + i, f"p{s}", "1") for s, size in enumerate(sizes) for i in range(size)]
    picked = stratified_sample(pool, n, seed)
    assert len(picked) == len(set(picked)) == min(n, len(pool))
    assert set(picked) <= {item for item, _, _ in pool}
    if n >= len(sizes):
        assert {item // 1000 for item in picked} == set(range(len(sizes)))


# -- an open round holds back only its own labels (issue 11) --------------------------------------


def label_live(repo: Repository, rubric: Rubric, name: str, score: int = 3) -> None:
    session = AnnotationSession(repo, rubric, name, overlap=9)
    session.start()
    while not session.done:
        session.rate(score)


def test_an_open_round_holds_back_its_own_labels_and_nobody_elses(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    label_live(sample_repo, faithfulness, "zed")  # all 40 items, before any round
    round_ = calibration.start_round(
        sample_repo, faithfulness, ["ana", "ben"], items=5, seed=3, created_by="lead"
    )
    label_round(sample_repo, faithfulness, ["ana", "ben"])
    in_round = set(sample_repo.rounds.item_ids(round_.id))
    current = sample_repo.current_labels("faithfulness")
    assert {lb.annotator for lb in current} == {"zed"} and len(current) == 40
    assert {lb.item_id for lb in current} >= in_round  # zed's labels on the round's items stay
    assert sample_repo.open_round_labels("faithfulness") == {round_.id: 10}
    assert sample_repo.open_round_labels("faithfulness", annotators=["ana", "zed"]) == {
        round_.id: 5
    }
    assert sample_repo.current_labels("faithfulness", live_only=True) == current
    # the round's own result reads the round's labels, and only those
    assert {lb.annotator for lb in sample_repo.rounds.labels(round_.id)} == {"ana", "ben"}
    calibration.close_round(sample_repo, round_, faithfulness, bootstrap=0)
    assert sample_repo.open_round_labels("faithfulness") == {}
    assert len(sample_repo.current_labels("faithfulness")) == 50
    assert len(sample_repo.current_labels("faithfulness", live_only=True)) == 40


def test_close_refuses_an_empty_round_unless_forced(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = calibration.start_round(
        sample_repo, faithfulness, TEAM, items=3, seed=1, created_by="lead"
    )
    with pytest.raises(InputError) as refused:
        calibration.close_round(sample_repo, round_, faithfulness, bootstrap=0)
    assert str(refused.value) == (
        f"round {round_.id} has no labels yet: none of ana, ben and cy has labelled any of its "
        "3 items. Closing it now would spend it; close it once they have (or now, with --force)"
    )
    assert sample_repo.rounds.get(round_.id).is_open  # type: ignore[union-attr]
    result = calibration.close_round(sample_repo, round_, faithfulness, bootstrap=0, force=True)
    assert result.verdict == "undefined"
    assert not sample_repo.rounds.get(round_.id).is_open  # type: ignore[union-attr]


def test_the_gate_refusal_names_rounds_on_an_older_version(
    sample_repo: Repository, faithfulness: Rubric, tmp_path: Path
) -> None:
    round_ = calibration.start_round(sample_repo, faithfulness, TEAM, items=4, created_by="lead")
    label_round(sample_repo, faithfulness, TEAM)
    calibration.close_round(sample_repo, round_, faithfulness, bootstrap=0)
    major = tmp_path / "faithfulness.toml"
    text = Path(faithfulness.path).read_text("utf-8")
    major.write_text(text.replace('version = "1.0.0"', 'version = "2.0.0"'), "utf-8")
    from tui_annotate.core.rubric import load_rubric

    refused = decide(sample_repo, load_rubric(major), "ana")
    assert not refused.allowed
    assert refused.message.startswith(
        "live annotation on faithfulness needs a passed calibration round on version 2.x, and "
        "ana has taken part in none. Round 1 passed (alpha 1.000, on version 1.x; ana, ben, cy). "
        "Ask a lead to add you to a round"
    )
    # ana already saw nothing of round 1: its results come with the refusal, once
    assert refused.results is not None and refused.results.id == round_.id


def test_a_required_calibration_refusal_says_there_is_no_round_yet(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    refused = decide(sample_repo, faithfulness, "solo", require_calibration=True, lead=True)
    assert refused.message == (
        "this project requires calibration: live annotation on faithfulness needs a passed "
        "calibration round on version 1.x, and faithfulness has no round yet. As a lead you can "
        "let yourself through with --allow-uncalibrated (recorded on your labels), or join a "
        "round (tui-annotate calibrate start --rubric faithfulness --annotators solo,…)."
    )
