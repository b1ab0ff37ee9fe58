"""Key → screen latency with eight annotators on one database at once, against one alone.

Eight apps (annotators a1…a8, overlap 1) on their own ptys at 120×40, on one
database of a few thousand realistic items, each pressing a rating key as
soon as its last one was acknowledged: the header shows another item and the
frame that carries it is complete (the pty answers Textual's
synchronized-output query, as in bench/keys.py, so frames are bracketed).
The same again with a1 alone, on a fresh copy of the same database.

A stress test: people take seconds over an item, these take none, so every
app always has work. All of them run on the machine that drives them, so
eight apps share its cores (the figures say how many, how busy the apps kept
them, and the load average before the run: other work on the machine shows
up in these latencies).

`python -m bench team`, or `python -m bench.team [--quick]`.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.bytes_per_item import copy_db
from bench.common import Figure, items_db, main_for, say, summary
from bench.ptydriver import ITEM_ID, SYNC_END, PtyApp, pump_any

#: input, context, output: the same realistic items as bench/keys.py.
SIZES = (150, 400, 400)
COLS, ROWS = 120, 40
TEAM = 8
#: Key presses per app not counted (first-use costs: lazy imports, the queue count).
WARMUP = 5
TIMEOUT = 120.0


@dataclass
class Annotator:
    """One app pressing '3' each time the last press was acknowledged."""

    app: PtyApp
    name: str
    current: str = ""
    mark: int = -1  # output offset of the unacknowledged press, or -1
    sent: float = 0.0
    presses: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)

    def press(self) -> None:
        self.mark = len(self.app.output)
        self.sent = time.perf_counter()
        self.presses += 1
        self.app.send("3")

    def acknowledged(self, now: float) -> bool:
        """True (once) when the press at `mark` has moved the screen to another item, frame done."""
        if self.mark < 0:
            return False
        for m in ITEM_ID.finditer(self.app.output, self.mark):
            shown = m.group(1).decode()
            if shown == self.current:
                continue
            if self.app.output.find(SYNC_END, m.end()) < 0:
                return False  # the frame that carries it is still being written
            self.current = shown
            self.shown.append(shown)
            self.latencies_ms.append((now - self.sent) * 1000)
            self.mark = -1
            return True
        return False


def ensure_db(quick: bool) -> Path:
    return items_db("team", 2_000 if quick else 5_000, SIZES, "t")


def _run_phase(team: list[Annotator], presses: int) -> float:
    """Everyone presses until PRESSES presses each were acknowledged; the seconds it took."""
    for a in team:
        a.press()
    started = time.perf_counter()
    deadline = started + TIMEOUT
    while any(a.mark >= 0 for a in team):
        if time.perf_counter() > deadline:
            late = [a.name for a in team if a.mark >= 0]
            raise TimeoutError(f"no acknowledgement within {TIMEOUT:.0f}s for {late}")
        pump_any([a.app for a in team], 0.5)
        now = time.perf_counter()
        for a in team:
            if a.acknowledged(now) and a.presses < presses:
                a.press()
    return time.perf_counter() - started


def warmed_up(apps: list[PtyApp], names: list[str]) -> list[Annotator]:
    """The team on its first items, after WARMUP presses each that the figures leave out."""
    team = [Annotator(app, name) for app, name in zip(apps, names, strict=True)]
    for a in team:
        a.current = a.app.wait_for_item(TIMEOUT)
        a.shown.append(a.current)
    _run_phase(team, WARMUP)
    for a in team:
        a.presses = 0
        a.latencies_ms.clear()
    return team


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc; 0.0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    team: list[Annotator]
    seconds: float
    #: CPU seconds all the apps used in those seconds.
    cpu: float


def session(db: Path, names: list[str], presses: int) -> Phase:
    """Start one app per name on DB, warm them up together, then time PRESSES presses each."""
    apps = [
        PtyApp.annotate(
            db, name, "faithfulness", "--overlap", "1", cols=COLS, rows=ROWS, answer_sync=True
        )
        for name in names
    ]
    try:
        team = warmed_up(apps, names)
        cpu = [cpu_seconds(app.pid) for app in apps]
        seconds = _run_phase(team, presses)
        used = sum(cpu_seconds(app.pid) - before for app, before in zip(apps, cpu, strict=True))
        return Phase(team, seconds, used)
    finally:
        for app in apps:
            app.close()


def fresh_copy(db: Path, use: str) -> Path:
    copy = db.with_name(f"{db.stem}-{use}.db")
    copy_db(db, copy)
    return copy


def remove(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def run(quick: bool = False) -> list[Figure]:
    presses = 30 if quick else 100
    db = ensure_db(quick)
    load = os.getloadavg()[0]
    results: dict[int, Phase] = {}
    for size in (1, TEAM):
        names = [f"a{n}" for n in range(1, size + 1)]
        copy = fresh_copy(db, f"{size}")
        try:
            say(f"{size} annotator{'s' * (size > 1)}: {WARMUP} + {presses} keys each")
            results[size] = session(copy, names, presses)
        finally:
            remove(copy)
    solo, team = results[1], results[TEAM]
    s = summary(solo.team[0].latencies_ms)
    t = summary([ms for a in team.team for ms in a.latencies_ms])
    every = [i for a in team.team for i in a.shown]
    twice = len(every) - len(set(every))
    cores = os.cpu_count() or 1
    per_app = [statistics.median(a.latencies_ms) for a in team.team]
    labels = TEAM * presses
    return [
        Figure(
            f"key → next item frame, 1 annotator alone, p50 / p95 ({COLS}×{ROWS}, {presses} keys)",
            f"{s['p50']:.1f} / {s['p95']:.1f}",
            "ms",
        ),
        Figure(
            f"key → next item frame, {TEAM} annotators at once on one database, p50 / p95 "
            f"({TEAM} × {presses} keys, overlap 1)",
            f"{t['p50']:.1f} / {t['p95']:.1f}",
            "ms",
        ),
        Figure(
            f"… {TEAM} at once / 1 alone, p50 · p95",
            f"{t['p50'] / s['p50']:.1f} × · {t['p95'] / s['p95']:.1f} ×",
        ),
        Figure(
            f"… slowest / fastest annotator's p50 ({TEAM} at once)",
            f"{max(per_app):.1f} / {min(per_app):.1f}",
            "ms",
        ),
        Figure(
            "labels/s, 1 annotator alone (each key as soon as the last was shown)",
            presses / solo.seconds,
            "labels/s",
        ),
        Figure(f"labels/s, {TEAM} annotators together", labels / team.seconds, "labels/s"),
        Figure(
            "CPU per label, 1 alone / all together (the apps' own time)",
            f"{solo.cpu / presses * 1000:.1f} / {team.cpu / labels * 1000:.1f}",
            "ms",
        ),
        Figure(
            f"… CPU the {TEAM} apps kept busy while together",
            team.cpu / team.seconds,
            f"of {cores} cores",
        ),
        Figure(
            f"… the machine: {TEAM} apps and this driver share its CPU cores",
            f"{cores} cores, load average {load:.1f} before the run",
        ),
        Figure(
            f"items shown to two annotators ({TEAM} at once, overlap 1)", twice, "", "0", twice == 0
        ),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
