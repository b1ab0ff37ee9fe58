"""What the crafted-input checks cost the JSONL parser: the same lines parsed with and without them.

`python -m bench.parse_checks [--quick]`. Not in `make bench`'s list: a
figure for the integrator to re-run alone (the development machine is shared).
The "without" run swaps core.jsonsafe.loads for plain json.loads, so the
difference is the per-line checks (bracket count, surrogate-escape search,
NUL check) and nothing else. Also times the checks on a crafted line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from bench.common import Figure, main_for, say
from tui_annotate.core import ingest, jsonsafe


def lines_for(count: int) -> list[bytes]:
    """Items like the import bench's: a question, a tool record as context, an answer, metadata."""
    return [
        json.dumps(
            {
                "id": f"x{n}",
                "input": f"How much will I get back for order {n}?",
                "output": "You'll get $59.00 back within five working days. " * 3,
                "context": {"refund_amount": 59.0, "items": [{"sku": n, "qty": 1}]},
                "metadata": {"n": n, "tags": ["a", "b"]},
            }
        ).encode()
        + b"\n"
        for n in range(count)
    ]


def best_of(rounds: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def run(quick: bool = False) -> list[Figure]:
    count = 20_000 if quick else 100_000
    lines = lines_for(count)
    say(f"parsing {count:,} lines, best of 7, with and without the checks (interleaved)")
    checked = plain = float("inf")
    safe_loads = jsonsafe.loads
    try:
        for _ in range(7):
            jsonsafe.loads = safe_loads  # type: ignore[assignment]
            checked = min(
                checked, best_of(1, lambda: ingest.parse_jsonl_lines(lines, 1, "f", {}, "t"))
            )
            jsonsafe.loads = json.loads  # type: ignore[assignment]
            plain = min(plain, best_of(1, lambda: ingest.parse_jsonl_lines(lines, 1, "f", {}, "t")))
    finally:
        jsonsafe.loads = safe_loads  # type: ignore[assignment]
    deep = '{"output": "x", "metadata": ' + "[" * 100_000 + "]" * 100_000 + "}"
    wide = json.dumps({"output": "x", "context": [[n] for n in range(50_000)]})

    def refused(text: str) -> None:
        try:
            jsonsafe.loads(text)
        except jsonsafe.JSONProblem:
            return

    return [
        Figure(
            f"parse {count:,} JSONL lines with the crafted-input checks", count / checked, "lines/s"
        ),
        Figure("… without them (plain json.loads)", count / plain, "lines/s"),
        Figure("… time the checks add per line", (checked - plain) / count * 1e6, "µs"),
        Figure(
            "refuse a line nested 100,000 deep (200 KB)",
            best_of(5, lambda: refused(deep)) * 1e3,
            "ms",
        ),
        Figure(
            "accept a line of 50,000 shallow arrays (400 KB)",
            best_of(5, lambda: refused(wide)) * 1e3,
            "ms",
        ),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
