"""The command palette names each Decide action's own key, not the footer's shorthand.

The footer writes "1-4" once for the four tabs and "[ ]" for a pair of keys; in
the palette each entry is one action, so "Tab: trend" must say 3, not "1-4".
"""

from __future__ import annotations

from tests.tui.test_decide_screen import SIZE, decide_data, settle
from tui_annotate.tui.decide_app import DecideApp


async def test_palette_entries_name_the_one_key_of_their_action() -> None:
    app = DecideApp(decide_data())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        helps = {c.title: c.help for c in app.get_system_commands(app.screen)}
    assert helps["Tab: scorecard"].endswith("(1)"), helps["Tab: scorecard"]
    assert helps["Tab: tags"].endswith("(4)")
    assert helps["Baseline: previous"].endswith("([)")
    assert helps["Candidate: next"].endswith("(})")
    assert helps["Help: show"].endswith("(?)")
