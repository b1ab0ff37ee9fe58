"""Start → first item visible: tui-annotate against a bare Textual app, through a real pty at 120×40.

The bare app (bench/bare_app.py --read-row) opens an SQLite file, reads
one row and shows it, in a header shaped like ours ("… on item │ ID"), so
both are timed the same way: from spawning the process to the item's id
reaching the terminal, and to the end of the frame that carries it. The
figure the issue asks for is the ratio of the medians (target ≤ 1.5×).
Starts alternate between the two apps, so a busy neighbour on a shared
machine slows both alike. The CPU time each process has used by the time
its row is visible (every thread, from /proc/PID/task/*/schedstat, in ns)
is printed too: on a machine shared with other work it moves much less
than the wall time, so its ratio says more about our own cost there.
`python -m bench.startup [--quick]` runs it alone.

The package is byte-compiled first, as pip compiles a wheel when it installs
it: a development shell that sets PYTHONDONTWRITEBYTECODE=1 would otherwise
have every start compile tui_annotate from source (about 40 ms of CPU on
the 2-core machine), while Textual, installed, loads its cached bytecode.
"""

from __future__ import annotations

import compileall
import statistics
import sys
from pathlib import Path

from bench.common import OUT, ROOT, Figure, items_db, main_for, say
from bench.keys import COLS, ROWS, SIZES, first_frame
from bench.ptydriver import PtyApp


def ours(db: Path) -> PtyApp:
    return PtyApp.annotate(
        db, "bench-startup", "faithfulness", cols=COLS, rows=ROWS, answer_sync=True
    )


def bare(db: Path) -> PtyApp:
    argv = [sys.executable, str(ROOT / "bench" / "bare_app.py"), str(db), "--read-row"]
    return PtyApp(argv, cols=COLS, rows=ROWS, answer_sync=True)


def cpu_ms(pid: int) -> float:
    """CPU time used so far by every thread of process PID, in ms (0.0 where /proc has none)."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(stat.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that just ended
    return total / 1e6


def timed_start(app: PtyApp) -> tuple[float, float, float]:
    """(seconds to id visible, seconds to that frame complete, CPU ms used by then)."""
    _, seen, framed = first_frame(app)
    return seen, framed, cpu_ms(app.proc.pid)


def byte_compile() -> None:
    """Cache tui_annotate's bytecode (in its __pycache__ folders, git-ignored), as an install does."""
    if not compileall.compile_dir(ROOT / "tui_annotate", quiet=1):
        raise RuntimeError("could not byte-compile tui_annotate")


def run(quick: bool = False) -> list[Figure]:
    byte_compile()
    count = 20_000 if quick else 100_000
    times = 5 if quick else 11
    db = items_db("keys", count, SIZES, prefix="k")
    bare_db = OUT / "bare-startup.db"
    with bare(bare_db) as app:  # creates its table and first row; warms the page cache
        first_frame(app)
    with ours(db) as app:  # the first start claims an item; later ones resume it
        first_frame(app)
    say(f"{times} starts of each, alternating (tui-annotate on {count:,} items)")
    mine_id, mine_frame, mine_cpu, base_id, base_frame, base_cpu = [], [], [], [], [], []
    for _ in range(times):
        with ours(db) as app:
            seen, framed, cpu = timed_start(app)
        mine_id.append(seen)
        mine_frame.append(framed)
        mine_cpu.append(cpu)
        with bare(bare_db) as app:
            seen, framed, cpu = timed_start(app)
        base_id.append(seen)
        base_frame.append(framed)
        base_cpu.append(cpu)
    m_id, m_frame = statistics.median(mine_id), statistics.median(mine_frame)
    b_id, b_frame = statistics.median(base_id), statistics.median(base_frame)
    m_cpu, b_cpu = statistics.median(mine_cpu), statistics.median(base_cpu)
    ratio = m_id / b_id
    return [
        Figure(
            f"start → first item visible (median of {times}, {count // 1000}k items)",
            m_id * 1000,
            "ms",
        ),
        Figure("start → first frame complete (median)", m_frame * 1000, "ms"),
        Figure(
            "bare Textual app (open SQLite, show one row): start → row visible", b_id * 1000, "ms"
        ),
        Figure("bare Textual app: start → first frame complete", b_frame * 1000, "ms"),
        Figure(
            "start-up: tui-annotate / bare app (first item visible)",
            ratio,
            "×",
            "≤ 1.5×",
            ratio <= 1.5,
        ),
        Figure("start-up: tui-annotate / bare app (frame complete)", m_frame / b_frame, "×"),
        Figure("CPU time used by first item visible (median)", m_cpu, "ms"),
        Figure("bare Textual app: CPU time used by row visible (median)", b_cpu, "ms"),
        Figure("start-up CPU: tui-annotate / bare app", m_cpu / b_cpu if b_cpu else "n/a", "×"),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
