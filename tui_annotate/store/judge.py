"""SQL for the LLM judge: cache, attempts, batches and routes (split from repository.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from tui_annotate.core.clock import now
from tui_annotate.core.models import CurrentLabel
from tui_annotate.core.names import JUDGE_PREFIX
from tui_annotate.store.clauses import ITEMS_BY_ID, RATED_BY_HUMAN, VISIBLE, shown
from tui_annotate.store.connection import Connection


class JudgeStore:
    """What the judge reads and writes; every write is its own committed transaction
    (write_many: a batch of results, all or none)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    # -- which items -----------------------------------------------------------------

    def item_ids(self, rubric: str, model: str, which: str, limit: int | None = None) -> list[int]:
        """Items to judge: 'unlabeled' (no human and no label from this judge), 'all', 'golden'.

        LIMIT stops the walk at that many: `judge --limit 1` asks its first
        question without deciding about the million items after it.
        """
        judge = JUDGE_PREFIX + model
        tail = "" if limit is None else f" LIMIT {int(limit)}"
        if which == "golden":
            sql = "SELECT DISTINCT item_id FROM golden WHERE rubric = ? ORDER BY item_id" + tail
            return [r[0] for r in self.conn.execute(sql, (rubric,))]
        if which == "all":
            return [r[0] for r in self.conn.execute("SELECT id FROM items ORDER BY id" + tail)]
        # This judge's own labels first, read once into a list (SQLite keeps it as a
        # temporary index) that each item is looked up in: where the judge has judged
        # the bulk (the usual case, and the one a rerun for newly arrived items meets),
        # that rules an item out. A million items all judged: 0.3 s to walk; 0.55 s with
        # a seek in label_state per item; 1.5 s with people's ratings tested first (a
        # seek in the larger label_state_human for every item).
        return [
            r[0]
            for r in self.conn.execute(
                f"SELECT i.id FROM {ITEMS_BY_ID} WHERE {VISIBLE}"
                " AND i.id NOT IN (SELECT s.item_id FROM label_state s WHERE s.rubric = :rubric"
                f"   AND s.annotator = :judge AND s.state = 'rated' AND {shown('s')})"
                f" AND NOT EXISTS ({RATED_BY_HUMAN} AND h.item_id = i.id)"
                " ORDER BY i.id" + tail,
                {"rubric": rubric, "judge": judge},
            )
        ]

    def judged(self, rubric: str, model: str, item_ids: Sequence[int]) -> dict[int, str]:
        """item -> prompt hash of this judge's current label on each of ITEM_IDS that has one,
        for skipping finished work.

        Only the items asked about, a seek each: the run's plan, not every label the
        judge ever made (reading and parsing a million labels' meta took 1.9 s before
        `judge --limit 1` could send its first request).
        """
        out: dict[int, str] = {}
        ids = sorted(set(item_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for item_id, meta in self.conn.execute(
                "SELECT s.item_id, l.meta FROM label_state s JOIN labels l ON l.id = s.event_id"
                f" WHERE s.rubric = ? AND s.annotator = ? AND s.item_id IN ({marks})"
                " AND s.state = 'rated'",
                (rubric, JUDGE_PREFIX + model, *chunk),
            ):
                out[int(item_id)] = json.loads(meta).get("prompt_hash", "")
        return out

    # -- cache and results -------------------------------------------------------------

    def cached(self, model: str, prompt_hash: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT answer FROM judge_cache WHERE model = ? AND prompt_hash = ?",
            (model, prompt_hash),
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def record(
        self,
        *,
        item_id: int,
        rubric: str,
        rubric_version: str,
        model: str,
        prompt_hash: str,
        answer: dict[str, Any],
        from_cache: bool,
    ) -> None:
        """A successful judgement: cache it, log the attempt and append the label, together."""
        with self.connection.transaction():
            self._record_rows(
                item_id=item_id,
                rubric=rubric,
                rubric_version=rubric_version,
                model=model,
                prompt_hash=prompt_hash,
                answer=answer,
                from_cache=from_cache,
            )

    def _record_rows(
        self,
        *,
        item_id: int,
        rubric: str,
        rubric_version: str,
        model: str,
        prompt_hash: str,
        answer: dict[str, Any],
        from_cache: bool,
    ) -> None:
        """record's rows, inside the caller's transaction."""
        stamp = now()
        usage = answer.get("usage", {})
        if not from_cache:
            self.conn.execute(
                "INSERT OR REPLACE INTO judge_cache (model, prompt_hash, answer, created_at)"
                " VALUES (?,?,?,?)",
                (model, prompt_hash, json.dumps(answer), stamp),
            )
            self.conn.execute(
                "INSERT INTO judge_attempts (item_id, rubric, model, prompt_hash, status, raw,"
                " prompt_tokens, completion_tokens, latency_ms, created_at)"
                " VALUES (?,?,?,?,'ok',?,?,?,?,?)",
                (
                    item_id,
                    rubric,
                    model,
                    prompt_hash,
                    answer.get("raw", ""),
                    usage.get("prompt_tokens", 0),
                    usage.get("completion_tokens", 0),
                    answer.get("latency_ms", 0.0),
                    stamp,
                ),
            )
        meta = {
            k: answer.get(k)
            for k in (
                "prompt_hash",
                "model",
                "usage",
                "latency_ms",
                "confidence",
                "expected_score",
                "confidence_method",
                "confidence_detail",
                "output_form",
                "samples",
                "dropped_tags",
                "batch",
            )
        }
        meta["prompt_hash"] = prompt_hash
        meta["from_cache"] = from_cache
        self.conn.execute(
            "INSERT INTO labels (item_id, rubric, rubric_version, annotator, kind, score,"
            " tags, comment, seconds, meta, created_at) VALUES (?,?,?,?,'rate',?,?,?,?,?,?)",
            (
                item_id,
                rubric,
                rubric_version,
                JUDGE_PREFIX + model,
                answer["score"],
                json.dumps(answer.get("tags", [])),
                answer.get("rationale", ""),
                answer.get("latency_ms", 0.0) / 1000.0,
                json.dumps(meta),
                stamp,
            ),
        )

    def failed(
        self,
        *,
        item_id: int,
        rubric: str,
        model: str,
        prompt_hash: str,
        status: str,
        error: str,
        raw: str = "",
        usage: dict[str, int] | None = None,
        latency_ms: float = 0.0,
    ) -> None:
        with self.connection.transaction():
            self._failed_rows(
                item_id=item_id,
                rubric=rubric,
                model=model,
                prompt_hash=prompt_hash,
                status=status,
                error=error,
                raw=raw,
                usage=usage,
                latency_ms=latency_ms,
            )

    def _failed_rows(
        self,
        *,
        item_id: int,
        rubric: str,
        model: str,
        prompt_hash: str,
        status: str,
        error: str,
        raw: str = "",
        usage: dict[str, int] | None = None,
        latency_ms: float = 0.0,
    ) -> None:
        """failed's row, inside the caller's transaction."""
        usage = usage or {}
        self.conn.execute(
            "INSERT INTO judge_attempts (item_id, rubric, model, prompt_hash, status, error,"
            " raw, prompt_tokens, completion_tokens, latency_ms, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                item_id,
                rubric,
                model,
                prompt_hash,
                status,
                error[:2000],
                raw,
                usage.get("prompt_tokens", 0),
                usage.get("completion_tokens", 0),
                latency_ms,
                now(),
            ),
        )

    def write_many(self, writes: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Several results in one transaction, in order: each ("ok", record's keywords) or
        ("failed", failed's keywords). One commit for the lot is what makes a large run
        cheap (a commit is an fsync); a crash keeps all of them or none."""
        if not writes:
            return
        with self.connection.transaction():
            for kind, fields in writes:
                if kind == "ok":
                    self._record_rows(**fields)
                elif kind == "failed":
                    self._failed_rows(**fields)
                else:
                    raise ValueError(f"unknown judge write {kind!r}")

    def attempts(self, rubric: str, model: str) -> list[dict[str, Any]]:
        cols = (
            "item_id",
            "status",
            "error",
            "raw",
            "prompt_hash",
            "prompt_tokens",
            "completion_tokens",
            "latency_ms",
        )
        return [
            dict(zip(cols, r, strict=True))
            for r in self.conn.execute(
                f"SELECT {', '.join(cols)} FROM judge_attempts WHERE rubric = ? AND model = ?"
                " ORDER BY id",
                (rubric, model),
            )
        ]

    def labels(self, rubric: str, model: str) -> list[tuple[CurrentLabel, dict[str, Any]]]:
        """The judge's current labels with their metadata (confidence, prompt hash, …)."""
        return [
            (
                CurrentLabel(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], r[5], r[6]),
                json.loads(r[7]),
            )
            for r in self.conn.execute(
                "SELECT l.item_id, l.annotator, l.score, l.tags, l.comment, l.rubric_version,"
                " l.created_at, l.meta FROM label_state s JOIN labels l ON l.id = s.event_id"
                " WHERE s.rubric = ? AND s.annotator = ? AND s.state = 'rated' ORDER BY s.item_id",
                (rubric, JUDGE_PREFIX + model),
            )
        ]

    def rating_chunks(
        self, rubric: str, model: str, *, size: int = 65_536
    ) -> Iterator[list[tuple[int, int, float | None]]]:
        """(item_id, score, confidence or None) of the judge's current labels, in chunks, by
        item: what route and the judge's report weigh, without an object per label (a
        million labels as objects with their parsed metadata took over a gigabyte)."""
        cur = self.conn.execute(
            "SELECT s.item_id, s.score, json_extract(l.meta, '$.confidence') FROM label_state s"
            " JOIN labels l ON l.id = s.event_id"
            " WHERE s.rubric = ? AND s.annotator = ? AND s.state = 'rated' ORDER BY s.item_id",
            (rubric, JUDGE_PREFIX + model),
        )
        while chunk := cur.fetchmany(size):
            yield chunk

    # -- batches -------------------------------------------------------------------------

    def save_batch(
        self,
        batch_id: str,
        *,
        rubric: str,
        rubric_version: str,
        model: str,
        status: str,
        requests: dict[str, Any],
    ) -> None:
        with self.connection.transaction():
            self.conn.execute(
                "INSERT INTO judge_batches (id, rubric, rubric_version, model, status, requests,"
                " created_at) VALUES (?,?,?,?,?,?,?)",
                (batch_id, rubric, rubric_version, model, status, json.dumps(requests), now()),
            )

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT id, rubric, rubric_version, model, status, requests, output_file_id"
            " FROM judge_batches WHERE id = ?",
            (batch_id,),
        ).fetchone()
        if row is None:
            return None
        keys = ("id", "rubric", "rubric_version", "model", "status", "requests", "output_file_id")
        data = dict(zip(keys, row, strict=True))
        data["requests"] = json.loads(data["requests"])
        return data

    def open_batches(self, rubric: str, model: str) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM judge_batches WHERE rubric = ? AND model = ?"
                " AND finished_at IS NULL ORDER BY created_at",
                (rubric, model),
            )
        ]

    def finish_batch(self, batch_id: str, status: str, output_file_id: str | None) -> None:
        with self.connection.transaction():
            self.conn.execute(
                "UPDATE judge_batches SET status = ?, output_file_id = ?, finished_at = ?"
                " WHERE id = ?",
                (status, output_file_id, now(), batch_id),
            )
