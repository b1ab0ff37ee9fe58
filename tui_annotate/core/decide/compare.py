"""Paired comparison of two versions on the same cases (stub)."""

from __future__ import annotations

from collections.abc import Mapping

from tui_annotate.core.decide.table import PromptTable, Source
from tui_annotate.core.results.decide import Comparison, RubricInfo


def compare(
    table: PromptTable,
    infos: Mapping[str, RubricInfo],
    *,
    baseline: str,
    candidate: str,
    source: Source = "human",
    bootstrap: int = 2000,
    seed: int = 0,
) -> Comparison:
    raise NotImplementedError
