"""A rubric's hash is what a database checks its labels' rubric against: it must not move.

Adding `direction` and `pairwise_question` to Rubric changed every shipped
rubric's hash, and every database made before refused to open ("edited
without a version bump"). These are the hashes the shipped rubrics had then.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import load_shipped
from tui_annotate.core.snapshot import rubric_hash

BEFORE_ISSUE_13 = {
    "faithfulness": "c76b903d459a66c055ddfe3ff546606a40104880a10d42130e5d5d07d58b2bcd",
    "helpfulness": "f73414f89b52b400a0843bfbdb9180e55ef9054a0353878aff95bc971ca577a7",
    "safety": "0f585e61f6d0b92be32c2d67594b80584a2f3758dbdb12563956242509b9896b",
}


@pytest.mark.parametrize("name", sorted(BEFORE_ISSUE_13))
def test_a_shipped_rubric_hashes_as_it_did_before_new_fields(name: str) -> None:
    assert rubric_hash(load_shipped(name)) == BEFORE_ISSUE_13[name]


def test_using_a_new_field_changes_the_hash() -> None:
    """Turning a rubric's direction round changes what its scores mean: a new version."""
    rubric = load_shipped("faithfulness")
    lower = dataclasses.replace(rubric, direction="lower")
    asked = dataclasses.replace(rubric, pairwise_question="Which is more faithful?")
    assert len({rubric_hash(rubric), rubric_hash(lower), rubric_hash(asked)}) == 3
