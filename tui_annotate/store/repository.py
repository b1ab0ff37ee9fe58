"""The store's one entry point: opens a project database and builds every store on it, once.

`Repository` holds one `Connection` (store/connection.py) and the stores that
share it, the way sqlite-utils' `Database` hands out its `Table`s: `items`,
`labels`, `reads`, `leases`, `queue`, `status`, `drafts`, `rubrics`,
`settings`, `rounds`, `judge`, `routing`, `imports`, and, on first use, `exports`, `decide`, `pairwise`, `follow` and `drift`. The
methods below are the names the core, the CLI and the TUI have always
called; each hands on to its store, where the SQL is. No store module
imports this one (tests/store/test_layout.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from tui_annotate.core.models import ClaimRequest, CurrentLabel, Draft, Item, LabelEvent, NewItem
from tui_annotate.errors import StoreError
from tui_annotate.store.connection import Connection
from tui_annotate.store.db import connect, refuses_writes
from tui_annotate.store.drafts import DraftStore
from tui_annotate.store.item_import import ItemImport, ItemImports
from tui_annotate.store.items import ItemStore
from tui_annotate.store.judge import JudgeStore
from tui_annotate.store.label_reads import LabelReads
from tui_annotate.store.label_stage import LabelStage
from tui_annotate.store.labels import LabelStore, LabelWrite
from tui_annotate.store.leases import LeaseStore
from tui_annotate.store.queue import QueueStore
from tui_annotate.store.rounds import RoundStore
from tui_annotate.store.routes import RouteStore
from tui_annotate.store.rubrics import RubricStore
from tui_annotate.store.settings import SettingStore
from tui_annotate.store.status import StatusStore

if TYPE_CHECKING:
    from tui_annotate.core.decide.table import PromptTable
    from tui_annotate.core.models import Rubric
    from tui_annotate.store.decide import DecideStore
    from tui_annotate.store.drift import DriftStore
    from tui_annotate.store.export import ExportQueries
    from tui_annotate.store.follow import FollowStore
    from tui_annotate.store.import_lock import Wait
    from tui_annotate.store.pairwise import PairwiseStore

__all__ = ["LabelWrite", "Repository"]


class Repository:
    """One connection to one project database, and every store built on it."""

    def __init__(self, conn: sqlite3.Connection, path: Path | str = ":memory:") -> None:
        self.connection = Connection(conn, path)
        c = self.connection
        self.items = ItemStore(c)
        self.leases = LeaseStore(c)
        self.queue = QueueStore(c, self.leases)
        self.labels = LabelStore(c, self.leases, self.queue)
        self.reads = LabelReads(c)
        self.status = StatusStore(c, self.items)
        self.drafts = DraftStore(c)
        self.rubrics = RubricStore(c)
        self.settings = SettingStore(c)
        #: Calibration rounds and the golden set.
        self.rounds = RoundStore(c)
        #: The LLM judge's cache, attempts and batches.
        self.judge = JudgeStore(c)
        #: The judge's hard cases, routed to people.
        self.routing = RouteStore(c)
        #: The import watermark; `item_import()` starts one import.
        self.imports = ItemImports(c, self.items)

    @cached_property
    def exports(self) -> ExportQueries:
        """Export's streaming read of a rubric's labels: built once, on first use, because
        its models (core/export.py, csv) are no part of the annotation app's start."""
        from tui_annotate.store.export import ExportQueries

        return ExportQueries(self.connection)

    # Built on first use too: the annotation app needs none of them (a tenth of its import time).
    @cached_property
    def pairwise(self) -> PairwiseStore:
        """Pairwise A/B tasks, their pairs, claims and votes (issue 14)."""
        from tui_annotate.store.pairwise import PairwiseStore

        return PairwiseStore(self.connection)

    @cached_property
    def follow(self) -> FollowStore:
        """Live mode: followed files' offsets and the quarantine."""
        from tui_annotate.store.follow import FollowStore

        return FollowStore(self.connection, self.items)

    @cached_property
    def drift(self) -> DriftStore:
        """Drift checks' stored alert states."""
        from tui_annotate.store.drift import DriftStore

        return DriftStore(self.connection)

    @cached_property
    def decide(self) -> DecideStore:
        """Deciding's column reads (store/decide.py): built on first use, because they
        need numpy, which the annotation app must not load before its first frame."""
        from tui_annotate.store.decide import DecideStore

        return DecideStore(self.connection)

    @classmethod
    def open(cls, path: Path | str, *, readonly: bool = False) -> Repository:
        repo = cls(connect(path, readonly=readonly), path)
        repo.readonly = readonly
        return repo

    @classmethod
    def open_or_browse(cls, path: Path | str) -> tuple[Repository, str | None]:
        """Open for annotating; a file that takes no writes is opened read-only instead.

        Returns the repository and, when read-only, why: the app then lets the
        annotator browse, and says plainly that nothing will be saved.
        """
        try:
            repo = cls.open(path)
        except StoreError as exc:
            if "unable to open" not in str(exc) and "readonly" not in str(exc):
                raise
            reason = str(exc)
        else:
            try:
                refusal = refuses_writes(repo.conn)
            except StoreError as exc:
                repo.close()
                raise StoreError(f"{path}: {exc}") from None
            if refusal is None:
                return repo, None
            repo.close()
            reason = f"{path}: {refusal}"
        return cls.open(path, readonly=True), reason

    # -- the connection -------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        return self.connection.conn

    @property
    def path(self) -> str:
        return self.connection.path

    @property
    def readonly(self) -> bool:
        """Opened for reading only: claims are looked up, never written."""
        return self.connection.readonly

    @readonly.setter
    def readonly(self, value: bool) -> None:
        self.connection.readonly = value

    @property
    def lease_seconds(self) -> float:
        """How long a claim outlives its annotator's last heartbeat (Settings.lease_seconds)."""
        return self.connection.lease_seconds

    @lease_seconds.setter
    def lease_seconds(self, value: float) -> None:
        self.connection.lease_seconds = value

    @property
    def db(self) -> Any:
        """sqlite-utils over the same connection, for introspection off the hot path.

        Created on first use: sqlite-utils imports numpy when it is installed,
        and the annotation app must not pay for that before its first frame.
        """
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def transaction(self) -> AbstractContextManager[None]:
        return self.connection.transaction()

    def begin_immediate(self) -> None:
        self.connection.begin_immediate()

    def bulk_insert(self) -> AbstractContextManager[None]:
        return self.connection.bulk_insert()

    def interrupt(self) -> None:
        """Stop the query running on this connection now (safe from any thread)."""
        self.connection.interrupt()

    def optimize(self, *, wait_ms: int | None = None) -> bool:
        return self.connection.optimize(wait_ms=wait_ms)

    def backup_to(self, dest: Path) -> int:
        return self.connection.backup_to(dest)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sessions: one object per import ---------------------------------------

    def item_import(self, waiting: Wait = None) -> ItemImport:
        """An import's session: chunks invisible until published (store/item_import.py)."""
        return self.imports.session(waiting)

    def label_stage(self, source: str, stamp: str, lines: int | None, wait: Wait) -> LabelStage:
        """Labels from elsewhere, written unseen and shown at once (store/label_stage.py)."""
        return LabelStage(self.connection, source, stamp, lines, wait)

    # -- schema introspection (tests, status) --------------------------------

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def columns(self, table: str) -> list[str]:
        """A table's or a view's columns (`items` is a view since m005)."""
        return [
            str(r[1]) for r in self.conn.execute("SELECT * FROM pragma_table_info(?)", (table,))
        ]

    def tables(self) -> list[str]:
        """Tables, and views that stand for one (`items`)."""
        return sorted(self.db.table_names() + self.db.view_names())

    # -- items (store/items.py) -----------------------------------------------

    def insert_items(self, items: Sequence[NewItem], *, recoverable: bool = False) -> int:
        return self.items.insert(items, recoverable=recoverable)

    def count_items(self) -> int:
        return self.items.count()

    def items_mark(self) -> int:
        return self.items.mark()

    def get_item(self, item_id: int) -> Item:
        return self.items.get(item_id)

    def item_ids_by_external(self, external_ids: Iterable[str]) -> dict[str, int]:
        return self.items.ids_by_external(external_ids)

    def external_ids(self, item_ids: Iterable[int]) -> dict[int, str]:
        return self.items.external_ids(item_ids)

    # -- rubrics, drafts, settings --------------------------------------------

    def rubric_snapshot_hash(self, name: str, version: str) -> str | None:
        return self.rubrics.snapshot_hash(name, version)

    def save_rubric_snapshot(self, name: str, version: str, content_hash: str, toml: str) -> None:
        self.rubrics.save_snapshot(name, version, content_hash, toml)

    def save_draft(self, item_id: int, rubric: str, annotator: str, draft: Draft) -> None:
        self.drafts.save(item_id, rubric, annotator, draft)

    def get_draft(self, item_id: int, rubric: str, annotator: str) -> Draft | None:
        return self.drafts.get(item_id, rubric, annotator)

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        return self.settings.get(key, default)

    def set_setting(self, key: str, value: str) -> None:
        self.settings.set(key, value)

    # -- label writes (store/labels.py) ----------------------------------------

    def append_event(self, **event: Unpack[LabelWrite]) -> int:
        return self.labels.append(**event)

    def append_and_claim(
        self, request: ClaimRequest, **event: Unpack[LabelWrite]
    ) -> tuple[int, int | None]:
        return self.labels.append_and_claim(request, **event)

    def append_imported_labels(self, events: Sequence[dict[str, Any]]) -> int:
        return self.labels.append_imported(events)

    # -- label reads (store/label_reads.py) ------------------------------------

    def events(
        self, *, rubric: str | None = None, annotator: str | None = None
    ) -> list[LabelEvent]:
        return self.reads.events(rubric=rubric, annotator=annotator)

    def current_label(self, item_id: int, rubric: str, annotator: str) -> CurrentLabel | None:
        return self.reads.current_label(item_id, rubric, annotator)

    def is_flagged(self, item_id: int, rubric: str, annotator: str) -> bool:
        return self.reads.is_flagged(item_id, rubric, annotator)

    def recent_rated(self, rubric: str, annotator: str, limit: int) -> list[int]:
        return self.reads.recent_rated(rubric, annotator, limit)

    def current_labels(
        self,
        rubric: str,
        *,
        humans_only: bool = True,
        live_only: bool = False,
        annotators: Sequence[str] | None = None,
    ) -> list[CurrentLabel]:
        return self.reads.current_labels(
            rubric, humans_only=humans_only, live_only=live_only, annotators=annotators
        )

    def open_round_labels(
        self, rubric: str, *, humans_only: bool = True, annotators: Sequence[str] | None = None
    ) -> dict[int, int]:
        return self.reads.open_round_labels(rubric, humans_only=humans_only, annotators=annotators)

    def rating_chunks(
        self, rubric: str, annotator: str, *, live_only: bool = False, size: int = 65_536
    ) -> Iterator[list[tuple[int, int]]]:
        return self.reads.rating_chunks(rubric, annotator, live_only=live_only, size=size)

    # -- status (store/status.py) ----------------------------------------------

    def label_counts(self) -> list[tuple[str, str, int, int, int]]:
        return self.status.label_counts()

    def items_unlabeled(self, rubric: str) -> int:
        return self.status.items_unlabeled(rubric)

    def rubrics_in_use(self) -> list[str]:
        return self.status.rubrics_in_use()

    def annotators(self, rubric: str) -> list[str]:
        return self.status.annotators(rubric)

    # -- claims and the queue (store/leases.py, store/queue.py) ----------------

    def claim_item(self, rubric: str, item_id: int, annotator: str, overlap: int) -> bool:
        return self.leases.claim_item(rubric, item_id, annotator, overlap)

    def renew_leases(self, rubric: str, annotator: str) -> int:
        return self.leases.renew(rubric, annotator)

    def lease_counts(self) -> list[tuple[str, str, int, int]]:
        return self.leases.counts()

    def claim_next(
        self,
        rubric: str,
        annotator: str,
        *,
        overlap: int,
        start_rank: int,
        exclude: Sequence[int] = (),
        include_skipped: bool = False,
        drift_permille: int = 0,
        calibration_only: bool = False,
    ) -> int | None:
        return self.queue.claim_next(
            rubric,
            annotator,
            overlap=overlap,
            start_rank=start_rank,
            exclude=exclude,
            include_skipped=include_skipped,
            drift_permille=drift_permille,
            calibration_only=calibration_only,
        )

    def state_counts(self, rubric: str, annotator: str) -> tuple[int, int]:
        return self.queue.state_counts(rubric, annotator)

    def progress(
        self, rubric: str, annotator: str, overlap: int, **options: Any
    ) -> tuple[int, int, int]:
        """QueueStore.progress; OPTIONS are its drift_permille and calibration_only."""
        return self.queue.progress(rubric, annotator, overlap, **options)

    # -- deciding (store/decide.py) ---------------------------------------------

    def prompt_table(
        self, prompt: str, rubrics: Sequence[Rubric], *, notes: bool = True
    ) -> PromptTable:
        return self.decide.prompt_table(prompt, rubrics, notes=notes)

    def decide_prompts(self) -> dict[str, tuple[str, ...]]:
        return self.decide.decide_prompts()

    def rubrics_labelled(self, prompt: str) -> tuple[str, ...]:
        return self.decide.rubrics_labelled(prompt)

    def golden_digest_rows(self, rubrics: Sequence[str]) -> list[tuple[str, str, str, int]]:
        return self.decide.golden_digest_rows(rubrics)
