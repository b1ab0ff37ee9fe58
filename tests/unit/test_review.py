"""The review session: a closed round's disputed items walked headless, golden labels stored."""

from __future__ import annotations

import pytest

from tests.unit.test_calibration import TEAM, label_round
from tui_annotate.core import calibration, review
from tui_annotate.core.models import Round, Rubric
from tui_annotate.core.review import ReviewSession
from tui_annotate.errors import InputError, NotFound
from tui_annotate.store.repository import Repository


def started(repo: Repository, rubric: Rubric) -> Round:
    round_ = calibration.start_round(repo, rubric, TEAM, items=10, seed=5, created_by="lead")
    label_round(repo, rubric, TEAM, disagree=True)
    return round_


def closed(repo: Repository, rubric: Rubric) -> Round:
    round_ = started(repo, rubric)
    calibration.close_round(repo, round_, rubric, bootstrap=0)
    found = repo.rounds.get(round_.id)
    assert found is not None and not found.is_open
    return found


def test_an_open_round_cannot_be_reviewed(sample_repo: Repository, faithfulness: Rubric) -> None:
    round_ = started(sample_repo, faithfulness)
    with pytest.raises(InputError, match="still open"):
        ReviewSession.open(sample_repo, round_, faithfulness, "lead")
    with pytest.raises(InputError, match="still open"):
        review.adjudicate_in_round(
            sample_repo, round_, faithfulness, "nw-001", 3, note="", adjudicator="lead"
        )
    assert sample_repo.rounds.golden(faithfulness.name) == {}


def test_the_walk_stores_golden_labels_with_notes_and_moves_on(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = closed(sample_repo, faithfulness)
    session = ReviewSession.open(sample_repo, round_, faithfulness, "lead")
    assert session.items == calibration.review_items(sample_repo, round_, faithfulness)
    first = session.current
    assert first is not None and session.pos == 0
    session.keep_note(first.item_id, "the date is wrong")
    assert session.adjudicate(3) == first.item_id
    golden = session.golden()
    assert golden[first.item_id].score == 3 and golden[first.item_id].note == "the date is wrong"
    assert session.pos == 1 and session.adjudicated == {first.item_id}
    assert session.settled(golden) == 1
    # back to it: the stored note comes along, marked as inherited, until a new one is typed
    session.previous()
    assert session.note_for(first.item_id, golden[first.item_id]) == ("the date is wrong", True)
    assert session.adjudicate(2) == first.item_id
    assert session.golden()[first.item_id].score == 2
    assert session.golden()[first.item_id].note == "the date is wrong"
    while not session.done:
        session.next()
    assert session.current is None and session.adjudicate(4) is None
    assert session.item(first.item_id).id == first.item_id


def test_a_score_off_the_scale_stores_nothing_and_stays(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    session = ReviewSession.open(sample_repo, closed(sample_repo, faithfulness), faithfulness, "l")
    with pytest.raises(InputError, match="not on the"):
        session.adjudicate(9)
    assert session.pos == 0 and session.golden() == {}


def test_adjudicate_in_round_checks_membership(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = closed(sample_repo, faithfulness)
    members = set(sample_repo.rounds.item_ids(round_.id))
    outsider = next(
        ext
        for ext, iid in sample_repo.item_ids_by_external(
            [f"nw-{k:03d}" for k in range(1, 41)]
        ).items()
        if iid not in members
    )
    with pytest.raises(NotFound, match=f"item '{outsider}' is not in round {round_.id}"):
        review.adjudicate_in_round(
            sample_repo, round_, faithfulness, outsider, 3, note="", adjudicator="lead"
        )
    with pytest.raises(NotFound, match="is not in round"):
        review.adjudicate_in_round(
            sample_repo, round_, faithfulness, "no-such-item", 3, note="", adjudicator="lead"
        )
    assert sample_repo.rounds.golden(faithfulness.name) == {}
    member = next(iter(members))
    external = sample_repo.get_item(member).external_id
    review.adjudicate_in_round(
        sample_repo, round_, faithfulness, external, 4, note="ok", adjudicator="lead"
    )
    assert sample_repo.rounds.golden(faithfulness.name)[member].score == 4
