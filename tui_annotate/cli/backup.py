"""`backup`: one consistent copy of the database, WAL included, while annotators keep working."""

from __future__ import annotations

from pathlib import Path

import click

from tui_annotate.cli import outfile
from tui_annotate.cli.context import Context, errors_to_exit, lead_only
from tui_annotate.cli.output import say
from tui_annotate.errors import InputError


@click.command()
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
@click.pass_obj
@errors_to_exit
@lead_only("backup")
def backup(obj: Context, dest: Path, force: bool) -> None:
    """Copy the database to DEST safely while annotators keep working.

    A plain `cp` of the .db file misses every label still in its -wal file;
    this copies one consistent snapshot, the WAL included, into one file.
    """
    obj.require_db()
    # SQLite writes a database page by page into a file it can reopen; a device
    # or a pipe can't hold one, so they are refused rather than half-written.
    path = outfile.refuse_unless_file(dest, "backup writes a database, which needs a regular file")
    if dest.exists() and not force:
        raise InputError(f"{dest} exists; pass --force to replace it", file=str(dest))
    with obj.repo(readonly=True) as repo:
        size = repo.backup_to(path)
    say(f"backed up {obj.db_path} to {dest} ({size / 1e6:.1f} MB)", err=True)
