"""Deciding at scale: `scorecard`, `compare`, `gate` and `tags` on 1,000,000 items, end to end.

The database is i13-data's (`bench/decide_data.py`): one prompt in 10
versions, 3 rubrics, 1,000,000 human and 1,000,000 judge labels (100,000
items with --quick), built once into bench/out and reused. Each command runs
as a child process with `--json`, as CI would run it (start-up, reading the
table, the statistics with 2,000 bootstrap replicates, printing), and its wall
time is printed beside issue 13's aim of 2 s.

Beside them, in the same run, a naive baseline computes the same pass rates
(golden, else the humans' median-low, per version × rubric) with a plain
Python loop over the label rows, the way a script over an export would; its
rates are checked against the scorecard's, so the two did the same work.
(pandas is not a dependency and is not installed here, so no pandas baseline.)
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import OUT, Figure, cli, main_for, migrated, say
from tui_annotate.core import rubric as rubrics

AIM_SECONDS = 2.0
VERSIONS = 10
#: Bumped whenever what is built here changes, so a stale database is rebuilt.
VERSION = 2


def size_for(quick: bool) -> int:
    return 100_000 if quick else 1_000_000


def ensure_db(count: int) -> Path:
    from bench import decide_data

    db = OUT / f"decide-{count}.db"
    done = db.with_name(f"{db.name}.v{VERSION}.done")
    if db.exists() and done.exists():
        return migrated(db)
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    say(f"building {count:,} items × 3 rubrics (human + judge labels) in {db.name}")
    started = time.perf_counter()
    decide_data.build(db, items=count, versions=VERSIONS)
    say(f"  built in {time.perf_counter() - started:.0f} s")
    done.touch()
    return db


def prompt_and_versions(db: Path) -> tuple[str, list[str]]:
    from tui_annotate.store.repository import Repository

    with Repository.open(db, readonly=True) as repo:
        prompts = repo.decide_prompts()
    prompt = sorted(prompts)[0]
    return prompt, list(prompts[prompt])


def timed(db: Path, *args: str) -> tuple[float, float, dict[str, Any]]:
    """`tui-annotate --db DB ARGS --json` in a child: (wall s, CPU s, its JSON).

    The CPU time (user + system, from wait4) is the steadier figure on a
    machine shared with other work; on an idle one the wall time is close to it.
    """
    from tui_annotate.core.decide.sample import RUBRICS_DIR  # rudeness (direction lower)

    command = [*cli(), "--db", str(db), "--rubrics", str(RUBRICS_DIR), *args, "--json"]
    out = OUT / "decide-out.json"
    with out.open("w", encoding="utf-8") as sink:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode() if child.stderr else ""
    if code not in (0, 1, 3):  # the gate exits 1 or 3 on a real decision
        raise RuntimeError(f"{args[0]} failed ({code}): {stderr[-2000:]}")
    data = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return seconds, usage.ru_utime + usage.ru_stime, data


def naive_pass_rates(db: Path, prompt: str) -> dict[tuple[str, str], float | None]:
    """(version, rubric) → pass rate: golden, else the humans' median-low; a plain loop."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    version_of = dict(
        conn.execute("SELECT id, prompt_version FROM items WHERE prompt = ?", (prompt,))
    )
    # Each person's current score is their latest (labels are append-only).
    scores: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for item_id, rubric, annotator, score in conn.execute(
        "SELECT item_id, rubric, annotator, score FROM labels WHERE annotator NOT LIKE 'judge:%'"
        " AND kind = 'rate' AND score IS NOT NULL ORDER BY id"
    ):
        if item_id in version_of:
            scores[(item_id, rubric)][annotator] = score
    golden: dict[tuple[int, str], int] = {}
    for item_id, rubric, score in conn.execute(
        "SELECT item_id, rubric, score FROM golden ORDER BY id"
    ):
        if item_id in version_of:
            golden[(item_id, rubric)] = score
    conn.close()
    from tui_annotate.core.decide.sample import RUBRICS_DIR

    dirs = rubrics.search_path(RUBRICS_DIR)
    rule = {}
    for _, rubric in set(scores) | set(golden):
        if rubric not in rule:
            found = rubrics.find_rubric(rubric, dirs)
            rule[rubric] = (found.pass_threshold, found.direction)
    passed: dict[tuple[str, str], int] = defaultdict(int)
    counted: dict[tuple[str, str], int] = defaultdict(int)
    for key in set(scores) | set(golden):
        item_id, rubric = key
        if key in golden:
            score = golden[key]
        else:
            ordered = sorted(scores[key].values())
            score = ordered[(len(ordered) - 1) // 2]  # median-low
        threshold, direction = rule[rubric]
        ok = score >= threshold if direction == "higher" else score <= threshold
        cell = (version_of[item_id], rubric)
        counted[cell] += 1
        passed[cell] += ok
    return {cell: passed[cell] / counted[cell] for cell in counted}


def run(quick: bool = False) -> list[Figure]:
    count = size_for(quick)
    db = ensure_db(count)
    prompt, versions = prompt_and_versions(db)
    base, cand = versions[-2], versions[-1]
    at = f"{count:,} items, {len(versions)} versions"
    figures = []
    commands = {
        "scorecard": ("scorecard", "--prompt", prompt),
        "compare": ("compare", base, cand, "--prompt", prompt),
        "gate": ("gate", "--prompt", prompt, "--candidate", cand, "--baseline", base),
        "tags": ("tags", "--prompt", prompt),
    }
    results = {}
    for name, args in commands.items():
        say(f"{name} ({at})")
        seconds, cpu, results[name] = timed(db, *args)
        aim = f"< {AIM_SECONDS:.0f} s"
        ok = None if quick else seconds < AIM_SECONDS
        figures.append(Figure(f"{name} --json end to end ({at})", seconds, "s", aim, ok))
        figures.append(Figure(f"{name} CPU time, user + system ({at})", cpu, "s"))
    say("naive baseline: pass rates with a Python loop over the label rows")
    started = time.perf_counter()
    naive = naive_pass_rates(db, prompt)
    seconds = time.perf_counter() - started
    figures.append(Figure(f"naive Python loop, pass rates only ({at})", seconds, "s"))
    worst = 0.0
    for card in results["scorecard"]["versions"]:
        for rubric, metric in card["metrics"].items():
            mine, theirs = metric["pass_rate"], naive.get((card["version"], rubric))
            if (mine is None) != (theirs is None):
                worst = float("inf")
            elif mine is not None and theirs is not None:
                worst = max(worst, abs(mine - theirs))
    figures.append(
        Figure(
            "scorecard vs naive: largest pass-rate difference",
            f"{worst:.2g}",
            "",
            "0",
            worst < 1e-9,
        )
    )
    return figures


if __name__ == "__main__":
    main_for(run, __doc__)
