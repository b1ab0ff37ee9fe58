"""What loads at start-up: `-X importtime` of `--help` and of the app up to its first frame.

Nothing may import openai, numpy or krippendorff before the first frame;
they belong to the judge and the agreement maths, loaded when used.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Figure, main_for, say
from bench.ptydriver import PtyApp

HEAVY = ("openai", "numpy", "krippendorff")
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def parse(log: str) -> list[tuple[str, int, int, bool]]:
    """Every import in LOG: (module, self µs, cumulative µs, is top-level)."""
    return [
        (m.group(4), int(m.group(1)), int(m.group(2)), not m.group(3)) for m in LINE.finditer(log)
    ]


def total_ms(imports: list[tuple[str, int, int, bool]]) -> float:
    """Wall time spent importing: nested imports are inside their parent's cumulative time."""
    return sum(cum for _, _, cum, top in imports if top) / 1000


def biggest(imports: list[tuple[str, int, int, bool]], n: int = 6) -> str:
    """The distributions that cost most, by their modules' own (self) import time."""
    by_package: dict[str, int] = {}
    for name, own, _, _ in imports:
        root = name.split(".")[0]
        by_package[root] = by_package.get(root, 0) + own
    ranked = sorted(by_package.items(), key=lambda kv: -kv[1])[:n]
    return ", ".join(f"{name} {own / 1000:.0f}" for name, own in ranked)


def loaded(modules: set[str]) -> str:
    heavy = [h for h in HEAVY if h in modules or any(m.startswith(h + ".") for m in modules)]
    return "none" if not heavy else ", ".join(heavy)


def help_imports() -> tuple[list[tuple[str, int, int, bool]], list[float], set[str]]:
    cmd = [
        sys.executable,
        "-X",
        "importtime",
        "-c",
        "import sys, runpy; sys.argv = ['tui-annotate', '--help']\n"
        "try:\n    runpy.run_module('tui_annotate', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    modules = set(done.stdout.split("MODULES", 1)[1].split())
    walls = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "tui_annotate", "--help"], capture_output=True, check=True
        )
        walls.append(time.perf_counter() - started)
    return parse(done.stderr), walls, modules


def app_imports(tmp: Path) -> tuple[list[tuple[str, int, int, bool]], set[str]]:
    from tui_annotate.core import ingest
    from tui_annotate.store.repository import Repository

    db = tmp / "sample.db"
    with Repository.open(db) as repo:
        ingest.import_items(repo, ROOT / "tui_annotate" / "data" / "sample_items.jsonl")
    modules_out, log = tmp / "modules.json", tmp / "imports.log"
    argv = [
        sys.executable,
        "-X",
        "importtime",
        str(ROOT / "bench" / "_app_probe.py"),
        str(modules_out),
        str(log),
        "--db",
        str(db),
        "annotate",
        "--annotator",
        "probe",
        "--rubric",
        "faithfulness",
    ]
    with PtyApp(argv, cols=120, rows=40) as app:
        app.wait_for_item(60)
        app.wait_quiet(0.3)
        app.send("q")  # quit right after the first frame; the probe lists sys.modules at exit
        app.wait_exit(60)
    return parse(log.read_text("utf-8")), set(json.loads(modules_out.read_text("utf-8")))


def run(quick: bool = False) -> list[Figure]:
    say("import times of --help and of the app's first frame")
    help_log, walls, help_modules = help_imports()
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        app_log, app_modules = app_imports(Path(tmp))
    help_heavy, app_heavy = loaded(help_modules), loaded(app_modules)
    return [
        Figure("`--help`: wall time (median of 5)", statistics.median(walls) * 1000, "ms"),
        Figure("`--help`: import time (sum of top-level imports)", total_ms(help_log), "ms"),
        Figure(
            "`--help`: heavy modules loaded (openai, numpy, krippendorff)",
            help_heavy,
            "",
            "none",
            help_heavy == "none",
        ),
        Figure("app to first frame: import time", total_ms(app_log), "ms"),
        Figure("app to first frame: import time by package (ms, own time)", biggest(app_log)),
        Figure("app to first frame: modules loaded", len(app_modules)),
        Figure(
            "app to first frame: heavy modules loaded", app_heavy, "", "none", app_heavy == "none"
        ),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
