"""The bundled sample project: enough realistic items, complete, and with the hostile text the app must defuse."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import SAMPLE
from tui_annotate.cli import annotate as annotate_cmd


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_the_demo_command_uses_this_sample() -> None:
    assert annotate_cmd.SAMPLE_ITEMS.resolve() == SAMPLE.resolve()


def test_about_forty_items(items: list[dict[str, Any]]) -> None:
    assert 35 <= len(items) <= 45


@pytest.mark.parametrize("field", ["input", "context", "output", "prompt_version"])
def test_every_item_has_the_field(items: list[dict[str, Any]], field: str) -> None:
    missing = [item.get("id") for item in items if not str(item.get(field) or "").strip()]
    assert not missing, f"items without {field}: {missing}"


def test_ids_are_unique(items: list[dict[str, Any]]) -> None:
    ids = [item.get("id") for item in items]
    assert all(ids)
    assert len(set(ids)) == len(ids)


def test_content_is_unique(items: list[dict[str, Any]]) -> None:
    """Distinct content, so the whole sample imports (no item is deduplicated away)."""
    keys = {
        (i["input"], str(i["context"]), i["output"], i.get("prompt", ""), i["prompt_version"])
        for i in items
    }
    assert len(keys) == len(items)


@pytest.mark.parametrize(
    ("needle", "what"),
    [("[bold", "Rich markup"), ("\x1b", "an ANSI escape"), ("\b", "a backspace")],
)
def test_some_output_carries_hostile_text(
    items: list[dict[str, Any]], needle: str, what: str
) -> None:
    assert any(needle in item["output"] for item in items), f"no output contains {what}"
