"""Failure tags per version (stub)."""

from __future__ import annotations

from collections.abc import Mapping

from tui_annotate.core.decide.table import PromptTable, Source
from tui_annotate.core.results.decide import RubricInfo, TagReport


def tag_report(
    table: PromptTable, infos: Mapping[str, RubricInfo], *, source: Source = "human"
) -> TagReport:
    raise NotImplementedError
