"""A 5 MB output on screen: time from the key to its first complete frame, and to leave it.

Ten ordinary items and one whose output is 5 MB (80,000 lines), imported
with --max-item-bytes raised; the app at 120×40 on a pty that answers the
synchronized-output query, so a frame's end is exact. `n` is pressed until
the header shows the large item (show: key → that frame), then once more
(leave: key → the next item's frame). Peak RSS of the app is read at the end.

`python -m bench huge_item`, or `python -m bench.huge_item`.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import Figure, cli, main_for, say
from bench.ptydriver import ITEM_ID, SYNC_END, PtyApp, peak_rss_kib

TIMEOUT = 120.0
LINES = 80_000


def project(folder: Path) -> tuple[Path, int]:
    """A database with the ten small items and the large one; and the large output's bytes."""
    rows = [
        {"id": f"small-{n}", "input": f"question {n}", "output": f"answer {n}"} for n in range(10)
    ]
    line = "line {:06d}: the quick brown fox jumps over the lazy dog, again and again."
    huge = "\n".join(line.format(n) for n in range(LINES))
    rows.append({"id": "huge", "output": huge})
    source = folder / "items.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    db = folder / "huge.db"
    subprocess.run(
        [*cli(), "--db", str(db), "import", str(source), "--max-item-bytes", "10000000"],
        check=True,
        capture_output=True,
    )
    return db, len(huge.encode())


def press(app: PtyApp, previous: str) -> tuple[str, float]:
    """Press n; (the item shown next, seconds until its frame was complete)."""
    mark = len(app.output)
    sent = time.perf_counter()
    app.send("n")

    def moved(a: PtyApp) -> bool:
        for m in ITEM_ID.finditer(a.output, mark):
            if m.group(1).decode() != previous:
                return a.output.find(SYNC_END, m.end()) >= 0
        return False

    app.wait_for(moved, TIMEOUT)
    shown = next(
        m.group(1).decode()
        for m in ITEM_ID.finditer(app.output, mark)
        if m.group(1).decode() != previous
    )
    return shown, time.perf_counter() - sent


def run(quick: bool = False) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        db, size = project(Path(tmp))
        app = PtyApp.annotate(db, "ana", "faithfulness", answer_sync=True)
        try:
            current = app.wait_for_item(TIMEOUT)
            show = leave = float("nan")
            for _ in range(12):
                if current == "huge":
                    break
                current, seconds = press(app, current)
                show = seconds
            if current != "huge":
                raise RuntimeError("the large item never came up")
            say("on the large item; leaving it")
            _, leave = press(app, current)
            rss = (peak_rss_kib(app.pid) or 0) / 1024
        finally:
            app.close()
    return [
        Figure(
            f"a {size / 1e6:.1f} MB output: key → its first frame",
            show * 1000,
            "ms",
            "< 1000 ms",
            show < 1.0,
        ),
        Figure(
            "… key → the next item's frame (leaving it)",
            leave * 1000,
            "ms",
            "< 1000 ms",
            leave < 1.0,
        ),
        Figure("… the app's peak RSS", round(rss), "MB"),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
