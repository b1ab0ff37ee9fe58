"""`tui-annotate backup`: a whole, consistent copy; bad destinations are refused and nothing is written."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.cli.conftest import Run, bad, item_count, ok
from tests.conftest import SAMPLE


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_copies_every_item(cli: Run, tmp_path: Path) -> None:
    ok(cli("import", str(SAMPLE)))
    copy = tmp_path / "copy.db"
    result = ok(cli("backup", str(copy)))
    assert f"to {copy}" in result.stderr
    assert item_count(copy) == 40
    assert not (tmp_path / "copy.db.part").exists()


def test_an_existing_destination_needs_force(cli: Run, tmp_path: Path) -> None:
    ok(cli("import", str(SAMPLE)))
    copy = tmp_path / "copy.db"
    copy.write_bytes(b"an older backup")
    result = bad(cli("backup", str(copy)))
    assert f"{copy}: {copy} exists; pass --force to replace it" in result.stderr
    assert copy.read_bytes() == b"an older backup"
    ok(cli("backup", "--force", str(copy)))
    assert item_count(copy) == 40


def test_a_missing_directory_or_database_is_refused(
    cli: Run, tmp_path: Path, db_path: Path
) -> None:
    missing_db = bad(cli("backup", str(tmp_path / "copy.db")))
    assert f"no database at {db_path}" in missing_db.stderr
    assert not (tmp_path / "copy.db").exists()
    ok(cli("import", str(SAMPLE)))
    before = digest(db_path)
    target = tmp_path / "nowhere" / "copy.db"
    result = bad(cli("backup", str(target)))
    assert f"the directory {target.parent} does not exist" in result.stderr
    assert digest(db_path) == before
