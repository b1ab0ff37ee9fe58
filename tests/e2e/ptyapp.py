"""The pty driver for end-to-end tests: one copy, in bench/ptydriver.py, shared with the benchmarks."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.ptydriver import (  # noqa: E402
    ITEM_ID,
    PtyApp,
    PtyTimeout,
    peak_rss_kib,
    pump_any,
)

__all__ = ["ITEM_ID", "ROOT", "PtyApp", "PtyTimeout", "peak_rss_kib", "pump_any"]
