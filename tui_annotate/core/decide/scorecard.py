"""Scorecard: every version × rubric with counts, intervals and a composite (stub)."""

from __future__ import annotations

from collections.abc import Mapping

from tui_annotate.core.decide.table import PromptTable, Source
from tui_annotate.core.results.decide import RubricInfo, Scorecard


def scorecard(
    table: PromptTable,
    infos: Mapping[str, RubricInfo],
    *,
    source: Source = "human",
    bootstrap: int = 2000,
    seed: int = 0,
) -> Scorecard:
    raise NotImplementedError
