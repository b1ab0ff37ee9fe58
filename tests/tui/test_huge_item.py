"""A 5 MB output (imported with max_item_bytes raised) shows its first lines, windowed, literally."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tui.helpers import SIZE, MakeApp, annotate_screen, press_until, screen_lines, settle
from tui_annotate.core import ingest
from tui_annotate.store.repository import Repository
from tui_annotate.tui.widgets.windowed_text import WINDOWED_CHARS, WindowedText

LINE = "line {:06d}: the quick brown fox \x1b[31mjumps\x1b[0m over the [bold]lazy[/bold] dog."


def huge_output() -> str:
    lines = [LINE.format(n) for n in range(80_000)]
    text = "\n".join(lines)
    assert len(text.encode()) > 5_000_000
    return text


async def test_a_5_mb_output_shows_its_first_lines_and_moves_on(
    make_app: MakeApp, sample_repo: Repository, tmp_path: Path
) -> None:
    path = tmp_path / "huge.jsonl"
    path.write_text(json.dumps({"id": "huge", "output": huge_output()}) + "\n", "utf-8")
    ingest.import_items(sample_repo, path, max_item_bytes=10_000_000)
    huge = sample_repo.item_ids_by_external(["huge"])["huge"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press_until(pilot, "n", lambda: app.session.current_id == huge, limit=45)
        await pilot.pause()
        screen = annotate_screen(app)
        windowed = screen.query_one("#output-long", WindowedText)
        assert windowed.display and not screen.query_one("#output").display
        assert windowed.rows >= 80_000  # every line is there to scroll to …
        shown = "\n".join(screen_lines(app))
        # … and the first ones are on screen, control characters as symbols, markup as text.
        assert "line 000000: the quick brown fox ␛[31mjumps␛[0m over the [bold]" in shown
        assert "line 000001" in shown
        assert "\x1b" not in "".join(windowed.row_text(y) for y in range(50))
        # Scrolling reaches the end.
        await pilot.press("end")
        await pilot.pause()
        assert "line 079999" in "\n".join(screen_lines(app))
        # The next item is an ordinary one, in the ordinary Static.
        await pilot.press("n")
        await pilot.pause()
        assert app.session.current_id != huge
        assert not windowed.display and windowed.rows == 0
        assert screen.query_one("#output").display
        assert len(app.session.current_item().output) < WINDOWED_CHARS  # type: ignore[union-attr]
