"""Every action of every screen and dialog, defined once, in one table for each.

One row per action (harlequin's `actions.py`): its id (the binding id, and
the name a user remaps in `[keymap]`), its default keys, the footer's word,
the palette's "Verb: object" title and help, and the help screen's line.
Bindings, the help screen's rows and the palette's commands are generated
from these rows (tui/action_views.py); tests/tui/test_actions.py checks
that every action is reachable all three ways. Rating keys are not rows:
they come from the rubric, through a RatingKeys (tui/action.py, with the row type).

No Textual import beyond `Binding`: the `keys` command and the keymap check
read these tables without starting an app.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Re-exported: screens, the keymap and the `keys` command import them from here.
from tui_annotate.tui.action import ADJUDICATE as ADJUDICATE
from tui_annotate.tui.action import RATE as RATE
from tui_annotate.tui.action import Action as Action
from tui_annotate.tui.action import RatingKeys as RatingKeys
from tui_annotate.tui.action import row as _a

#: The annotation screen, in footer (and palette) order after the rating keys.
ANNOTATE = (
    _a(
        "tags",
        "t",
        "tags",
        "Tags: pick",
        "Choose failure tags for this item",
        help="tags: pick failure tags (each tag has a key; {tags.confirm} confirms)",
        priority=True,
    ),
    _a(
        "comment",
        "c",
        "comment",
        "Comment: edit",
        "Write a comment for this item",
        help="comment: write a comment for this item's label",
        priority=True,
    ),
    _a(
        "undo",
        "u",
        "undo",
        "Label: undo",
        "Retract the last label and go back to it",
        help="undo: go back to the last item you rated or skipped and retract that label",
    ),
    _a(
        "skip",
        "s",
        "skip",
        "Item: skip",
        "Park this item",
        help="skip: park this item (r on the all-done screen brings skipped items back)",
    ),
    _a(
        "flag",
        "f",
        "flag",
        "Item: flag",
        "Flag for expert review, or unflag",
        help="flag: mark the item for expert review (press again to unflag)",
    ),
    _a(
        "next",
        "n",
        "next",
        "Item: next",
        "Next item without rating",
        help="next / previous item without rating",
        show=False,
    ),
    _a(
        "previous",
        "p",
        "prev",
        "Item: previous",
        "Previous item",
        help="next / previous item without rating",
        show=False,
    ),
    _a(
        "examples",
        "e",
        "examples",
        "Examples: toggle",
        "Show or hide the few-shot examples",
        help="examples: show or hide the few-shot examples",
        show=False,
        action="toggle_examples",
    ),
    _a(
        "markdown",
        "m",
        "markdown",
        "Markdown: toggle",
        "Render the output as Markdown or raw",
        help="markdown: render the output as Markdown, or show it raw",
        show=False,
        action="toggle_markdown",
    ),
    _a(
        "help",
        "question_mark",
        "help",
        "Help: show",
        "All keys and the rubric's scale",
        help="this help",
        key_display="?",
        priority=True,
    ),
    _a(
        "show_results",
        "",
        "results",
        "Results: show",
        "Your last calibration round's agreement",
        action="app.show_results",
        show=False,
    ),
    _a(
        "quit",
        "q",
        "quit",
        "App: quit",
        "Quit (every label is already saved)",
        help="quit: every label is already saved; reopen to resume",
    ),
)

#: The review screen (`calibrate review`), after the rubric's adjudication keys.
REVIEW = (
    _a("review.note", "c", "note", "Note: edit", "The note the golden label will carry"),
    _a("review.next", "n", "next", "Item: next", "Next item without adjudicating"),
    _a("review.previous", "p", "prev", "Item: previous", "Previous item"),
    _a("review.quit", "q", "quit", "App: quit", "Quit (every golden label is already saved)"),
)

#: A closed round's results (`calibrate show`, or over the annotation app).
RESULTS = (_a("results.quit", "q,escape", "quit", "App: quit", "Close the results"),)

_TABS_HELP = "the Scorecard, Compare, Trend and Tags tabs"
_PICK_HELP = {
    "baseline": "the baseline: one version back or on (golden first)",
    "candidate": "the candidate: one version back or on",
}
#: The Decide screen (`decide`): its tabs, the two versions compared, the regressed cases.
DECIDE = (
    # 1-4 pick a tab; the footer shows the first for all four.
    *(
        _a(
            f"decide.{tab}",
            key,
            "tabs" if key == "1" else tab,
            f"Tab: {tab}",
            tooltip,
            help=_TABS_HELP,
            action=f"show_tab('{tab}')",
            show=key == "1",
            key_display="1-4" if key == "1" else None,
        )
        for key, tab, tooltip in (
            ("1", "scorecard", "Every version's pass rates against the thresholds"),
            ("2", "compare", "The two picked versions, paired by case"),
            ("3", "trend", "Pass rate per version, as a forest plot"),
            ("4", "tags", "Failure tags per version (a Pareto)"),
        )
    ),
    # [ ] move the baseline, { } the candidate; the footer shows each pair once.
    *(
        _a(
            f"decide.{which}_{way}",
            key,
            which,
            f"{which.capitalize()}: {way}",
            f"Compare with the {which} one version {'back' if step < 0 else 'on'}",
            help=_PICK_HELP[which],
            action=f"pick('{which}', {step})",
            show=step < 0,
            key_display=shown if step < 0 else None,
        )
        for which, shown, pair in (
            ("baseline", "[ ]", ("left_square_bracket", "right_square_bracket")),
            ("candidate", "{ }", ("left_curly_bracket", "right_curly_bracket")),
        )
        for way, key, step in (("previous", pair[0], -1), ("next", pair[1], 1))
    ),
    _a(
        "decide.trend_by",
        "w",
        "by week",
        "Trend: by week or version",
        "The trend per ISO week of the items' time, or per version",
        help="the trend per ISO week, or per version (Trend tab)",
        action="toggle_trend_by",
        show=False,
    ),
    _a(
        "decide.open_case",
        "enter",
        "open case",
        "Case: open",
        "The highlighted regressed case: its item and labels",
        help="open the highlighted regressed case (Compare tab): its item and labels",
    ),
    _a(
        "decide.help",
        "question_mark",
        "help",
        "Help: show",
        "Every key of this screen",
        help="this help",
        key_display="?",
    ),
    _a("decide.quit", "q", "quit", "App: quit", "Close the Decide screen", help="quit"),
)

#: A regressed case opened from the Decide screen.
DECIDE_CASE = (_a("case.close", "escape,q", "close", "Case: close", "Back to the comparison"),)

#: The pairwise A/B screen (`pairwise annotate`): the vote keys, then annotate's own.
PAIRWISE = (
    *(
        _a(
            f"pairwise.{name}",
            key,
            word,
            f"Vote: {title}",
            tooltip,
            help=tooltip,
            action=f"vote('{shown}')",
        )
        for name, key, shown, word, title, tooltip in (
            ("response_1", "1", "1", "better", "Response 1", "Response 1 (left, or top) is better"),
            (
                "response_2",
                "2",
                "2",
                "better",
                "Response 2",
                "Response 2 (right, or bottom) is better",
            ),
            ("tie", "0", "tie", "tie", "tie", "A tie: equally good"),
            ("both_bad", "b", "both_bad", "both bad", "both bad", "Both are bad"),
        )
    ),
    _a(
        "pairwise.comment",
        "c",
        "comment",
        "Comment: edit",
        "Write a comment on this pair (saved with the vote)",
        help="Write a comment on this pair (saved with the vote)",
    ),
    _a(
        "pairwise.tags",
        "t",
        "tags",
        "Tags: pick",
        "Failure tags for the worse response (saved with the vote)",
        help="Failure tags for the worse response (saved with the vote)",
    ),
    _a(
        "pairwise.undo",
        "u",
        "undo",
        "Vote: undo",
        "Take back the last vote or skip and go back to it",
        help="Take back the last vote or skip and go back to it",
    ),
    _a(
        "pairwise.skip",
        "s",
        "skip",
        "Pair: skip",
        "Skip this pair (it goes back to the pool)",
        help="Skip this pair (it goes back to the pool)",
    ),
    _a(
        "pairwise.help",
        "question_mark",
        "help",
        "Help: show",
        "These keys",
        help="These keys",
        key_display="?",
    ),
    _a(
        "pairwise.quit",
        "q",
        "quit",
        "App: quit",
        "Quit (every vote is already saved)",
        help="Quit (every vote is already saved)",
    ),
)

#: A pairwise task's results (`pairwise results --view`).
PAIRWISE_RESULTS = (
    _a("pairwise_results.quit", "q,escape", "quit", "App: quit", "Close the results"),
)

#: The all-done screen at the end of an annotator's queue.
DONE = (
    _a(
        "done.revisit",
        "r",
        "revisit skipped",
        "Skipped: revisit",
        "Bring the skipped items back",
        action="choose('revisit')",
    ),
    _a(
        "done.back",
        "p",
        "previous item",
        "Item: previous",
        "Back to the last item",
        action="choose('back')",
    ),
    _a(
        "done.quit",
        "q",
        "quit",
        "App: quit",
        "Quit (every label is already saved)",
        action="choose('quit')",
    ),
)

# -- the dialogs (tui/dialogs/): a dialog's keys are the only ones live while it is open,
# so it may reuse a screen's key; its hint line is its help, generated from these rows.

#: The comment editor, and the adjudication note (the same editor, titled for the note).
COMMENT = (
    _a(
        "comment.save",
        "ctrl+s",
        "save",
        "Comment: save",
        "Keep the text and close the editor",
        priority=True,
        action="save",
    ),
    _a(
        "comment.close",
        "escape",
        "save",
        "Comment: close",
        "Close the editor; the text is kept too",
        priority=True,
        action="save",
    ),
)

#: The tag picker; the tags' own keys come from the rubric.
TAGS = (
    _a("tags.confirm", "enter", "confirm", "Tags: confirm", "Keep the tags as ticked"),
    _a("tags.cancel", "escape", "cancel", "Tags: cancel", "Close without changing the tags"),
)

#: The help screen.
HELP = (_a("help.close", "escape,q,question_mark", "close", "Help: close", "Close the help"),)

#: Every table by the screen or dialog it belongs to: what `[keymap]` may name. Keys clash
#: only within one (a dialog's keys are the only ones live while it is open).
TABLES: Mapping[str, Sequence[Action]] = {
    "annotate": ANNOTATE,
    "done": DONE,
    "review": REVIEW,
    "results": RESULTS,
    "decide": DECIDE,
    "decide_case": DECIDE_CASE,
    "pairwise": PAIRWISE,
    "pairwise_results": PAIRWISE_RESULTS,
    "comment": COMMENT,
    "tags": TAGS,
    "help": HELP,
}

#: The tables that belong to a dialog rather than a screen (messages say which).
DIALOGS = frozenset({"comment", "tags", "help", "decide_case"})

#: Dialogs a person types text in: none of their actions may take a key that types.
TYPING = frozenset({"comment"})

#: Keys the app itself holds on every screen: no action may take them.
APP_KEYS = {"ctrl+p": "the command palette", "ctrl+q": "Textual's quit"}

#: The help screen's row for the palette, which is the App's key, not a screen's.
PALETTE_ROW = ("ctrl+p", "command palette: every action by name")
