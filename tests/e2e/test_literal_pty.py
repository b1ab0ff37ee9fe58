"""Model text reaches the terminal as visible characters: escape sequences are shown, not obeyed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import TIMEOUT, Spawn
from tui_annotate.core import ingest
from tui_annotate.store.repository import Repository

HOSTILE_OUTPUT = "\n".join(
    [
        "Your order shipped.",
        "title \x1b]0;pwned\x07 here",
        "clip \x1b]52;c;ZXZpbA==\x07 here",
        "clear \x1b[2J here",
        "markup [bold red]x[/] here",
        "erase abc\x08\x08\x08 here",
    ]
)


def test_escape_sequences_and_markup_are_shown_literally(tmp_path: Path, spawn: Spawn) -> None:
    items = tmp_path / "hostile.jsonl"
    record = {
        "id": "evil-1",
        "input": "where is my order? \x1b]0;pwned-input\x07",
        "context": '{"status": "shipped \x1b]52;c;ZXZpbA==\x07"}',
        "output": HOSTILE_OUTPUT,
    }
    items.write_text(json.dumps(record) + "\n", encoding="utf-8")
    db = tmp_path / "annotations.db"
    with Repository.open(db) as repo:
        ingest.import_items(repo, items)

    app = spawn(db, "kim")
    assert app.wait_for_item(TIMEOUT) == "evil-1"
    app.wait_for(b"erase abc", TIMEOUT)  # the output's last line is on screen
    # Let the frame finish: everything written up to the first quiet moment.
    app.wait_quiet(0.3, TIMEOUT)
    raw = bytes(app.output)

    assert b"\x1b]0;pwned" not in raw
    assert b"\x1b]52;" not in raw
    assert b"\x1b[2J" not in raw
    assert b"\x08" not in raw

    text = raw.decode("utf-8")
    assert "[bold red]x[/]" in text
    assert "␛]0;pwned␇" in text
    assert "␛]52;c;ZXZpbA==␇" in text
    assert "␛[2J" in text
    assert "abc␈␈␈" in text
