"""`keys` lists every action and its binding's origin; a keymap that clashes is refused (exit 2)."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from tests.cli.conftest import Run, bad, ok
from tests.conftest import SAMPLE
from tui_annotate.config import CONFIG_FILE


class AppOpened(Exception):
    pass


@pytest.fixture(autouse=True)
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's config dir, in the test's temp dir: never the real ~/.config."""
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home / "tui-annotate"


def project(tmp_path: Path, keymap: str) -> Path:
    path = tmp_path / CONFIG_FILE
    path.write_text(f"[keymap]\n{keymap}", "utf-8")
    return path


def user(user_dir: Path, keymap: str) -> Path:
    user_dir.mkdir(parents=True, exist_ok=True)
    path = user_dir / "keymap.toml"
    path.write_text(keymap, "utf-8")
    return path


def rows(cli: Run, *args: str) -> dict[str, dict[str, object]]:
    data = json.loads(ok(cli("keys", "--json", *args)).stdout)
    return {r["id"]: r for r in data}


def test_keys_lists_every_action_with_its_default_key(cli: Run) -> None:
    found = rows(cli)
    assert found["skip"] == {
        "screen": "annotate",
        "id": "skip",
        "keys": ["s"],
        "source": "default",
        "file": None,
        "title": "Item: skip",
        "description": "Park this item",
    }
    assert found["help"]["keys"] == ["question_mark"]
    assert found["results.quit"]["keys"] == ["q", "escape"]
    assert {"undo", "review.note", "review.quit", "show_results"} <= set(found)
    assert not any(i.startswith("rate.") for i in found)  # no rubric named: no rating keys
    text = ok(cli("keys")).stdout
    assert "skip" in text and "Park this item" in text and "default" in text


def test_keys_with_a_rubric_lists_its_rating_keys(cli: Run) -> None:
    found = rows(cli, "--rubric", "faithfulness")
    assert found["rate.5"]["keys"] == ["5"] and found["rate.5"]["source"] == "rubric"
    assert found["review.adjudicate.1"]["keys"] == ["1"]


def test_keys_says_which_file_each_binding_came_from(
    cli: Run, tmp_path: Path, user_dir: Path
) -> None:
    mine = user(user_dir, 'skip = "x"\nflag = "g"\n')
    theirs = project(tmp_path, 'flag = "ctrl+f"\nreview.next = "j"\n')
    found = rows(cli)
    assert found["skip"]["keys"] == ["x"]
    assert (found["skip"]["source"], found["skip"]["file"]) == ("user", str(mine))
    # the project file wins over the user's own
    assert found["flag"]["keys"] == ["ctrl+f"]
    assert (found["flag"]["source"], found["flag"]["file"]) == ("project", str(theirs))
    assert found["review.next"]["keys"] == ["j"]
    assert found["undo"]["source"] == "default"


def test_a_user_file_may_hold_a_keymap_table(cli: Run, user_dir: Path) -> None:
    user(user_dir, '[keymap]\nundo = "ctrl+z,u"\n')
    assert rows(cli)["undo"]["keys"] == ["ctrl+z", "u"]


CLASHES = {
    "two actions on one key": ('skip = "u"\n', ["u", "skip", "undo"]),
    "two remapped onto one key": ('skip = "x"\nflag = "x"\n', ["x", "skip", "flag"]),
    "an action on a rating key": ('skip = "3"\n', ["skip", "3", "rating keys stay the rubric"]),
    "a rating key remapped": ('"rate.3" = "x"\n', ["rate.3", "rating keys stay the rubric"]),
    "an unknown action": ('frobnicate = "x"\n', ["frobnicate", "no such action"]),
    "a key Textual does not know": ('undo = "ctrl+nope"\n', ["undo", "ctrl+nope", "no key"]),
    "the palette's key": ('skip = "ctrl+p"\n', ["skip", "ctrl+p", "command palette"]),
    "a palette-only action": ('show_results = "r"\n', ["show_results", "no key"]),
    "two actions of one dialog on one key": (
        'tags.confirm = "escape"\n',
        ["escape", "tags.confirm", "tags.cancel", "tags dialog"],
    ),
    "a dialog action on a tag key": (
        'tags.confirm = "h"\n',
        ["tags.confirm", "h", "hallucinated-fact", "tag keys stay the rubric"],
    ),
    "a tag key remapped": ('"tags.toggle.wrong-number" = "x"\n', ["tag keys stay the rubric"]),
    "a key the comment editor types": (
        'comment.save = "x"\n',
        ["comment.save", '"x"', "types text in the comment editor", "ctrl or alt"],
    ),
    "Enter in the comment editor": ('comment.close = "enter"\n', ["comment.close", "enter"]),
    "a shifted key in the comment editor": ('comment.save = "shift+x"\n', ["shift+x", "types"]),
}


@pytest.mark.parametrize("case", list(CLASHES))
def test_a_clashing_keymap_is_refused_naming_file_keys_and_actions(
    case: str, cli: Run, tmp_path: Path
) -> None:
    text, expected = CLASHES[case]
    path = project(tmp_path, text)
    result = bad(cli("keys", "--rubric", "faithfulness"))
    assert str(path) in result.stderr
    for word in expected:
        assert word in result.stderr, (word, result.stderr)


def test_a_clash_in_the_user_file_names_that_file(cli: Run, user_dir: Path) -> None:
    path = user(user_dir, 'quit = "s"\n')
    result = bad(cli("keys"))
    assert str(path) in result.stderr and "quit" in result.stderr and "skip" in result.stderr


def test_a_keymap_that_is_not_text_is_refused_with_its_field(cli: Run, tmp_path: Path) -> None:
    path = project(tmp_path, "skip = 3\n")
    result = bad(cli("keys"))
    assert str(path) in result.stderr and "keymap.skip" in result.stderr


def test_moving_a_key_away_frees_it_for_another_action(cli: Run, tmp_path: Path) -> None:
    project(tmp_path, 'undo = "ctrl+z"\nskip = "u"\n')
    found = rows(cli, "--rubric", "faithfulness")
    assert found["skip"]["keys"] == ["u"] and found["undo"]["keys"] == ["ctrl+z"]


def test_annotate_refuses_a_clashing_keymap_before_the_app_opens(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class AnnotateApp:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise AppOpened("the annotation app was opened")

    fake = types.ModuleType("tui_annotate.tui.annotate_app")
    fake.AnnotateApp = AnnotateApp  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tui_annotate.tui.annotate_app", fake)
    ok(cli("import", str(SAMPLE)))
    path = project(tmp_path, 'skip = "5"\n')
    result = bad(cli("annotate", "--rubric", "faithfulness", "--annotator", "ana"))
    assert str(path) in result.stderr and "skip" in result.stderr and "5" in result.stderr


def test_keys_lists_the_dialogs_actions(cli: Run) -> None:
    found = rows(cli)
    assert found["comment.save"] == {
        "screen": "comment",
        "id": "comment.save",
        "keys": ["ctrl+s"],
        "source": "default",
        "file": None,
        "title": "Comment: save",
        "description": "Keep the text and close the editor",
    }
    assert found["comment.close"]["keys"] == ["escape"]
    assert found["tags.confirm"]["keys"] == ["enter"] and found["tags.cancel"]["screen"] == "tags"
    assert found["help.close"]["keys"] == ["escape", "q", "question_mark"]
    assert "help.close" in ok(cli("keys")).stdout


def test_keys_with_a_rubric_lists_its_tag_keys_on_the_tag_picker(cli: Run) -> None:
    found = rows(cli, "--rubric", "faithfulness")
    tag = found["tags.toggle.hallucinated-fact"]
    assert (tag["screen"], tag["keys"], tag["source"]) == ("tags", ["h"], "rubric")


def test_a_dialog_key_may_repeat_a_screen_key(cli: Run, tmp_path: Path) -> None:
    """A dialog's keys are the only ones live while it is open: s skips, and closes help."""
    project(tmp_path, 'help.close = "s"\ncomment.save = "f2"\n')
    found = rows(cli, "--rubric", "faithfulness")
    assert found["help.close"]["keys"] == ["s"] and found["skip"]["keys"] == ["s"]
    assert found["comment.save"]["keys"] == ["f2"]
    assert found["comment.save"]["source"] == "project"


def test_keys_prints_each_decide_actions_own_key_not_the_footers_shorthand(cli: Run) -> None:
    """The footer writes '1-4' and '[ ]' for a group; `keys` names the one key each action has."""
    lines = {
        line.split("│")[2].strip(): line.split("│")[3].strip()
        for line in ok(cli("keys")).stdout.splitlines()
        if line.count("│") > 4
    }
    assert lines["decide.scorecard"] == "1" and lines["decide.compare"] == "2"
    assert lines["decide.baseline_previous"] == "["
    assert lines["decide.candidate_previous"] == "{"
    assert lines["decide.help"] == "?" and lines["help"] == "?"


def test_keys_lists_the_pairwise_screens_actions(cli: Run, tmp_path: Path) -> None:
    found = rows(cli)
    assert found["pairwise.both_bad"]["screen"] == "pairwise"
    assert found["pairwise.both_bad"]["keys"] == ["b"]
    assert found["pairwise_results.quit"]["keys"] == ["q", "escape"]
    project(tmp_path, 'pairwise.skip = "x"\n')
    assert rows(cli)["pairwise.skip"]["keys"] == ["x"]
