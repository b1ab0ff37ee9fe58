"""Pass rate per version or ISO week (stub)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from tui_annotate.core.decide.table import PromptTable, Source
from tui_annotate.core.results.decide import RubricInfo, Trend


def trend(
    table: PromptTable,
    infos: Mapping[str, RubricInfo],
    *,
    by: Literal["version", "week"] = "version",
    source: Source = "human",
) -> Trend:
    raise NotImplementedError
