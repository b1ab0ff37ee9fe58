"""The sizes where the tool broke: 100k items × 5k labels, and 1M items × 3M labels.

Each database (built by bench.scale_data with direct SQL, cached in bench/out/)
is measured for: `status` wall time; the app's header count (the function the
app's worker runs, for an annotator with 666k labels and for a new one);
`judge --limit 1`, from spawn to its first request at the fake server, for a
new judge model and for the judge that labelled every item once 1,000 new
items came in; `judge --items all` over every item (first request, peak RSS
while it judges, SIGTERM to exit);
`agreement`, `agreement --judge` and `export`, wall time and peak RSS (each in a fresh wrapper
process whose only child it is, so RUSAGE_CHILDREN is that command's peak);
the app in a pty (start → first item → header count shown); one rating key's
store work; `route`; and `import-labels` of 600,000 rows. Whatever writes runs on a
copy. `--quick` measures the 100k database only.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Figure, cli, main_for, say
from bench.scale_data import HUMANS, JUDGE, RUBRIC, RUBRIC_VERSION, build

SIZES = [(100_000, 2_000, 3_000), (1_000_000, 1_000_000, 2_000_000)]
IMPORT_ROWS = 600_000
STATUS_AIM_S = 1.0
HEADER_AIM_S = 1.0
JUDGE_AIM_S = 1.0
AGREEMENT_AIM_S = 10.0
RSS_AIM_MB = 500.0
IMPORT_AIM_PER_S = 100_000
#: Items imported after the database was built, for the judge of every item to find.
NEW_ITEMS = 1_000

#: Runs ARGV in a child and prints its wall seconds and peak RSS (kB) as JSON.
_PEAK = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "print(json.dumps({'seconds': time.perf_counter() - t, 'rc': done.returncode,\n"
    "  'kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,\n"
    "  'err': done.stderr.decode(errors='replace')[-600:]}))\n"
)


def _peak(argv: list[str], codes: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one command, which must exit with one of CODES."""
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, *argv], capture_output=True, text=True, check=True, cwd=ROOT
    )
    got = json.loads(out.stdout)
    if got["rc"] not in codes:
        raise RuntimeError(f"{' '.join(argv[-4:])} failed ({got['rc']}): {got['err']}")
    return float(got["seconds"]), got["kb"] / 1024


def _wall(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[-3:])} failed: {done.stderr[-600:]}")
    return took


def _header_count(db: Path, annotator: str) -> float:
    """Seconds for the count the app's worker runs (AnnotateScreen.count_progress)."""
    from tui_annotate.core.rubric import find_rubric, shipped_rubrics_dir
    from tui_annotate.core.session import AnnotationSession
    from tui_annotate.store.repository import Repository

    rubric = find_rubric(RUBRIC, [shipped_rubrics_dir()])
    with Repository.open(db) as repo, Repository.open(db, readonly=True) as counter:
        session = AnnotationSession(repo, rubric, annotator)
        started = time.perf_counter()
        session.count_remaining(counter)
        return time.perf_counter() - started


def _judge(db: Path, url: str, *flags: str) -> list[str]:
    """The command line of `judge` on DB's rubric against the fake server at URL."""
    return [*cli(), "--db", str(db), "judge", "--rubric", RUBRIC, "--base-url", url, *flags]


def _judge_first_request(db: Path, model: str = "m2") -> float:
    """Spawn `judge --limit 1 --model MODEL` and time its first request's arrival at the fake
    server."""
    sys.path.insert(0, str(ROOT))
    from tests.openai_server import FakeOpenAI

    env = {**os.environ, "OPENAI_API_KEY": "bench-key"}
    with FakeOpenAI() as server:
        started = time.perf_counter()
        child = subprocess.Popen(
            _judge(db, server.url, "--model", model, "--limit", "1", "--json"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        first = None
        while first is None and child.poll() is None:
            if server.requests:
                first = time.perf_counter() - started
            else:
                time.sleep(0.005)
        child.wait(120)
        if first is None:
            raise RuntimeError(f"judge sent no request: {child.stderr.read().decode()[-600:]}")  # type: ignore[union-attr]
    return first


def _judge_every_item(db: Path, seconds: float = 8.0) -> tuple[float, float, float]:
    """`judge --items all` with a new model over every item of DB: (spawn → first request,
    peak RSS in MB over SECONDS of judging, SIGTERM → exit), in seconds and MB."""
    import signal
    import threading

    sys.path.insert(0, str(ROOT))
    from tests.openai_server import FakeOpenAI

    env = {**os.environ, "OPENAI_API_KEY": "bench-key"}
    with FakeOpenAI() as server:
        started = time.perf_counter()
        child = subprocess.Popen(
            _judge(db, server.url, "--model", "m3", "--items", "all", "--concurrency", "16"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
            env=env,
        )
        ended: dict[str, object] = {}

        def reap() -> None:  # wait4: the child's own peak RSS
            ended["usage"] = os.wait4(child.pid, 0)[2]
            ended["at"] = time.perf_counter()

        reaper = threading.Thread(target=reap)
        reaper.start()
        first = None
        while first is None and reaper.is_alive():
            if server.requests:
                first = time.perf_counter() - started
            time.sleep(0.005)
        time.sleep(seconds)
        stopped = time.perf_counter()
        if reaper.is_alive():
            os.kill(child.pid, signal.SIGTERM)
        reaper.join(60)
        child.returncode = 0  # reaped above
    if first is None:
        raise RuntimeError("judge --items all sent no request")
    usage = ended["usage"]
    return first, usage.ru_maxrss / 1024, float(ended["at"]) - stopped  # type: ignore[attr-defined,arg-type]


#: The header's "N done / TOTAL " once the queue is counted.
_TOTAL = re.compile(rb"done / (\d+) ")


def _app_header(db: Path, annotator: str) -> tuple[float, float]:
    """The app in a pty: seconds from start to the first item, and from it to the count."""
    from bench.ptydriver import PtyApp

    with PtyApp.annotate(db, annotator, RUBRIC, cols=120, rows=40, answer_sync=True) as app:
        app.wait_for_item(120)
        first = time.perf_counter() - app.started_at
        app.wait_for(lambda a: _TOTAL.search(a.output) is not None, 120)
        counted = time.perf_counter() - app.started_at
    return first, counted - first


def _key_store_ms(db: Path, annotator: str, keys: int = 30) -> float:
    """Median ms of one rating key's store work: the label and the next claim, one commit."""
    from tui_annotate.core.models import ClaimRequest
    from tui_annotate.core.queue_order import start_rank
    from tui_annotate.store.repository import Repository

    times = []
    with Repository.open(db) as repo:
        request = ClaimRequest(
            RUBRIC, annotator, 1, start_rank(annotator, RUBRIC), (), False, 0, False
        )
        item = repo.claim_next(RUBRIC, annotator, overlap=1, start_rank=request.start_rank)
        for _ in range(keys):
            if item is None:
                break
            started = time.perf_counter()
            _, item = repo.append_and_claim(
                request,
                item_id=item,
                rubric=RUBRIC,
                rubric_version=RUBRIC_VERSION,
                annotator=annotator,
                kind="rate",
                score=3,
                overlap=1,
            )
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times) if times else float("nan")


def _new_items(path: Path, count: int) -> Path:
    """COUNT items no database of this benchmark has yet, as `import` reads them."""
    with path.open("w", encoding="utf-8") as f:
        for n in range(count):
            f.write(json.dumps({"id": f"new{n:05d}", "input": f"q {n}", "output": f"a {n}"}) + "\n")
    return path


def _label_file(path: Path, items: int, rows: int, by_item: bool = False) -> Path:
    """ROWS labels from a new annotator, on as many distinct items (by external id), in
    random order or (BY_ITEM, as a tool's export by item) in item order."""
    if path.exists():
        return path
    rng = random.Random(rows)
    chosen = rng.sample(range(items), min(rows, items))
    if by_item:
        chosen.sort()
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["item_id", "annotator", "score", "rubric"])
        for n in chosen:
            out.writerow([f"s{n:07d}", "dee", rng.randint(1, 5), RUBRIC])
    return path


def _measure(items: int, judge_labels: int, human_labels: int, scratch: Path) -> list[Figure]:
    db = build(items, judge_labels, human_labels)
    at = f"{items // 1000:,}k items × {(judge_labels + human_labels) // 1000:,}k labels"
    base = [*cli(), "--db", str(db)]
    _wall([*base, "status", "--json"])  # warm: the first read of a cold file measures the disk
    figures = []
    status = min(_wall([*base, "status", "--json"]) for _ in range(2))
    figures.append(
        Figure(
            f"status ({at})", status * 1000, "ms", f"< {STATUS_AIM_S:.0f} s", status < STATUS_AIM_S
        )
    )
    for who, what in ((HUMANS[0], "an annotator with labels"), ("zed", "a new annotator")):
        took = min(_header_count(db, who) for _ in range(2))  # warm, as status
        figures.append(
            Figure(
                f"header count, {what} ({at})",
                took * 1000,
                "ms",
                f"< {HEADER_AIM_S:.0f} s",
                took < HEADER_AIM_S,
            )
        )
    seconds, mb = _peak([*base, "agreement", "--rubric", RUBRIC, "--json"])
    figures.append(
        Figure(
            f"agreement, 3 annotators ({at})",
            seconds,
            "s",
            f"< {AGREEMENT_AIM_S:.0f} s",
            seconds < AGREEMENT_AIM_S,
        )
    )
    figures.append(
        Figure(f"agreement peak RSS ({at})", mb, "MB", f"< {RSS_AIM_MB:.0f} MB", mb < RSS_AIM_MB)
    )
    # Exit 1: the judge is not to be trusted (its scores here are random), as documented.
    seconds, mb = _peak(
        [*base, "agreement", "--rubric", RUBRIC, "--judge", JUDGE, "--json"], codes=(0, 1)
    )
    figures.append(
        Figure(
            f"agreement --judge, the judge against people ({at})",
            seconds,
            "s",
            f"< {AGREEMENT_AIM_S:.0f} s",
            seconds < AGREEMENT_AIM_S,
        )
    )
    figures.append(
        Figure(
            f"agreement --judge peak RSS ({at})",
            mb,
            "MB",
            f"< {RSS_AIM_MB:.0f} MB",
            mb < RSS_AIM_MB,
        )
    )
    out = scratch / "export.csv"
    seconds, mb = _peak([*base, "export", "--rubric", RUBRIC, "-o", str(out)])
    out.unlink(missing_ok=True)
    figures.append(Figure(f"export ({at})", seconds, "s", "< 10 s", seconds < 10))
    figures.append(
        Figure(f"export peak RSS ({at})", mb, "MB", f"< {RSS_AIM_MB:.0f} MB", mb < RSS_AIM_MB)
    )
    # The writers run on a copy: the cached database stays as built.
    copy = scratch / db.name
    say(f"copying {db.name} for judge and import-labels")
    shutil.copyfile(db, copy)
    try:
        for who, what in ((HUMANS[0], "annotator with labels"), ("zed", "new annotator")):
            first, counted = _app_header(copy, who)
            figures.append(Figure(f"app start → first item, {what} ({at})", first * 1000, "ms"))
            figures.append(
                Figure(
                    f"app first item → header count shown, {what} ({at})",
                    counted * 1000,
                    "ms",
                    f"< {HEADER_AIM_S:.0f} s",
                    counted < HEADER_AIM_S,
                )
            )
        key = _key_store_ms(copy, HUMANS[1])
        figures.append(
            Figure(f"rating key's store work (label + next claim), median ({at})", key, "ms")
        )
        first = _judge_first_request(copy)
        figures.append(
            Figure(
                f"judge --limit 1: spawn → first request ({at})",
                first * 1000,
                "ms",
                f"< {JUDGE_AIM_S:.0f} s",
                first < JUDGE_AIM_S,
            )
        )
        # The judge that labelled every item, run again once new items came in: its own
        # million labels must not stand between it and its first request.
        new_items = _new_items(scratch / "new-items.jsonl", NEW_ITEMS)
        subprocess.run(
            [*cli(), "--db", str(copy), "import", str(new_items)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        first = _judge_first_request(copy, JUDGE.removeprefix("judge:"))
        figures.append(
            Figure(
                f"judge --limit 1, the judge of every item, {NEW_ITEMS:,} new items:"
                f" spawn → first request ({at})",
                first * 1000,
                "ms",
                f"< {JUDGE_AIM_S:.0f} s",
                first < JUDGE_AIM_S,
            )
        )
        first, mb, stop = _judge_every_item(copy)
        figures.append(
            Figure(
                f"judge --items all, every item: spawn → first request ({at})",
                first * 1000,
                "ms",
            )
        )
        figures.append(Figure(f"judge --items all: peak RSS while judging ({at})", mb, "MB"))
        figures.append(Figure(f"judge --items all: SIGTERM → exit ({at})", stop * 1000, "ms"))
        judge = ["--model", JUDGE.removeprefix("judge:")]
        seconds, mb = _peak([*cli(), "--db", str(copy), "route", "--rubric", RUBRIC, *judge])
        figures.append(Figure(f"route, the judge of every item ({at})", seconds, "s"))
        figures.append(Figure(f"route peak RSS ({at})", mb, "MB"))
        rows = min(IMPORT_ROWS, items)
        # In random item order the rows wait for one sort and are written after the file is
        # read; in item order each batch is written while the next is read
        # (store/label_ready.py). Each import starts from the database as built.
        for by_item, order in ((False, "random order"), (True, "item order")):
            name = f"scale-labels-{items}-{rows}{'-by-item' if by_item else ''}.csv"
            labels = _label_file(scratch.parent / name, items, rows, by_item)
            for suffix in ("-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(db, copy)
            seconds, mb = _peak([*cli(), "--db", str(copy), "import-labels", str(labels)])
            rate = rows / seconds
            figures.append(
                Figure(
                    f"import-labels of {rows:,} rows in {order} ({at})",
                    rate,
                    "labels/s",
                    f"≥ {IMPORT_AIM_PER_S:,}",
                    rate >= IMPORT_AIM_PER_S,
                )
            )
            figures.append(Figure(f"import-labels peak RSS, {order} ({at})", mb, "MB"))
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
    return figures


def run(quick: bool = False) -> list[Figure]:
    figures: list[Figure] = []
    sizes = SIZES[:1] if quick else SIZES
    from bench.common import OUT

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        for items, judge_labels, human_labels in sizes:
            say(f"scale: {items:,} items")
            figures.extend(_measure(items, judge_labels, human_labels, Path(tmp)))
    return figures


if __name__ == "__main__":
    main_for(run, __doc__)
