"""Helpers for CLI tests: run `tui-annotate` in-process with click's CliRunner on a temp database."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tui_annotate.cli import main
from tui_annotate.store.repository import Repository

# Rich wraps at the terminal width; a wide one keeps each table row and sentence on one line.
WIDE = {"COLUMNS": "240", "NO_COLOR": "1"}

Run = Callable[..., Result]


def describe(result: Result) -> str:
    """Everything needed to see why a CLI assertion failed."""
    return (
        f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        f"\n--- exception\n{result.exception!r}"
    )


def ok(result: Result) -> Result:
    assert result.exit_code == 0, describe(result)
    return result


def bad(result: Result, code: int = 2) -> Result:
    """A refused command: the given exit code, a message on stderr, and no traceback."""
    assert result.exit_code == code, describe(result)
    assert result.stderr.strip(), describe(result)
    assert "Traceback" not in result.stderr, describe(result)
    return result


def names_line(message: str, file: str, line: int) -> bool:
    """True if MESSAGE points at FILE's line LINE ('file:3' or 'file … line 3')."""
    return bool(
        re.search(rf"{re.escape(file)}:{line}\b", message)
        or (file in message and re.search(rf"\bline {line}\b", message))
    )


def item_count(db: Path) -> int:
    """Items in DB; a database that was never created holds none."""
    if not db.exists():
        return 0
    with Repository.open(db) as repo:
        return repo.count_items()


def items_by_external_id(db: Path) -> dict[str, Any]:
    with Repository.open(db) as repo:
        ids = [r[0] for r in repo.conn.execute("SELECT external_id FROM items")]
        found = repo.item_ids_by_external(ids)
        return {ext: repo.get_item(iid) for ext, iid in found.items()}


def write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env=WIDE)


@pytest.fixture
def cli(runner: CliRunner, db_path: Path) -> Run:
    """cli("import", "x.jsonl") runs `tui-annotate --db <tmp db> import x.jsonl`.

    Pass db=None to leave --db off (the env var or the config file chooses), or env={...}.
    """

    def run(
        *args: str,
        db: Path | str | None = "default",
        env: dict[str, str] | None = None,
        input: str | None = None,
    ) -> Result:
        prefix: list[str] = []
        if db == "default":
            prefix = ["--db", str(db_path)]
        elif db is not None:
            prefix = ["--db", str(db)]
        return runner.invoke(main, [*prefix, *args], env=env, input=input)

    return run
