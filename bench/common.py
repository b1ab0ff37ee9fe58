"""What every benchmark shares: paths, data generators, the CLI, statistics and the figures table."""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Generated files and databases, reused between runs (git-ignored).
OUT = ROOT / "bench" / "out"
#: Bumped whenever the generators change, so stale cached files are not reused.
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class Figure:
    """One measured figure and, when the spec sets one, its aim."""

    name: str
    value: float | str
    unit: str = ""
    aim: str = ""
    ok: bool | None = None  # None: no aim, or nothing to judge

    def shown(self) -> str:
        if isinstance(self.value, float):
            v = f"{self.value:,.1f}" if abs(self.value) < 1000 else f"{self.value:,.0f}"
        else:
            v = f"{self.value:,}" if isinstance(self.value, int) else str(self.value)
        return f"{v} {self.unit}".strip()


def table(figures: Sequence[Figure]) -> str:
    """A markdown table, ready to paste into the README."""
    rows = ["| figure | value | aim | |", "|---|---:|---|---|"]
    for f in figures:
        mark = "" if f.ok is None else ("✓" if f.ok else "✗")
        rows.append(f"| {f.name} | {f.shown()} | {f.aim} | {mark} |")
    return "\n".join(rows)


def percentile(values: Sequence[float], p: float) -> float:
    """The P-th percentile (0–100), interpolated between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values_ms: Sequence[float]) -> dict[str, float]:
    return {
        "p50": percentile(values_ms, 50),
        "p95": percentile(values_ms, 95),
        "mean": statistics.fmean(values_ms) if values_ms else float("nan"),
        "max": max(values_ms) if values_ms else float("nan"),
    }


def say(message: str) -> None:
    """Progress on stderr, so stdout is just the figures."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the CLI under test --------------------------------------------------------


def cli() -> list[str]:
    """How to run tui-annotate: the venv's script, else `python -m tui_annotate`."""
    script = Path(sys.executable).with_name("tui-annotate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui_annotate"]


def remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def import_file(db: Path, items: Path, *, fresh: bool = True) -> tuple[float, int]:
    """Run `tui-annotate --db DB import ITEMS`; (wall seconds, items inserted)."""
    if fresh:
        remove_db(db)
    started = time.perf_counter()
    done = subprocess.run(
        [*cli(), "--db", str(db), "import", str(items), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"import failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return seconds, int(json.loads(done.stdout)["inserted"])


# -- generated items -----------------------------------------------------------

_VOCABULARY = (
    "order shipped refund return policy warranty size exchange delivery tracking "
    "parcel courier invoice account password reset discount code loyalty points "
    "store hours jacket boots tent stove backpack sleeping bag rain waterproof "
    "the a your we you it is was will can not be for to of in on with by from and "
    "or but if when please thanks sorry today tomorrow week business days within "
    "customer support team available email chat phone number address update status"
)
_WORDS = _VOCABULARY.split()
_NAMES = [
    "Ridgeline Hiking Boots",
    "Stormline Rain Jacket",
    "Summit 2P Tent",
    "Trailblaze 40L Pack",
    "Ember Camp Stove",
    "Drift Down Sleeping Bag",
]


def _sentence(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    size = 0
    while size < chars:
        w = rng.choice(_WORDS)
        words.append(w)
        size += len(w) + 1
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def item(rng: random.Random, n: int, sizes: tuple[int, int, int], prefix: str) -> dict[str, object]:
    """One support-assistant item: input, tool data (context) and output of about SIZES chars."""
    input_chars, context_chars, output_chars = sizes
    order = f"NW-{rng.randrange(10_000, 99_999)}"
    tool: dict[str, object] = {
        "order_id": order,
        "status": rng.choice(["shipped", "processing", "delivered", "refunded"]),
        "item": rng.choice(_NAMES),
        "amount_paid": round(rng.uniform(10, 400), 2),
    }
    base = len(json.dumps(tool))
    if context_chars > base:
        tool["notes"] = _sentence(rng, context_chars - base - 12)
    return {
        "id": f"{prefix}{n:07d}",
        "input": f"Order {order}: " + _sentence(rng, max(10, input_chars - 14)),
        "context": tool,
        "output": _sentence(rng, output_chars),
        "prompt": "support-answer",
        "prompt_version": rng.choice(["1.0.0", "1.1.0"]),
    }


def generate_jsonl(path: Path, count: int, sizes: tuple[int, int, int], prefix: str = "b") -> Path:
    """Write COUNT items to PATH (reused if a finished file of this version is already there)."""
    marker = path.with_name(path.name + f".v{GENERATOR_VERSION}.done")
    if path.exists() and marker.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    say(f"generating {count:,} items into {path.name}")
    rng = random.Random(20240611 + count)
    tmp = path.with_name(path.name + ".part")
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with tmp.open("w", encoding="utf-8") as f:
        chunk: list[str] = []
        for n in range(count):
            chunk.append(dumps(item(rng, n, sizes, prefix)))
            if len(chunk) >= 10_000:
                f.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            f.write("\n".join(chunk) + "\n")
    tmp.replace(path)
    marker.touch()
    return path


def items_db(name: str, count: int, sizes: tuple[int, int, int], prefix: str) -> Path:
    """bench/out/NAME-COUNT.db with COUNT generated items, imported once and then reused."""
    items = generate_jsonl(OUT / f"{name}-{count}.jsonl", count, sizes, prefix=prefix)
    db = OUT / f"{name}-{count}.db"
    done = db.with_name(db.name + ".imported")
    if not (db.exists() and done.exists()):
        say(f"importing {count:,} items for the {name} benchmark")
        import_file(db, items)
        done.touch()
    # Brought to the current schema here, once: not inside a timed run of every copy.
    return migrated(db)


def migrated(db: Path) -> Path:
    """DB, a cached benchmark database, brought to the current schema (opened read-write
    once): commands that open it read-only refuse a schema that needs migrating."""
    from tui_annotate.store.repository import Repository

    with Repository.open(db):
        pass
    return db


def disk_free(path: Path) -> int:
    return shutil.disk_usage(path if path.exists() else path.parent).free


# -- running one benchmark alone ------------------------------------------------


def main_for(run: Callable[[bool], list[Figure]], doc: str | None) -> None:
    """`python -m bench.NAME [--quick]`: run one benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a quick look")
    args = parser.parse_args()
    print(table(run(args.quick)))
