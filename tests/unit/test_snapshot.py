"""A rubric edited under the same version is refused with a message that says what to do."""

from __future__ import annotations

import dataclasses

import pytest

from tui_annotate.core import snapshot
from tui_annotate.core.models import Rubric
from tui_annotate.errors import RubricError
from tui_annotate.store.repository import Repository


def test_an_edit_without_a_version_bump_says_so_and_what_to_do(
    repo: Repository, faithfulness: Rubric
) -> None:
    snapshot.register(repo, faithfulness)
    edited = dataclasses.replace(faithfulness, question=faithfulness.question + " Be strict.")
    with pytest.raises(RubricError) as info:
        snapshot.register(repo, edited)
    message = str(info.value)
    assert info.value.field == "version"
    assert "faithfulness 1.0.0 was edited without a version bump" in message
    assert 'version = "1.0.1"' in message and '"2.0.0"' in message
    assert "differs from the version" not in message


def test_the_same_rubric_registers_twice(repo: Repository, faithfulness: Rubric) -> None:
    snapshot.register(repo, faithfulness)
    snapshot.register(repo, faithfulness)
    assert repo.rubric_snapshot_hash("faithfulness", "1.0.0") == snapshot.rubric_hash(faithfulness)


def test_a_bumped_version_registers_alongside(repo: Repository, faithfulness: Rubric) -> None:
    snapshot.register(repo, faithfulness)
    bumped = dataclasses.replace(faithfulness, question="Strict?", version="1.0.1")
    snapshot.register(repo, bumped)
    assert repo.rubric_snapshot_hash("faithfulness", "1.0.1") == snapshot.rubric_hash(bumped)
