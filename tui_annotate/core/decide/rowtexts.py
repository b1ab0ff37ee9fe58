"""Texts of a table's rows fetched when asked for, not a million Python strings up front.

A `PromptTable` at a million items used to carry every external id and every
case name as a tuple of strings: building them was the largest part of
reading the table, for reports that name a few dozen regressed cases. A
`RowTexts` is a read-only sequence with the tuple's meaning (`texts[i]`,
`len`, iteration, `index`, `in`, equality with a tuple) whose texts come from
a fetch function (the store's: item ids → texts) in batches, cached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import overload

import numpy as np

#: Item ids → their texts, in the order asked (the store reads them in one query).
Fetch = Callable[[Sequence[int]], list[str]]
#: A text → the positions that may hold it (checked by fetching), or None: "look at all".
Locate = Callable[[str], "np.ndarray | None"]

#: Texts fetched per query when the whole sequence is walked.
BATCH = 50_000


class RowTexts(Sequence[str]):
    """Position i's text is the text of item `item_ids[i]`, fetched on first use."""

    def __init__(self, item_ids: np.ndarray, fetch: Fetch, locate: Locate | None = None) -> None:
        self._ids = item_ids
        self._fetch = fetch
        self._locate = locate
        self._known: dict[int, str] = {}

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    @overload
    def __getitem__(self, at: int) -> str: ...
    @overload
    def __getitem__(self, at: slice) -> tuple[str, ...]: ...
    def __getitem__(self, at: int | slice) -> str | tuple[str, ...]:
        if isinstance(at, slice):
            return tuple(self.take(range(len(self))[at]))
        n = len(self)
        i = int(at)
        if not -n <= i < n:
            raise IndexError(f"row {i} of {n}")
        return self.take([i % n])[0]

    def take(self, positions: Sequence[int]) -> list[str]:
        """The texts at POSITIONS, the ones not yet known fetched in one query."""
        wanted = [int(p) for p in positions]
        missing = sorted({p for p in wanted if p not in self._known})
        for start in range(0, len(missing), BATCH):
            part = missing[start : start + BATCH]
            texts = self._fetch(self._ids[part].tolist())
            self._known.update(zip(part, texts, strict=True))
        return [self._known[p] for p in wanted]

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self), BATCH):
            yield from self.take(range(start, min(start + BATCH, len(self))))

    def index(self, value: object, start: int = 0, stop: int | None = None) -> int:
        end = len(self) if stop is None else stop
        if isinstance(value, str) and self._locate is not None:
            candidates = self._locate(value)
            if candidates is not None:
                found = [int(p) for p in candidates if start <= p < end]
                for p, text in zip(found, self.take(found), strict=True):
                    if text == value:
                        return p
                raise ValueError(f"{value!r} is not in the table")
        for p, text in enumerate(self):
            if start <= p < end and text == value:
                return p
        raise ValueError(f"{value!r} is not in the table")

    def __contains__(self, value: object) -> bool:
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RowTexts({len(self)} rows)"
