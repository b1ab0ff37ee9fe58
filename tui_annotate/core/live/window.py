"""A window of live items, for `agreement --live --window`: drift's agreement, on its own.

`drift` reports, beside each pass rate, the alpha of the recent window's live
double-labelled items. `agreement --live --window 7d [--prompt P]` computes
that alpha with agreement's whole report (bootstrap interval, per-annotator
diagnostics, disputed items), so an agreement drift can be looked into. The
window counts items as drift does: by the log's `timestamp`, else when the
item was imported, to the second, over (now − window, now].
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tui_annotate.core.live.drift import _iso, _naive, parse_duration

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


@dataclass(frozen=True)
class LiveWindow:
    """The items of one window (and prompt, if named) whose live labels are counted."""

    text: str
    since: str
    until: str
    prompt: str | None
    item_ids: npt.NDArray[np.int64]

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.text,
            "from": self.since,
            "to": self.until,
            "prompt": self.prompt,
            "items": len(self.item_ids),
        }


def live_window(repo: Repository, now: datetime, window: str, prompt: str | None) -> LiveWindow:
    """The items that happened in WINDOW (like '7d') up to NOW, of PROMPT if given."""
    start = now - parse_duration(window, "--window")
    since, until = (_naive(t).isoformat(timespec="seconds") for t in (start, now))
    ids = np.asarray(repo.drift.window_items(since, until, prompt), dtype=np.int64)
    return LiveWindow(window, _iso(start), _iso(now), prompt, ids)
