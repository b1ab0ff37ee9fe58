"""The annotation loop without a screen: rate, correct, undo, skip, pass, flag, drafts, resume, overlap."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import SAMPLE
from tui_annotate.core import ingest, snapshot
from tui_annotate.core.models import Draft, Progress, Rubric
from tui_annotate.core.session import AnnotationSession
from tui_annotate.errors import ItemFull
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"
N_ITEMS = 40


def session(
    repo: Repository, rubric: Rubric, annotator: str = "ana", **kw: int
) -> AnnotationSession:
    s = AnnotationSession(repo, rubric, annotator, **kw)  # type: ignore[arg-type]
    s.start()
    return s


def rate_until_done(s: AnnotationSession, score: int = 3, limit: int = 200) -> list[int]:
    rated = []
    while not s.done:
        assert len(rated) < limit, "the queue never ran dry"
        rated.append(s.current_id)
        s.rate(score)
    return rated  # type: ignore[return-value]


def kinds(repo: Repository, item_id: int, annotator: str = "ana") -> list[tuple[str, int | None]]:
    return [
        (e.kind, e.score)
        for e in repo.events(rubric=RUBRIC, annotator=annotator)
        if e.item_id == item_id
    ]


@pytest.fixture
def make_repo(tmp_path: Path, faithfulness: Rubric) -> Iterator[Callable[[str], Repository]]:
    """More fresh sample projects, for comparing orders across databases."""
    opened: list[Repository] = []

    def make(name: str) -> Repository:
        r = Repository.open(tmp_path / name)
        ingest.import_items(r, SAMPLE)
        snapshot.register(r, faithfulness)
        opened.append(r)
        return r

    yield make
    for r in opened:
        r.close()


def test_sample_has_forty_items(sample_repo: Repository) -> None:
    assert sample_repo.count_items() == N_ITEMS


# -- rating -----------------------------------------------------------------------------------


def test_rate_persists_and_moves_on(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    first = s.current_id
    assert first is not None
    assert s.current_item().id == first  # type: ignore[union-attr]
    s.rate(4)
    assert s.current_id not in (None, first)
    label = sample_repo.current_label(first, RUBRIC, "ana")
    assert label is not None
    assert (label.score, label.annotator, label.rubric_version) == (4, "ana", faithfulness.version)
    assert kinds(sample_repo, first) == [("rate", 4)]


def test_rate_off_the_scale_is_refused(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    first = s.current_id
    with pytest.raises(ValueError):
        s.rate(9)
    assert s.current_id == first
    assert sample_repo.events(rubric=RUBRIC) == []


def test_rating_again_appends_a_correction(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    first = s.current_id
    s.rate(4)
    second = s.current_id
    s.previous()
    assert s.current_id == first
    assert s.current_label().score == 4  # type: ignore[union-attr]
    s.rate(2)
    assert s.current_id == second  # back where we were
    assert kinds(sample_repo, first) == [("rate", 4), ("rate", 2)]
    assert sample_repo.current_label(first, RUBRIC, "ana").score == 2  # type: ignore[union-attr]


def test_set_comment_on_a_rated_item_is_a_correction(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    s = session(sample_repo, faithfulness)
    first = s.current_id
    s.set_tags(("wrong-number",))
    s.rate(3)
    s.previous()
    s.set_comment("the refund amount is wrong")
    assert kinds(sample_repo, first) == [("rate", 3), ("rate", 3)]
    label = sample_repo.current_label(first, RUBRIC, "ana")
    assert label is not None
    assert (label.score, label.tags, label.comment) == (
        3,
        ("wrong-number",),
        "the refund amount is wrong",
    )
    assert s.current_id == first  # a comment does not move on
    assert sample_repo.get_draft(first, RUBRIC, "ana") is None


# -- undo -------------------------------------------------------------------------------------


def test_undo_retracts_and_returns_with_the_draft(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    s = session(sample_repo, faithfulness)
    first = s.current_id
    s.set_tags(("hallucinated-fact", "wrong-number"))
    s.set_comment("made-up tracking number")
    s.rate(1)
    assert s.draft == Draft()  # the next item starts clean
    assert s.undo() is True
    assert s.current_id == first
    assert sample_repo.current_label(first, RUBRIC, "ana") is None
    assert kinds(sample_repo, first) == [("rate", 1), ("retract", None)]
    expected = Draft(("hallucinated-fact", "wrong-number"), "made-up tracking number")
    assert s.draft == expected
    assert sample_repo.get_draft(first, RUBRIC, "ana") == expected
    s.rate(2)
    label = sample_repo.current_label(first, RUBRIC, "ana")
    assert label is not None and (label.score, label.tags) == (2, expected.tags)


def test_undo_with_nothing_to_undo(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    assert s.undo() is False
    assert sample_repo.events(rubric=RUBRIC) == []


def test_undo_twice_walks_back(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    a = s.current_id
    s.rate(5)
    b = s.current_id
    s.rate(4)
    assert s.undo() and s.current_id == b
    assert s.undo() and s.current_id == a
    assert sample_repo.current_label(a, RUBRIC, "ana") is None
    assert sample_repo.current_label(b, RUBRIC, "ana") is None
    assert s.undo() is False


def test_undo_a_skip_reopens_the_item(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    first = s.current_id
    s.skip()
    assert s.undo() is True
    assert s.current_id == first
    state = sample_repo.conn.execute(
        "SELECT state FROM label_state WHERE rubric = ? AND annotator = 'ana' AND item_id = ?",
        (RUBRIC, first),
    ).fetchone()
    assert state == ("open",)
    s.rate(5)
    assert sample_repo.current_label(first, RUBRIC, "ana").score == 5  # type: ignore[union-attr]


def test_undo_works_after_a_restart(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    s.rate(5)
    last = s.current_id
    s.rate(4)
    resumed = session(sample_repo, faithfulness)
    assert resumed.undo() is True
    assert resumed.current_id == last
    assert sample_repo.current_label(last, RUBRIC, "ana") is None


# -- skip, pass, navigate --------------------------------------------------------------------


def test_skip_parks_the_item(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    skipped = s.current_id
    s.skip()
    assert s.current_id != skipped
    assert kinds(sample_repo, skipped) == [("skip", None)]
    rated = rate_until_done(s)
    assert skipped not in rated
    assert len(rated) == N_ITEMS - 1
    assert s.done
    assert s.revisit_skipped() is True
    assert s.current_id == skipped
    s.rate(2)
    assert sample_repo.current_label(skipped, RUBRIC, "ana").score == 2  # type: ignore[union-attr]
    assert s.done


def test_revisit_skipped_with_nothing_skipped(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    s = session(sample_repo, faithfulness)
    rate_until_done(s)
    assert s.revisit_skipped() is False
    assert s.done


def test_skipped_item_stays_parked_after_a_restart(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    s = session(sample_repo, faithfulness)
    skipped = s.current_id
    s.skip()
    assert skipped not in rate_until_done(session(sample_repo, faithfulness))


def test_next_passes_over_an_item_that_comes_back_last(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    s = session(sample_repo, faithfulness)
    passed = s.current_id
    s.next()
    assert s.current_id != passed
    assert sample_repo.current_label(passed, RUBRIC, "ana") is None  # type: ignore[arg-type]
    seen = []
    while s.current_id != passed:
        assert not s.done, "the passed item never came back"
        seen.append(s.current_id)
        s.rate(4)
    assert len(seen) == N_ITEMS - 1
    s.rate(1)
    assert s.done
    assert sample_repo.current_label(passed, RUBRIC, "ana").score == 1  # type: ignore[union-attr]


def test_previous_and_next_walk_the_history(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    a = s.current_id
    s.rate(5)
    b = s.current_id
    s.rate(4)
    c = s.current_id
    assert len({a, b, c}) == 3
    s.previous()
    assert s.current_id == b
    assert s.current_label().score == 4  # type: ignore[union-attr]
    s.previous()
    assert s.current_id == a
    s.previous()
    assert s.current_id == a  # the start of history is a wall
    s.next()
    assert s.current_id == b
    s.next()
    assert s.current_id == c
    assert s.current_label() is None
    assert [e.kind for e in sample_repo.events(rubric=RUBRIC)] == ["rate", "rate"]


# -- flag, tags, comment drafts -------------------------------------------------------------


def test_flag_toggles(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    item = s.current_id
    assert s.flagged() is False
    assert s.toggle_flag() is True
    assert sample_repo.is_flagged(item, RUBRIC, "ana")  # type: ignore[arg-type]
    assert s.flagged() is True
    assert s.current_id == item  # flagging does not move on or rate
    assert sample_repo.current_label(item, RUBRIC, "ana") is None  # type: ignore[arg-type]
    assert s.toggle_flag() is False
    assert not sample_repo.is_flagged(item, RUBRIC, "ana")  # type: ignore[arg-type]
    assert [e.kind for e in sample_repo.events(rubric=RUBRIC)] == ["flag", "unflag"]


def test_flag_survives_rating(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    item = s.current_id
    s.toggle_flag()
    s.rate(2)
    assert sample_repo.is_flagged(item, RUBRIC, "ana")  # type: ignore[arg-type]
    assert sample_repo.current_label(item, RUBRIC, "ana").score == 2  # type: ignore[arg-type,union-attr]


def test_unknown_tag_is_refused(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    item = s.current_id
    with pytest.raises(ValueError, match="rude"):
        s.set_tags(("wrong-number", "rude"))
    assert s.draft == Draft()
    assert sample_repo.get_draft(item, RUBRIC, "ana") is None  # type: ignore[arg-type]


def test_draft_before_rating_survives_a_new_session(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    s = session(sample_repo, faithfulness)
    item = s.current_id
    s.set_tags(("ignores-data",))
    s.set_comment("ignores the KB article")
    expected = Draft(("ignores-data",), "ignores the KB article")
    assert sample_repo.get_draft(item, RUBRIC, "ana") == expected  # type: ignore[arg-type]
    assert sample_repo.events(rubric=RUBRIC) == []  # a draft is not a label
    resumed = session(sample_repo, faithfulness)
    assert resumed.current_id == item
    assert resumed.draft == expected
    resumed.rate(2)
    label = sample_repo.current_label(item, RUBRIC, "ana")  # type: ignore[arg-type]
    assert label is not None
    assert (label.tags, label.comment) == (expected.tags, expected.comment)
    assert sample_repo.get_draft(item, RUBRIC, "ana") is None  # type: ignore[arg-type]


def test_drafts_are_per_annotator(sample_repo: Repository, faithfulness: Rubric) -> None:
    ana = session(sample_repo, faithfulness, "ana", overlap=2)
    item = ana.current_id
    ana.set_comment("ana's note")
    assert sample_repo.get_draft(item, RUBRIC, "bob") is None  # type: ignore[arg-type]


# -- order, resume, done ---------------------------------------------------------------------


def test_order_is_stable_per_annotator(
    make_repo: Callable[[str], Repository], faithfulness: Rubric
) -> None:
    orders = {}
    for db, annotator in (("a1.db", "ana"), ("a2.db", "ana"), ("b.db", "bob")):
        orders[db] = rate_until_done(session(make_repo(db), faithfulness, annotator))
    assert orders["a1.db"] == orders["a2.db"]
    assert orders["a1.db"] != orders["b.db"]
    assert sorted(orders["a1.db"]) == sorted(orders["b.db"]) == list(range(1, N_ITEMS + 1))


def test_order_is_shuffled(sample_repo: Repository, faithfulness: Rubric) -> None:
    order = rate_until_done(session(sample_repo, faithfulness))
    assert order != sorted(order)


def test_resume_lands_on_the_claimed_item(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    for _ in range(3):
        s.rate(4)
    on_screen = s.current_id
    del s  # quit
    resumed = session(sample_repo, faithfulness)
    assert resumed.current_id == on_screen
    assert resumed.current_label() is None


def test_resume_continues_the_same_order(
    make_repo: Callable[[str], Repository], faithfulness: Rubric
) -> None:
    straight = rate_until_done(session(make_repo("straight.db"), faithfulness))
    repo = make_repo("resumed.db")
    walked = []
    for _ in range(4):  # quit and reopen after every few ratings
        s = session(repo, faithfulness)
        for _ in range(10):
            walked.append(s.current_id)
            s.rate(3)
    assert walked == straight
    assert session(repo, faithfulness).done


def test_resume_keeps_history_for_previous(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    a = s.current_id
    s.rate(5)
    b = s.current_id
    s.rate(4)
    resumed = session(sample_repo, faithfulness)
    resumed.previous()
    assert resumed.current_id == b
    resumed.previous()
    assert resumed.current_id == a
    assert resumed.current_label().score == 5  # type: ignore[union-attr]


def test_all_done_after_forty(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    rated = rate_until_done(s)
    assert len(rated) == N_ITEMS == len(set(rated))
    assert s.done
    assert s.current_item() is None
    assert s.current_label() is None
    with pytest.raises(RuntimeError):
        s.rate(3)
    assert s.refresh_progress() == Progress(done=N_ITEMS, remaining=0, skipped=0)
    assert len(sample_repo.current_labels(RUBRIC)) == N_ITEMS
    assert session(sample_repo, faithfulness).done


# -- progress -------------------------------------------------------------------------------


def test_progress_counts(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    assert s.refresh_progress() == Progress(0, N_ITEMS, 0)
    s.rate(5)
    s.rate(4)
    s.rate(3)
    s.skip()
    s.skip()
    assert s.progress == Progress(3, N_ITEMS - 5, 2)  # kept up to date without a recount
    assert s.refresh_progress() == Progress(3, N_ITEMS - 5, 2)
    assert s.progress.total == N_ITEMS - 2


def test_progress_after_undo_and_correction(sample_repo: Repository, faithfulness: Rubric) -> None:
    s = session(sample_repo, faithfulness)
    s.refresh_progress()
    s.rate(5)
    s.previous()
    s.rate(4)  # a correction is not a second item done
    assert s.progress.done == 1
    s.skip()
    s.undo()  # the skip
    assert s.progress == s.refresh_progress() == Progress(1, N_ITEMS - 1, 0)
    s.undo()  # the correction: the item is open again
    assert s.refresh_progress() == Progress(0, N_ITEMS, 0)


def test_pace_and_time_on_item(sample_repo: Repository, faithfulness: Rubric) -> None:
    now = [1000.0]
    s = AnnotationSession(sample_repo, faithfulness, "ana", clock=lambda: now[0])
    s.start()
    assert s.pace_per_hour() is None
    item = s.current_id
    now[0] += 30.0
    assert s.seconds_on_item() == pytest.approx(30.0)
    s.rate(4)
    [event] = sample_repo.events(rubric=RUBRIC)
    assert event.item_id == item and event.seconds == pytest.approx(30.0)
    now[0] += 30.0
    s.rate(4)
    assert s.pace_per_hour() == pytest.approx(2 * 3600 / 60)


def test_rubrics_have_separate_queues(sample_repo: Repository, faithfulness: Rubric) -> None:
    from tests.conftest import load_shipped

    helpfulness = load_shipped("helpfulness")
    snapshot.register(sample_repo, helpfulness)
    rate_until_done(session(sample_repo, faithfulness))
    other = session(sample_repo, helpfulness)
    assert not other.done
    assert other.refresh_progress() == Progress(0, N_ITEMS, 0)
    assert len(rate_until_done(other, score=5)) == N_ITEMS
    assert {label.score for label in sample_repo.current_labels(RUBRIC)} == {3}


# -- several annotators ----------------------------------------------------------------------


def _assignments(repo: Repository) -> dict[int, set[str]]:
    holders: dict[int, set[str]] = {}
    for item_id, annotator in repo.conn.execute(
        "SELECT item_id, annotator FROM assignments WHERE rubric = ?", (RUBRIC,)
    ):
        holders.setdefault(item_id, set()).add(annotator)
    return holders


def _raters(repo: Repository) -> dict[int, set[str]]:
    raters: dict[int, set[str]] = {}
    for label in repo.current_labels(RUBRIC):
        raters.setdefault(label.item_id, set()).add(label.annotator)
    return raters


def test_overlap_one_never_shares_an_item(sample_repo: Repository, faithfulness: Rubric) -> None:
    ana = session(sample_repo, faithfulness, "ana", overlap=1)
    bob = session(sample_repo, faithfulness, "bob", overlap=1)
    got: dict[str, list[int]] = {"ana": [], "bob": []}
    while not (ana.done and bob.done):
        for name, s in (("ana", ana), ("bob", bob)):
            if not s.done:
                got[name].append(s.current_id)  # type: ignore[arg-type]
                s.rate(3)
    assert not set(got["ana"]) & set(got["bob"])
    assert sorted(got["ana"] + got["bob"]) == list(range(1, N_ITEMS + 1))
    assert got["ana"] and got["bob"]
    assert all(len(holders) == 1 for holders in _assignments(sample_repo).values())


def test_overlap_two_caps_each_item_at_two(sample_repo: Repository, faithfulness: Rubric) -> None:
    sessions = [
        session(sample_repo, faithfulness, name, overlap=2) for name in ("ana", "bob", "cy")
    ]
    while not all(s.done for s in sessions):
        for s in sessions:
            if not s.done:
                s.rate(4)
    holders = _assignments(sample_repo)
    raters = _raters(sample_repo)
    assert set(raters) == set(range(1, N_ITEMS + 1))
    assert max(len(h) for h in holders.values()) <= 2
    assert max(len(r) for r in raters.values()) <= 2
    # Everyone kept going until nothing was left for them, so every item reached the cap.
    assert all(len(r) == 2 for r in raters.values())


def test_a_skipped_item_goes_back_to_the_pool(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    ana = session(sample_repo, faithfulness, "ana")
    skipped = ana.current_id
    ana.skip()
    bob_rated = rate_until_done(session(sample_repo, faithfulness, "bob"))
    assert skipped in bob_rated


def test_revisit_skipped_respects_overlap(sample_repo: Repository, faithfulness: Rubric) -> None:
    """Ana skips an item, Bob takes and rates it; with overlap 1 Ana must not get it back."""
    ana = session(sample_repo, faithfulness, "ana", overlap=1)
    skipped = ana.current_id
    ana.skip()
    bob = session(sample_repo, faithfulness, "bob", overlap=1)
    assert skipped in rate_until_done(bob)
    rate_until_done(ana)
    ana.revisit_skipped()
    assert ana.current_id != skipped
    assert all(len(h) <= 1 for h in _assignments(sample_repo).values())


def test_undoing_a_skip_keeps_the_item_claimed(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    """Ana skips, then undoes: the item is on her screen again, so Bob must not be handed it."""
    ana = session(sample_repo, faithfulness, "ana", overlap=1)
    item = ana.current_id
    ana.skip()
    ana.undo()
    assert ana.current_id == item
    bob_rated = rate_until_done(session(sample_repo, faithfulness, "bob", overlap=1))
    ana.rate(4)
    assert item not in bob_rated
    assert _raters(sample_repo)[item] == {"ana"}  # type: ignore[index]


def test_going_back_to_a_skipped_item_keeps_overlap(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    """p back onto an item Ana skipped, then rate it: no one else may have been handed it."""
    ana = session(sample_repo, faithfulness, "ana", overlap=1)
    item = ana.current_id
    ana.skip()
    ana.previous()
    assert ana.current_id == item
    bob_rated = rate_until_done(session(sample_repo, faithfulness, "bob", overlap=1))
    assert item in bob_rated  # the skip released it, so Bob was handed it
    with pytest.raises(ItemFull):
        ana.rate(4)
    assert sample_repo.current_label(item, RUBRIC, "ana") is None  # type: ignore[arg-type]
    assert ana.current_id == item  # refused, so the screen stays where it was
