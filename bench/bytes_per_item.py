"""Bytes written to the terminal per rated item, at 80×24 and 120×40, and where on screen they go.

Annotators work over SSH: at 64 kbit/s (8 KB/s) every kilobyte a rating
writes is an eighth of a second before the next item is readable. The aim is
≤ 4 KB per item at both sizes.

Through a real pty (answering Textual's synchronized-output query, as in
bench/keys.py): press a rating key, then read until the output has been quiet
for a while, so every follow-up frame (the header's clock, a worker's count)
is counted with the item that caused it. The next key goes out at once, so
no byte falls between two presses: a frame later than the quiet spell is
counted with the next item, and the mean stays right.

Each press's bytes are replayed through a small cursor tracker
(`ESC[row;colH`, text, `\\r\\n`) that charges every byte to the screen cell
it paints (a style or a cursor move to the cell that follows it), and cells
to the widget that covers them. The widget layout comes from the same app
run headless on a copy of the database, by the same annotator, so it shows
the same items in the same order.

Repainting less must not leave anything stale: after the presses (and a few
other keys) the screen the bytes drew is compared with a full redraw.

`python -m bench bytes`, or `python -m bench.bytes_per_item [--quick] [--dump DIR]`
(DIR gets the raw output of each press, to look at by hand).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sqlite3
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import Figure, items_db, say, table
from bench.ptydriver import SYNC_END, PtyApp

#: input, context, output: the same realistic items as bench/keys.py.
SIZES = (150, 400, 400)
SIZES_AT = ((80, 24), (120, 40))
AIM = 4096
#: Output silent this long = every follow-up frame has been written.
QUIET = 0.15
#: A full redraw after a resize can come late on a busy machine: wait longer for it.
REDRAWN = 0.5
TIMEOUT = 60.0
WARMUP = 3
#: Keys pressed after the measured ones, before comparing the screen with a full redraw.
CHECK_KEYS = "ppnnff"
#: Seconds without a key, to measure what the clock costs.
IDLE = 5.0
#: The screen's parts, most specific first (a cell goes to the first that covers it).
REGIONS = ("header", "input-box", "context-box", "output-box", "rubric", "examples", "footer")
#: Bytes that belong to no cell: synchronized-output brackets, cursor show/hide and the like.
FRAMING = "(frame control)"
OTHER = "(elsewhere)"

_TOKEN = re.compile(rb"\x1b\[([0-?]*)([ -/]*)([@-~])|\x1b[^\[]|\r|\n|[\x00-\x1f]|[^\x00-\x1f\x1b]+")


@dataclass
class Spend:
    """Bytes charged to one region, split by what they are."""

    text: int = 0
    style: int = 0
    moves: int = 0

    @property
    def total(self) -> int:
        return self.text + self.style + self.moves

    def add(self, other: Spend) -> None:
        self.text += other.text
        self.style += other.style
        self.moves += other.moves


Layout = dict[str, tuple[int, int, int, int]]  # name → (x, y, width, height), 0-based


@dataclass
class Press:
    item: str
    raw: bytes
    frames: int


def _region_at(layout: Layout, x: int, y: int) -> str:
    for name in REGIONS:
        box = layout.get(name)
        if box and box[0] <= x < box[0] + box[2] and box[1] <= y < box[1] + box[3]:
            return name
    return OTHER


def attribute(raw: bytes, layout: Layout) -> dict[str, Spend]:
    """Charge every byte of RAW to the region whose cell it paints (see the module docstring)."""
    from rich.cells import cell_len

    spent: dict[str, Spend] = {}
    x = y = 0
    pending_moves = 0  # cursor moves and styles wait for the cell they lead to
    pending_style = 0
    last = FRAMING

    def charge(region: str) -> Spend:
        return spent.setdefault(region, Spend())

    for m in _TOKEN.finditer(raw):
        token = m.group(0)
        size = len(token)
        if m.group(3) is not None:  # CSI
            final, params = m.group(3), m.group(1)
            if final == b"H":
                row, _, col = params.partition(b";")
                y, x = int(row or 1) - 1, int(col or 1) - 1
                pending_moves += size
            elif final == b"m":
                pending_style += size
            else:
                charge(FRAMING).moves += size
        elif token in (b"\r", b"\n"):
            # The end of a painted line belongs to the line it ends.
            charge(last).moves += size
            if token == b"\n":
                y += 1
            x = 0
        elif token[:1] == b"\x1b" or token[0] < 0x20:
            charge(FRAMING).moves += size
        else:
            text = token.decode("utf-8", errors="replace")
            region = _region_at(layout, x, y)
            spend = charge(region)
            spend.moves += pending_moves
            spend.style += pending_style
            pending_moves = pending_style = 0
            # A run can cross regions (it rarely does: Textual moves the cursor per widget).
            for ch in text:
                here = _region_at(layout, x, y)
                charge(here).text += len(ch.encode("utf-8"))
                x += cell_len(ch)
                last = here
    if pending_moves or pending_style:
        spend = charge(_region_at(layout, x - 1 if x else x, y))
        spend.moves += pending_moves
        spend.style += pending_style
    return spent


class Terminal:
    """Just enough of a terminal to replay what Textual writes: cursor moves, styles and text.

    Used to check that repainting less still leaves the screen right: the
    replayed screen after a run of partial updates must equal a full redraw.
    """

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.cells = [[(" ", "")] * cols for _ in range(rows)]

    def feed(self, raw: bytes | bytearray) -> None:
        from rich.cells import cell_len

        x = y = 0
        style = ""
        for m in _TOKEN.finditer(raw):
            token = m.group(0)
            if m.group(3) is not None:
                final, params = m.group(3), m.group(1).decode()
                if final == b"H":
                    row, _, col = params.partition(";")
                    y, x = int(row or 1) - 1, int(col or 1) - 1
                elif final == b"m":
                    style = "" if params in ("", "0") else f"{style};{params}".lstrip(";")
                elif final == b"J" and params == "2":
                    self.cells = [[(" ", "")] * self.cols for _ in range(self.rows)]
            elif token == b"\r":
                x = 0
            elif token == b"\n":
                y += 1
            elif token[:1] != b"\x1b" and token[0] >= 0x20:
                for ch in token.decode("utf-8", errors="replace"):
                    width = cell_len(ch)
                    if 0 <= y < self.rows and 0 <= x < self.cols:
                        self.cells[y][x] = (ch, style)
                        if width == 2 and x + 1 < self.cols:
                            self.cells[y][x + 1] = ("", style)
                    x += width

    def text(self, y: int) -> str:
        return "".join(ch for ch, _ in self.cells[y])


def _masked(header: str) -> str:
    """The header with its numbers blanked: they may move on between the two screens."""
    return re.sub(r"\d+", "#", header).rstrip()


def differing_rows(partial: Terminal, full: Terminal) -> list[int]:
    """Rows where the two screens differ (the header's numbers aside: its clock keeps ticking)."""
    rows = []
    for y in range(partial.rows):
        if y == 0:
            same = _masked(partial.text(0)) == _masked(full.text(0))
        else:
            same = partial.cells[y] == full.cells[y]
        if not same:
            rows.append(y)
            say(f"row {y + 1} after the presses: {partial.text(y)!r}")
            say(f"row {y + 1} redrawn in full:  {full.text(y)!r}")
    return rows


# -- recording ------------------------------------------------------------------


def ensure_db(quick: bool) -> Path:
    return items_db("bytes", 2_000 if quick else 5_000, SIZES, "k")


def copy_db(db: Path, to: Path) -> None:
    """A consistent copy (WAL included), so the headless run sees the same queue."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{to}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(db)
    dst = sqlite3.connect(to)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def record(
    db: Path, annotator: str, cols: int, rows: int, presses: int
) -> tuple[list[Press], float, list[int]]:
    """Press '3' PRESSES times (after WARMUP), each once the screen is quiet; every byte per press.

    Then a few other keys (CHECK_KEYS), and a resize of the terminal and
    back, which makes Textual redraw every cell: compare that with the screen
    the keys left. The rows that differ are returned (none, if repainting
    less left nothing stale).
    """
    out: list[Press] = []
    with PtyApp.annotate(db, annotator, cols=cols, rows=rows, answer_sync=True) as app:
        current = app.wait_for_item(TIMEOUT)
        app.wait_quiet(QUIET, TIMEOUT)
        for n in range(presses + WARMUP):
            mark = len(app.output)
            app.send("3")
            current = app.wait_for_new_item(current, TIMEOUT, start=mark)
            app.wait_quiet(QUIET, TIMEOUT)
            raw = bytes(app.output[mark:])
            if n >= WARMUP:
                out.append(Press(current, raw, raw.count(b"\x1b[?2026h")))
        # Not counted, but part of the check below: back to rated items (the rubric's
        # highlight moves), forward again, and a flag on and off (the header changes).
        for key in CHECK_KEYS:
            mark = len(app.output)
            app.send(key)
            app.wait_for(SYNC_END, TIMEOUT, start=mark)
            app.wait_quiet(QUIET, TIMEOUT)
        # Reading the item: only the header's clock (and pace) should reach the wire.
        mark = len(app.output)
        until = time.perf_counter() + IDLE
        while (left := until - time.perf_counter()) > 0:
            app.pump(left)
        idle = (len(app.output) - mark) / IDLE
        partial = Terminal(cols, rows)
        partial.feed(app.output)
        for size in ((cols + 1, rows), (cols, rows)):
            mark = len(app.output)
            app.resize(*size)
            app.wait_for(SYNC_END, TIMEOUT, start=mark)
            app.wait_quiet(REDRAWN, TIMEOUT)
        full = Terminal(cols, rows)
        full.feed(app.output)
    return out, idle, differing_rows(partial, full)


async def _layouts(
    db: Path, annotator: str, cols: int, rows: int, presses: int
) -> list[tuple[str, Layout]]:
    from tui_annotate.config import Settings
    from tui_annotate.core import snapshot
    from tui_annotate.core.rubric import find_rubric, shipped_rubrics_dir
    from tui_annotate.store.repository import Repository
    from tui_annotate.tui.factory import make_annotate_app

    rubric = find_rubric("faithfulness", [shipped_rubrics_dir()])
    repo = Repository.open(db)
    snapshot.register(repo, rubric)
    app = make_annotate_app(Settings(), repo=repo, rubric=rubric, annotator=annotator)
    found: list[tuple[str, Layout]] = []
    try:
        async with app.run_test(size=(cols, rows)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            for n in range(presses + WARMUP):
                await pilot.press("3")
                await pilot.pause()
                if n < WARMUP:
                    continue
                layout: Layout = {}
                for name in REGIONS:
                    widget = app.screen.query_one("Footer" if name == "footer" else f"#{name}")
                    if widget.display and widget.region.area:
                        r = widget.region
                        layout[name] = (r.x, r.y, r.width, r.height)
                item = app.session.current_item()
                found.append(("" if item is None else item.external_id, layout))
    finally:
        repo.close()
    return found


def layouts(
    db: Path, annotator: str, cols: int, rows: int, presses: int
) -> list[tuple[str, Layout]]:
    """Where each widget was after each press, from the app run headless on DB."""
    return asyncio.run(_layouts(db, annotator, cols, rows, presses))


@dataclass
class AtSize:
    cols: int
    rows: int
    presses: list[Press]
    by_region: dict[str, Spend]
    #: Bytes per second while the annotator reads (the once-a-second clock).
    idle: float
    #: Rows where the screen after the presses differed from a full redraw (should be none).
    stale_rows: list[int]

    @property
    def per_item(self) -> float:
        return statistics.fmean(len(p.raw) for p in self.presses)

    @property
    def frames(self) -> float:
        return statistics.fmean(p.frames for p in self.presses)


def measure(db: Path, cols: int, rows: int, presses: int, dump: Path | None = None) -> AtSize:
    # Two fresh copies, so both runs start from the same queue. A short name, as
    # people's are: at 80 columns a long one pushes the item id off the header.
    annotator = "ana"
    runs = [db.with_name(f"{db.stem}-{cols}x{rows}-{use}.db") for use in ("layout", "pty")]
    try:
        for copy in runs:
            copy_db(db, copy)
        maps = layouts(runs[0], annotator, cols, rows, presses)
        got, idle, stale = record(runs[1], annotator, cols, rows, presses)
    finally:
        for copy in runs:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
    total: dict[str, Spend] = {}
    for n, (press, (item, layout)) in enumerate(zip(got, maps, strict=True)):
        if item != press.item:
            raise RuntimeError(
                f"the headless run showed {item!r} where the pty showed {press.item!r}"
            )
        for region, spend in attribute(press.raw, layout).items():
            total.setdefault(region, Spend()).add(spend)
        if dump is not None:
            dump.mkdir(parents=True, exist_ok=True)
            (dump / f"{cols}x{rows}-{n:03d}-{press.item}.bin").write_bytes(press.raw)
    per = len(got)
    mean = {
        k: Spend(round(v.text / per), round(v.style / per), round(v.moves / per))
        for k, v in total.items()
    }
    return AtSize(cols, rows, got, mean, idle, stale)


def breakdown(at: AtSize) -> str:
    """Mean bytes per rated item by region: text, styles, cursor moves."""
    rows = [
        f"{at.cols}×{at.rows}: {at.per_item:,.0f} B per item in {at.frames:.1f} frames",
        f"  {'region':<16}{'total':>8}{'text':>8}{'style':>8}{'moves':>8}",
    ]
    order = sorted(at.by_region.items(), key=lambda kv: -kv[1].total)
    for name, s in order:
        rows.append(f"  {name:<16}{s.total:>8,}{s.text:>8,}{s.style:>8,}{s.moves:>8,}")
    return "\n".join(rows)


def figures(results: list[AtSize]) -> list[Figure]:
    out: list[Figure] = []
    for at in results:
        per, size = at.per_item, f"{at.cols}×{at.rows}"
        order = sorted(at.by_region.items(), key=lambda kv: -kv[1].total)
        where = ", ".join(f"{name} {s.total:,}" for name, s in order)
        text = sum(s.text for s in at.by_region.values())
        style = sum(s.style for s in at.by_region.values())
        moves = sum(s.moves for s in at.by_region.values())
        out.append(
            Figure(
                f"bytes to the terminal per rated item, {size} (mean of "
                f"{len(at.presses)}, every follow-up frame)",
                per,
                "B",
                f"≤ {AIM:,} B",
                per <= AIM,
            )
        )
        out.append(Figure(f"… where they go at {size} (B)", where))
        out.append(
            Figure(
                f"… text / styles / cursor moves at {size} (B)", f"{text:,} / {style:,} / {moves:,}"
            )
        )
        out.append(Figure(f"… one item at 64 kbit/s, {size}", per * 8 / 64, "ms"))
        out.append(Figure(f"… while reading an item at {size} (the clock ticking)", at.idle, "B/s"))
        stale = ", ".join(str(y + 1) for y in at.stale_rows) or "none"
        out.append(
            Figure(
                f"… rows left differing from a full redraw at {size}",
                stale,
                aim="none",
                ok=not at.stale_rows,
            )
        )
    return out


def run(quick: bool = False, dump: Path | None = None) -> list[Figure]:
    presses = 10 if quick else 30
    db = ensure_db(quick)
    results = []
    for cols, rows in SIZES_AT:
        say(f"{presses} rated items at {cols}×{rows}")
        at = measure(db, cols, rows, presses, dump)
        say(breakdown(at))
        results.append(at)
    return figures(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer presses, a smaller database")
    parser.add_argument("--dump", type=Path, help="write each press's raw output here")
    args = parser.parse_args()
    print(table(run(args.quick, args.dump)))


if __name__ == "__main__":
    main()
