"""An open calibration round hides only its own labels from export, and export says so on stderr."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run, ok
from tests.cli.test_calibrate import agree, rate_round, start
from tests.conftest import SAMPLE, load_shipped
from tui_annotate.core import snapshot
from tui_annotate.store.repository import Repository

#: zed labelled these sample items (by internal id) before any round: zed is no round annotator.
ZED_ITEMS = range(1, 21)


def rows(cli: Run) -> tuple[dict[str, list[str]], str]:
    result = ok(cli("export", "--rubric", "faithfulness", "--format", "jsonl"))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    return {r["item_id"]: r["annotators"] for r in records}, result.stderr


def test_open_round_keeps_others_labels_and_says_what_it_hid(cli: Run, db_path: Path) -> None:
    ok(cli("import", str(SAMPLE)))
    rubric = load_shipped("faithfulness")
    with Repository.open(db_path) as repo:
        snapshot.register(repo, rubric)
        for item in ZED_ITEMS:
            repo.append_event(
                item_id=item,
                rubric="faithfulness",
                rubric_version=rubric.version,
                annotator="zed",
                kind="rate",
                score=4,
            )
        external = {i: repo.get_item(i).external_id for i in range(1, 41)}
    before, notice = rows(cli)
    assert before == {external[i]: ["zed"] for i in ZED_ITEMS}
    assert "left out" not in notice

    round_id = start(cli, items=8, team="ana,ben")
    rate_round(db_path, ["ana", "ben"], agree)
    with Repository.open(db_path) as repo:
        in_round = repo.rounds.item_ids(round_id)
    round_only = [i for i in in_round if i not in ZED_ITEMS]

    during, notice = rows(cli)
    # Nothing zed made disappears; none of the round's 16 labels shows.
    assert during == before
    hidden = 2 * len(in_round)
    assert f"left out {hidden} labels of open calibration round {round_id}" in notice
    assert f"calibrate close {round_id}" in notice
    if round_only:
        assert f"{len(round_only)} item" in notice and "not exported" in notice
    else:
        assert "not exported" not in notice

    ok(cli("calibrate", "close", str(round_id)))
    after, notice = rows(cli)
    assert "left out" not in notice
    expected = {external[i]: ["zed"] for i in ZED_ITEMS}
    for i in in_round:
        expected[external[i]] = sorted(["ana", "ben", *(["zed"] if i in ZED_ITEMS else [])])
    assert {k: sorted(v) for k, v in after.items()} == expected


def test_a_round_label_is_hidden_but_a_later_live_label_by_another_is_not(
    cli: Run, db_path: Path
) -> None:
    """Blindness is about the round's own labels, not about its items."""
    ok(cli("import", str(SAMPLE)))
    round_id = start(cli, items=4, team="ana,ben")
    rate_round(db_path, ["ana"], agree)
    rubric = load_shipped("faithfulness")
    with Repository.open(db_path) as repo:
        [first, *_] = repo.rounds.item_ids(round_id)
        repo.append_event(
            item_id=first,
            rubric="faithfulness",
            rubric_version=rubric.version,
            annotator="zed",
            kind="rate",
            score=2,
        )
        first_ext = repo.get_item(first).external_id
    exported, notice = rows(cli)
    assert exported == {first_ext: ["zed"]}
    assert f"left out 4 labels of open calibration round {round_id}" in notice
    assert "3 items had no other label and are not exported" in notice
