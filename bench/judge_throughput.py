"""LLM judge throughput against a server that answers every request in a fixed 200 ms.

The real judge run (`core.judge.run.run`: prompts, the openai SDK's async client, retries,
parsing, one committed transaction per result) against the test suite's FakeOpenAI on
127.0.0.1. With C requests in flight and latency L, the ceiling is C / L requests per
second; the aim is ≥ 80 % of it. N is a multiple of 32 so the last wave is full and the
ceiling is reachable. Each concurrency judges its own fresh database of generated items.
The fake server runs in a process of its own, as a real endpoint would (in this process
its CPU time would count against the judge). The openai SDK is imported before the clock
starts (a one-off ~0.5 s, not throughput).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.common import ROOT, Figure, item, main_for, say

LATENCY = 0.2
CONCURRENCY = (8, 32)
ITEMS, QUICK_ITEMS = 384, 192
AIM = 0.80
SIZES = (120, 600, 400)  # input, tool data, output characters: a typical support item


def _project(directory: Path, count: int):  # type: ignore[no-untyped-def]
    """A fresh database with COUNT generated items and the faithfulness rubric."""
    from tui_annotate.core import ingest, snapshot
    from tui_annotate.core.rubric import find_rubric, shipped_rubrics_dir
    from tui_annotate.store.repository import Repository

    rng = random.Random(4)
    items = directory / "items.jsonl"
    items.write_text(
        "".join(json.dumps(item(rng, n, SIZES, "j")) + "\n" for n in range(count)),
        encoding="utf-8",
    )
    repo = Repository.open(directory / "judge.db")
    ingest.import_items(repo, items)
    rubric = find_rubric("faithfulness", [shipped_rubrics_dir()])
    snapshot.register(repo, rubric)
    return repo, rubric


@contextlib.contextmanager
def _server(latency: float) -> Iterator[str]:
    """tests/openai_server.FakeOpenAI in a child process; yields its base URL.

    The child serves until its stdin is closed.
    """
    code = (
        "import sys\n"
        "from tests.openai_server import FakeOpenAI\n"
        f"server = FakeOpenAI(latency={latency!r}).start()\n"
        "print(server.url, flush=True)\n"
        "sys.stdin.read()\n"
        "server.stop()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        url = child.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the fake server did not start (said {url!r})")
        yield url
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _measure(url: str, count: int, concurrency: int, directory: Path) -> tuple[float, int, int]:
    """(seconds, judged, failed or invalid) for one run over COUNT fresh items."""
    from tui_annotate.core.judge import run as judge

    directory.mkdir()
    repo, rubric = _project(directory, count)
    try:
        config = judge.JudgeConfig(model="bench-judge", base_url=url, concurrency=concurrency)
        started = time.perf_counter()
        stats = asyncio.run(judge.run(repo, rubric, config))
        seconds = time.perf_counter() - started
    finally:
        repo.close()
    return seconds, stats.judged, stats.failed + stats.invalid


def run(quick: bool = False) -> list[Figure]:
    import openai  # noqa: F401  (warm: its import is not what is measured)

    count = QUICK_ITEMS if quick else ITEMS
    os.environ.setdefault("OPENAI_API_KEY", "bench-key")  # the fake server wants none
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="judge-bench-") as tmp:
        root = Path(tmp)
        with _server(LATENCY) as url:
            for concurrency in CONCURRENCY:
                say(
                    f"judging {count} items, concurrency {concurrency}, "
                    f"latency {LATENCY * 1000:.0f} ms"
                )
                seconds, judged, bad = _measure(url, count, concurrency, root / f"c{concurrency}")
                if judged != count or bad:
                    raise RuntimeError(f"judged {judged} of {count} ({bad} failed or invalid)")
                rate = judged / seconds
                ideal = concurrency / LATENCY
                ratio = rate / ideal
                figures += [
                    Figure(
                        f"judge throughput, {count} items, concurrency {concurrency}, "
                        f"{LATENCY * 1000:.0f} ms server",
                        rate,
                        "requests/s",
                    ),
                    Figure(
                        f"… ceiling: concurrency ÷ latency = {concurrency} ÷ {LATENCY} s",
                        ideal,
                        "requests/s",
                    ),
                    Figure(
                        f"… share of the ceiling (concurrency {concurrency}; "
                        f"{seconds:.2f} s wall, ideal {count / ideal:.2f} s)",
                        ratio * 100,
                        "%",
                        f"≥ {AIM * 100:.0f} %",
                        ratio >= AIM,
                    ),
                ]
        with _server(0.0) as url:
            say(f"judging {count} items, concurrency 32, an instant server (the judge's own cost)")
            seconds, judged, _ = _measure(url, count, 32, root / "instant")
        figures.append(
            Figure(
                "… with an instant server, concurrency 32: the judge's own ceiling",
                judged / seconds,
                "requests/s",
            )
        )
    return figures


if __name__ == "__main__":
    main_for(run, __doc__)
