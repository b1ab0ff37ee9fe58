"""A whole calibration round through the app: three annotators, blind, closed, and the gate after."""

from __future__ import annotations

from tests.tui.helpers import open_app
from tui_annotate.core import calibration, gate
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository
from tui_annotate.tui.annotate_app import AnnotateApp
from tui_annotate.tui.screens.done import AllDoneScreen

TEAM = ("alice.q", "bob.q", "carol.q")  # names that never occur in item text


def screen_text(app: AnnotateApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def annotate_round(repo: Repository, rubric: Rubric, name: str, key_for) -> list[str]:  # type: ignore[no-untyped-def]
    """Rate every round item with keys; return the screens' text at each item (for blindness)."""
    seen: list[str] = []
    app = open_app(repo, rubric, name)  # a member of an open round: calibration only
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        while not isinstance(app.screen, AllDoneScreen):
            text = screen_text(app)
            assert "calibration round" in text
            seen.append(text)
            item = app.session.current_id
            assert item is not None
            if name == "alice.q":
                await pilot.press("c", *"ANA-PRIVATE-NOTE", "escape")
            await pilot.press(key_for(name, item))
            await pilot.pause()
        await pilot.press("q")
    return seen


async def test_a_round_with_three_annotators(sample_repo: Repository, faithfulness: Rubric) -> None:
    round_ = calibration.start_round(
        sample_repo, faithfulness, TEAM, items=5, seed=11, created_by="lead"
    )
    in_round = set(sample_repo.rounds.item_ids(round_.id))

    def key_for(name: str, item: int) -> str:
        base = item % 5 + 1
        return str(base if name != "carol.q" or item % 2 else max(1, base - 1))

    screens = {}
    for name in TEAM:
        screens[name] = await annotate_round(sample_repo, faithfulness, name, key_for)
        assert len(screens[name]) == 5
    # blind: bob and carol never saw alice's comment or anyone else's name on their screens
    for name in ("bob.q", "carol.q"):
        for text in screens[name]:
            assert "ANA-PRIVATE-NOTE" not in text
            assert not any(other in text for other in TEAM if other != name)
    labels = sample_repo.rounds.labels(round_.id)
    assert {label.item_id for label in labels} == in_round
    assert all(
        label.comment == "ANA-PRIVATE-NOTE" for label in labels if label.annotator == "alice.q"
    )
    # nobody else can go live while the round is open; round members only calibrate
    assert not gate.decide(sample_repo, faithfulness, "dan").allowed
    assert gate.decide(sample_repo, faithfulness, "alice.q").calibration_only
    result = calibration.close_round(sample_repo, round_, faithfulness, bootstrap=200)
    assert result.alpha is not None and result.verdict in ("pass", "tentative", "fail")
    passed = result.verdict == "pass"
    for name in TEAM:
        decision = gate.decide(sample_repo, faithfulness, name)
        assert decision.allowed is passed and not decision.calibration_only
    assert not gate.decide(sample_repo, faithfulness, "dan").allowed


async def test_a_passed_annotator_goes_live_after_the_round(sample_repo, faithfulness) -> None:
    round_ = calibration.start_round(
        sample_repo, faithfulness, ["ana", "ben"], items=4, seed=2, created_by="lead"
    )
    for name in ("ana", "ben"):
        await annotate_round(sample_repo, faithfulness, name, lambda _n, item: str(item % 5 + 1))
    result = calibration.close_round(sample_repo, round_, faithfulness, bootstrap=0)
    assert result.verdict == "pass"
    app = open_app(sample_repo, faithfulness, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("q")  # the round's results greet her first
        await pilot.pause()
        assert app.session.current_id not in sample_repo.rounds.item_ids(round_.id)
        assert "calibration round" not in screen_text(app)
        await pilot.press("4")
        await pilot.pause()
    live = [
        e for e in sample_repo.events(annotator="ana") if e.kind == "rate" and not e.calibration
    ]
    assert len(live) == 1


async def test_round_results_greet_each_annotator_once_after_close(
    sample_repo, faithfulness
) -> None:
    from tui_annotate.tui.screens.annotate import AnnotateScreen
    from tui_annotate.tui.screens.results import ResultsScreen

    round_ = calibration.start_round(
        sample_repo, faithfulness, ["ana", "ben"], items=3, seed=4, created_by="lead"
    )
    for name in ("ana", "ben"):
        await annotate_round(sample_repo, faithfulness, name, lambda _n, item: str(item % 5 + 1))
    calibration.close_round(sample_repo, round_, faithfulness, bootstrap=0)
    for opening, expect_results in ((1, True), (2, False)):
        app = open_app(sample_repo, faithfulness, "ana")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ResultsScreen) is expect_results, opening
            if expect_results:
                assert f"round {round_.id}" in screen_text(app)
                await pilot.press("q")  # closes the results, not the app
                await pilot.pause()
            assert isinstance(app.screen, AnnotateScreen)
            assert app.is_running
    # ben took part too, so he sees it once; dan, who did not, is not shown it
    for name, shown in (("ben", True), ("dan", False)):
        # dan took no part: only a lead's --allow-uncalibrated lets him in at all
        app = open_app(sample_repo, faithfulness, name, allow_uncalibrated=name == "dan")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ResultsScreen) is shown, name
