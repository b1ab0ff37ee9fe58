"""Schema changes, one function each, applied in order; never edit one once released."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from tui_annotate.store.migrations.m001_initial import m001_initial
from tui_annotate.store.migrations.m002_calibration import m002_calibration
from tui_annotate.store.migrations.m003_judge import m003_judge
from tui_annotate.store.migrations.m004_leases import m004_leases
from tui_annotate.store.migrations.m005_import_visibility import m005_import_visibility
from tui_annotate.store.migrations.m006_scale_indexes import m006_scale_indexes
from tui_annotate.store.migrations.m007_item_case import m007_item_case
from tui_annotate.store.migrations.m008_label_publish import m008_label_publish
from tui_annotate.store.migrations.m009_pairwise import m009_pairwise
from tui_annotate.store.migrations.m010_live import m010_live
from tui_annotate.store.migrations.m011_decide_columns import m011_decide_columns
from tui_annotate.store.migrations.script import run_script

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "m001_initial",
    "m002_calibration",
    "m003_judge",
    "m004_leases",
    "m005_import_visibility",
    "m006_scale_indexes",
    "m007_item_case",
    "m008_label_publish",
    "m009_pairwise",
    "m010_live",
    "m011_decide_columns",
    "run_script",
]

MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    m001_initial,
    m002_calibration,
    m003_judge,
    m004_leases,
    m005_import_visibility,
    m006_scale_indexes,
    m007_item_case,
    m008_label_publish,
    m009_pairwise,
    m010_live,
    m011_decide_columns,
]

#: The schema version a database has after every migration here.
SCHEMA_VERSION = len(MIGRATIONS)
