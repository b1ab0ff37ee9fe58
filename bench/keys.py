"""Key press → next item visible, bytes per item and start-up time, through a real pty at 120×40.

Our app on a database of 100,000 realistic items, against a bare Textual app
that only inserts a row and redraws a text (bench/bare_app.py). The pty
answers Textual's synchronized-output query, as kitty, WezTerm or a recent
xterm would, so each frame arrives between ?2026h and ?2026l and "the frame
is complete" is exact. Three times per key press:

- id: the new item's id reaches the terminal (the header, drawn first);
- frame: the end of the frame that carries it (what a terminal shows);
- settled: the last byte before the output goes quiet (every follow-up frame:
  the header's once-a-second clock lands in some windows, hence its p95).

A second baseline (bare_app.py --item-like) draws as much text as we do, in
the same bordered sections, to separate Textual's drawing cost from ours.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import OUT, ROOT, Figure, generate_jsonl, import_file, main_for, say, summary
from bench.ptydriver import ITEM_ID, SYNC_END, PtyApp

COLS, ROWS = 120, 40
#: input, context, output: about the sizes of a support assistant's real items.
SIZES = (150, 400, 400)
#: Output silent this long = the app has finished drawing.
QUIET = 0.08
TIMEOUT = 60.0
#: Key presses after start-up not counted (first-use costs: lazy imports, the queue count).
WARMUP = 3


@dataclass
class Presses:
    id_ms: list[float] = field(default_factory=list)
    frame_ms: list[float] = field(default_factory=list)
    settled_ms: list[float] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


def ours(db: Path, annotator: str) -> PtyApp:
    return PtyApp.annotate(db, annotator, "faithfulness", cols=COLS, rows=ROWS, answer_sync=True)


def bare(db: Path, *flags: str) -> PtyApp:
    argv = [sys.executable, str(ROOT / "bench" / "bare_app.py"), str(db), *flags]
    return PtyApp(argv, cols=COLS, rows=ROWS, answer_sync=True)


def frame_end(app: PtyApp, after: int) -> float:
    """When the frame that is being written at offset AFTER is complete."""
    if not app.sync_answered:
        return time.perf_counter()
    return app.wait_for(SYNC_END, TIMEOUT, start=after)


def first_frame(app: PtyApp) -> tuple[str, float, float]:
    """(item id, seconds from spawn to id visible, seconds from spawn to that frame complete)."""
    seen = app.wait_for(ITEM_ID, TIMEOUT)
    match = ITEM_ID.search(app.output)
    assert match is not None
    done = frame_end(app, match.end())
    return match.group(1).decode(), seen - app.started_at, done - app.started_at


def press_keys(app: PtyApp, key: str, count: int) -> Presses:
    """Press KEY COUNT times, each after the screen settled; time every acknowledgement."""
    current, _, _ = first_frame(app)
    app.wait_quiet(QUIET, TIMEOUT)
    out = Presses()
    for n in range(count + WARMUP):
        mark = len(app.output)
        previous = current

        def moved(a: PtyApp, mark: int = mark, previous: str = previous) -> bool:
            return any(m.group(1).decode() != previous for m in ITEM_ID.finditer(a.output, mark))

        sent = time.perf_counter()
        app.send(key)
        seen = app.wait_for(moved, TIMEOUT)
        match = next(
            m for m in ITEM_ID.finditer(app.output, mark) if m.group(1).decode() != previous
        )
        current = match.group(1).decode()
        framed = frame_end(app, match.end())
        settled = app.wait_quiet(QUIET, TIMEOUT)
        if n < WARMUP:
            continue
        out.id_ms.append((seen - sent) * 1000)
        out.frame_ms.append((framed - sent) * 1000)
        out.settled_ms.append((max(settled, framed) - sent) * 1000)
        out.bytes.append(len(app.output) - mark)
        out.ids.append(current)
    return out


def starts(spawn: object, times: int) -> tuple[list[float], list[float]]:
    """Start the app TIMES times; seconds to the first item id, and to its frame complete."""
    to_id, to_frame = [], []
    for _ in range(times):
        with spawn() as app:  # type: ignore[operator]
            _, seen, framed = first_frame(app)
            to_id.append(seen)
            to_frame.append(framed)
    return to_id, to_frame


def run(quick: bool = False) -> list[Figure]:
    count = 20_000 if quick else 100_000
    presses = 50 if quick else 200
    n_starts = 3 if quick else 5
    OUT.mkdir(parents=True, exist_ok=True)
    items = generate_jsonl(OUT / f"keys-{count}.jsonl", count, SIZES, prefix="k")
    db = OUT / f"keys-{count}.db"
    say(f"importing {count:,} items for the key benchmark")
    seconds, inserted = import_file(db, items)
    assert inserted == count, (inserted, count)
    bare_db = OUT / "bare.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{bare_db}{suffix}").unlink(missing_ok=True)

    say(f"{n_starts} starts of tui-annotate on {count:,} items")
    start_id, start_frame = starts(lambda: ours(db, "bench-start"), n_starts)
    say(f"{presses} rating keys in tui-annotate")
    with ours(db, "bench-keys") as app:
        mine = press_keys(app, "3", presses)
    assert len(set(mine.ids)) == len(mine.ids), "an item came round twice"
    say(f"{presses} keys in the bare Textual app")
    bare_start, _ = starts(lambda: bare(bare_db), n_starts)
    with bare(bare_db) as app:
        base = press_keys(app, "3", presses)
    say(f"{presses} keys in a bare Textual app that draws an item like ours")
    with bare(bare_db, "--item-like") as app:
        alike = press_keys(app, "3", presses)

    m_id, m_frame, m_settled = summary(mine.id_ms), summary(mine.frame_ms), summary(mine.settled_ms)
    b_frame, b_settled = summary(base.frame_ms), summary(base.settled_ms)
    a_frame = summary(alike.frame_ms)
    ratio = m_frame["p50"] / b_frame["p50"]
    ratio_alike = m_frame["p50"] / a_frame["p50"]
    per_item = statistics.fmean(mine.bytes)
    at = f"{count // 1000}k items, 120×40"
    return [
        Figure(f"import {count:,} items (~1 KB each)", count / seconds, "items/s"),
        Figure(
            f"key → next item frame complete, p50 ({at})",
            m_frame["p50"],
            "ms",
            "≤ 50 ms",
            m_frame["p50"] <= 50,
        ),
        Figure("key → next item frame complete, p95", m_frame["p95"], "ms"),
        Figure("key → next item frame complete, mean", m_frame["mean"], "ms"),
        Figure(
            "key → next item id on the terminal, p50 / p95",
            f"{m_id['p50']:.1f} / {m_id['p95']:.1f}",
            "ms",
        ),
        Figure(
            "key → output quiet (every follow-up frame), p50 / p95",
            f"{m_settled['p50']:.1f} / {m_settled['p95']:.1f}",
            "ms",
        ),
        Figure(
            "bare Textual app (insert + redraw): key → frame complete, p50 / p95",
            f"{b_frame['p50']:.1f} / {b_frame['p95']:.1f}",
            "ms",
        ),
        Figure("bare Textual app: key → output quiet, p50", b_settled["p50"], "ms"),
        Figure("tui-annotate p50 / bare p50 (frame complete)", ratio, "×", "≤ 1.5×", ratio <= 1.5),
        Figure(
            "bare app drawing an item like ours (3 bordered sections): key → frame, p50 / p95",
            f"{a_frame['p50']:.1f} / {a_frame['p95']:.1f}",
            "ms",
        ),
        Figure("tui-annotate p50 / item-like bare p50 (the app's own overhead)", ratio_alike, "×"),
        Figure("bytes written to the terminal per rated item (mean)", per_item, "B"),
        Figure("bare app: bytes per key (mean)", statistics.fmean(base.bytes), "B"),
        Figure("item-like bare app: bytes per key (mean)", statistics.fmean(alike.bytes), "B"),
        Figure(
            f"start → first item visible (median of {n_starts})",
            statistics.median(start_id) * 1000,
            "ms",
            "≤ 500 ms",
            statistics.median(start_id) <= 0.5,
        ),
        Figure(
            "start → first frame complete (median)", statistics.median(start_frame) * 1000, "ms"
        ),
        Figure(
            "bare app: start → first frame (median)", statistics.median(bare_start) * 1000, "ms"
        ),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
