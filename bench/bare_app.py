"""The baseline for key latency: a bare Textual app that inserts a row and redraws a text per key.

`python bench/bare_app.py DB [--item-like]`. Same terminal, same SQLite
settings as tui-annotate (WAL, synchronous=FULL, one BEGIN IMMEDIATE …
COMMIT per key), and a header in the same shape ("… on item │ ID"), so the
pty driver measures both apps the same way.

By default the text is one ~400-character Static (the spec's baseline).
With --item-like it draws what tui-annotate draws for an item (input,
context and output of ~150/400/400 characters in bordered sections, beside a
fixed side panel), to tell Textual's cost of drawing that much text from
the app's own overhead. With --read-row (the start-up baseline,
bench/startup.py) the first item shown is a row read from the file.
"""

from __future__ import annotations

import sqlite3
import sys
import time

from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.events import Key
from textual.widgets import Static

BODY = (
    "Good news: your Ridgeline Hiking Boots (order {id}) shipped with UPS on June 10 and are "
    "expected to arrive on Friday, June 14. Tracking number: 1Z84V2W10312457768. You can "
    "follow the parcel on ups.com. If the boots don't fit, you can exchange them for free "
    "within 30 days: start the exchange from your account page and print the prepaid label. "
    "Refunds reach your card within 5 business days of the return arriving at our warehouse."
)
WORDS = BODY.replace(".", "").replace(",", "").replace(":", "").split()
CSS = """
#main { height: 1fr; }
#item { width: 3fr; }
.section { border: round $primary 50%; padding: 0 1; height: auto; }
#side { width: 2fr; border: round $secondary; padding: 0 1; height: 1fr; }
"""


def text(n: int, chars: int) -> str:
    """About CHARS characters of prose that differ from one item to the next."""
    out: list[str] = []
    size = 0
    i = n * 7
    while size < chars:
        word = WORDS[i % len(WORDS)]
        out.append(word)
        size += len(word) + 1
        i += 3
    return " ".join(out)


class BareApp(App[None]):
    def __init__(self, db: str, item_like: bool = False, read_row: bool = False) -> None:
        super().__init__()
        self.item_like = item_like
        self.read_row = read_row
        self.conn = sqlite3.connect(db, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, item TEXT NOT NULL,"
            " score INTEGER NOT NULL, created_at REAL NOT NULL)"
        )
        self.n = 1

    def compose(self) -> ComposeResult:
        yield Static(id="header")
        if not self.item_like:
            yield Static(id="body")
            return
        with Horizontal(id="main"):
            with VerticalScroll(id="item"):
                for name in ("input", "context", "output"):
                    yield Static(id=name, classes="section")
            yield Static("\n".join(text(k, 110) for k in range(12)), id="side")

    def on_mount(self) -> None:
        if self.read_row:
            row = self.conn.execute("SELECT id, item FROM events ORDER BY id LIMIT 1").fetchone()
            if row is None:
                self.conn.execute(
                    "INSERT INTO events (item, score, created_at) VALUES ('bare-000001', 0, 0)"
                )
            self.n = row[0] if row else 1
        self.show()

    def show(self) -> None:
        item = f"bare-{self.n:06d}"
        header = f" bare · {self.n - 1} done · 0:00 on item │ {item}"
        self.query_one("#header", Static).update(header)
        if not self.item_like:
            self.query_one("#body", Static).update(BODY.format(id=item))
            return
        for name, chars in (("input", 150), ("context", 400), ("output", 400)):
            self.query_one(f"#{name}", Static).update(f"{item} {text(self.n + chars, chars)}")

    def on_key(self, event: Key) -> None:
        if event.character and event.character in "12345":
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT INTO events (item, score, created_at) VALUES (?, ?, ?)",
                (f"bare-{self.n:06d}", int(event.character), time.time()),
            )
            self.conn.execute("COMMIT")
            self.n += 1
            self.show()
        elif event.key == "q":
            self.exit()


class ItemLikeApp(BareApp):
    CSS = CSS

    def __init__(self, db: str) -> None:
        super().__init__(db, item_like=True)


if __name__ == "__main__":
    if "--item-like" in sys.argv[2:]:
        ItemLikeApp(sys.argv[1]).run()
    else:
        BareApp(sys.argv[1], read_row="--read-row" in sys.argv[2:]).run()
