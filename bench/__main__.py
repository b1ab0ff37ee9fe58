"""`python -m bench [--quick] [NAME…]`: run every benchmark and print one table of figures.

Figures are printed, never asserted. The full run takes a few minutes on
two cores (most of it generating and importing a million items); --quick
uses smaller sizes.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable

from bench import (
    bootstrap,
    bytes_per_item,
    decide,
    decide_screen,
    decide_stats,
    decide_table,
    drift,
    ending,
    export_speed,
    follow,
    huge_item,
    import_block,
    import_floor,
    import_speed,
    imports,
    judge_throughput,
    keys,
    label_import,
    memory,
    open_rounds,
    pairwise,
    parse_checks,
    scale,
    startup,
    team,
)
from bench.common import Figure, say, table

#: In order: the million-item database from import_speed is reused by memory.
BENCHMARKS: dict[str, Callable[[bool], list[Figure]]] = {
    "import_speed": import_speed.run,
    "memory": memory.run,
    "keys": keys.run,
    "startup": startup.run,
    "bytes": bytes_per_item.run,
    "team": team.run,
    "import_block": import_block.run,
    "label_import": label_import.run,
    "label_block": label_import.run_block,
    "huge_item": huge_item.run,
    "imports": imports.run,
    "bootstrap": bootstrap.run,
    "judge": judge_throughput.run,
    "export": export_speed.run,
    "scale": scale.run,
    "import_floor": import_floor.run,
    "ending": ending.run,
    "open_rounds": open_rounds.run,
    "parse_checks": parse_checks.run,
    "pairwise": pairwise.run,
    "decide_stats": decide_stats.run,
    "decide_table": decide_table.run,
    "decide": decide.run,
    "decide_screen": decide_screen.run,
    "follow": follow.run,
    "drift": drift.run,
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import textual

    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"Textual {textual.__version__}, {platform.system()} {platform.release()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a quick look")
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"only these ({', '.join(BENCHMARKS)})"
    )
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r} (known: {', '.join(BENCHMARKS)})")
    chosen = args.names or list(BENCHMARKS)
    figures: list[Figure] = []
    failed = []
    started = time.perf_counter()
    for name in chosen:
        say(f"== {name}{' (quick)' if args.quick else ''}")
        t = time.perf_counter()
        try:
            got = BENCHMARKS[name](args.quick)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            got = [Figure(f"{name}: FAILED (see the traceback above)", "—")]
        figures.extend(got)
        say(f"== {name} took {time.perf_counter() - t:.0f} s")
    print(f"\n## tui-annotate benchmarks{' (--quick)' if args.quick else ''}\n")
    print(
        f"Machine: {machine()}. Through a real pty at 120×40. "
        f"Run: {time.strftime('%Y-%m-%d')}, {time.perf_counter() - started:.0f} s.\n"
    )
    print(table(figures))
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
