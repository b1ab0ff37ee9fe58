"""Peak memory of the app with 1,000,000 items queued (100,000 with --quick), through a real pty.

Opens the database bench.import_speed leaves in bench/out/ (importing it if
it is not there), waits for the first item and for the header's queue count,
rates a few items, then reads the child's peak resident set (VmHWM).
"""

from __future__ import annotations

import re
import time

from bench import import_speed
from bench.common import Figure, main_for, say, summary
from bench.ptydriver import PtyApp, peak_rss_kib

AIM_MB = 150
KEYS = 10
TIMEOUT = 300.0
#: The header's "N done / TOTAL": TOTAL is 0 until the queue has been counted.
TOTAL = re.compile(rb"done / (\d+) ")


def run(quick: bool = False) -> list[Figure]:
    count = import_speed.size_for(quick)
    db = import_speed.ensure_db(count)
    annotator = f"bench-memory-{int(time.time())}"  # a fresh queue each run
    say(f"opening the app on {count:,} items")
    with PtyApp.annotate(db, annotator, cols=120, rows=40, answer_sync=True) as app:
        current = app.wait_for_item(TIMEOUT)
        first = time.perf_counter() - app.started_at

        def counted(a: PtyApp) -> bool:
            return any(int(m.group(1)) >= count - 1000 for m in TOTAL.finditer(a.output))

        app.wait_for(counted, TIMEOUT)
        queue_counted = time.perf_counter() - app.started_at
        latencies = []
        for _ in range(KEYS):
            mark = len(app.output)
            sent = time.perf_counter()
            app.send("3")
            current = app.wait_for_new_item(current, TIMEOUT, start=mark)
            latencies.append((time.perf_counter() - sent) * 1000)
            app.wait_quiet(0.05, TIMEOUT)
        peak = peak_rss_kib(app.pid)
        assert peak is not None, "the app is gone"
    peak_mb = peak / 1024
    at = f"{count:,} items"
    return [
        Figure(
            f"peak RSS (VmHWM) with {at} queued", peak_mb, "MB", f"≤ {AIM_MB} MB", peak_mb <= AIM_MB
        ),
        Figure(f"start → first item visible ({at})", first * 1000, "ms"),
        Figure(
            f"start → header shows the queue size ({at}, counted off the UI thread)",
            queue_counted * 1000,
            "ms",
        ),
        Figure(f"key → next item id p50 ({at}, {KEYS} keys)", summary(latencies)["p50"], "ms"),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
