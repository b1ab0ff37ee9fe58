"""Record the exact rubric each label is made under, and refuse silent edits to a version."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from tui_annotate.core.models import Rubric
from tui_annotate.errors import RubricError

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


#: Rubric fields added with a default after release (issue 13: direction, pairwise_question).
LATER_FIELDS = {"direction": "higher", "pairwise_question": ""}


def rubric_hash(rubric: Rubric) -> str:
    """A hash of what the rubric says (not how the file is laid out or where it lives)."""
    data = dataclasses.asdict(rubric)
    data.pop("path", None)
    # Fields added after databases existed are left out while at their default, so a rubric
    # that doesn't use them hashes as it always did and its labels' database still opens.
    for key, default in LATER_FIELDS.items():
        if data.get(key) == default:
            del data[key]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def register(repo: Repository, rubric: Rubric) -> None:
    """Store a snapshot of RUBRIC's version, or check it matches the one already stored.

    Labels keep the version they were made under, so a version's meaning must
    not change under them: an edited rubric needs a new version number.
    """
    digest = rubric_hash(rubric)
    stored = repo.rubric_snapshot_hash(rubric.name, rubric.version)
    if stored is None:
        text = (
            Path(rubric.path).read_text("utf-8")
            if rubric.path and Path(rubric.path).is_file()
            else ""
        )
        repo.save_rubric_snapshot(
            rubric.name,
            rubric.version,
            digest,
            text or json.dumps(dataclasses.asdict(rubric), indent=2),
        )
    elif stored != digest:
        patch, major = _bumps(rubric.version)
        raise RubricError(
            f"{rubric.name} {rubric.version} was edited without a version bump: labels in this "
            f"database were made under {rubric.name} {rubric.version} as it read before, and "
            f'they keep that version. Set version = "{patch}" (a wording fix) or "{major}" (the '
            "scores mean something new: calibration starts over), or undo the edit",
            file=rubric.path or None,
            field="version",
        )


def _bumps(version: str) -> tuple[str, str]:
    """The next patch and the next major version of VERSION (1.2.3 -> 1.2.4, 2.0.0)."""
    parts = version.split("-", 1)[0].split(".")
    major, minor, patch = (int(p) for p in parts)
    return f"{major}.{minor}.{patch + 1}", f"{major + 1}.0.0"
