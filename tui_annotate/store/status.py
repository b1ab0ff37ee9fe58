"""The counts `status` and the reports show: who labelled what on which rubric, and what is left."""

from __future__ import annotations

from tui_annotate.store.clauses import shown
from tui_annotate.store.connection import Connection
from tui_annotate.store.items import ItemStore

#: A label_state row readers see (not an unfinished import's: store/clauses.py).
SHOWN = shown("label_state")


class StatusStore:
    """Counts over label_state, each along an index that already has the order it needs."""

    def __init__(self, connection: Connection, items: ItemStore) -> None:
        self.connection = connection
        self.conn = connection.conn
        self.items = items

    def label_counts(self) -> list[tuple[str, str, int, int, int]]:
        """(rubric, annotator, rated, skipped, flagged) for every annotator with any state.

        Counted along label_state_counts, whose order is the grouping: no sort, and index
        entries rather than table rows.
        """
        totals: dict[tuple[str, str], list[int]] = {}
        for rubric, annotator, state, flagged, count in self.conn.execute(
            "SELECT rubric, annotator, state, sum(flagged), count(*) FROM label_state"
            f" INDEXED BY label_state_counts WHERE {shown('label_state')}"
            " GROUP BY rubric, annotator, state"
        ):
            entry = totals.setdefault((rubric, annotator), [0, 0, 0])
            if state == "rated":
                entry[0] += count
            elif state == "skipped":
                entry[1] += count
            entry[2] += flagged
        return [(r, a, *totals[(r, a)]) for r, a in sorted(totals)]  # type: ignore[misc]

    def items_unlabeled(self, rubric: str) -> int:
        """Items with no current human label on RUBRIC.

        All items less those with one: the second is one ordered pass over the
        small label_state_human index, where asking each of a million items
        took seconds. (Every label_state row's item exists: a foreign key.)
        """
        labelled = self.conn.execute(
            "SELECT count(*) FROM (SELECT h.item_id FROM label_state h INDEXED BY label_state_human"
            " WHERE h.rubric = :rubric AND h.annotator NOT LIKE 'judge:%' AND h.state = 'rated'"
            f" AND {shown('h')} GROUP BY h.item_id)",
            {"rubric": rubric},
        ).fetchone()[0]
        return self.items.count() - int(labelled)

    def rubrics_in_use(self) -> list[str]:
        """Rubrics with labels: one seek per rubric along labels_by_annotator, not a scan."""
        return [
            r[0]
            for r in self.conn.execute(
                "WITH RECURSIVE used (name) AS ("
                "  SELECT min(rubric) FROM labels"
                "  UNION ALL SELECT (SELECT min(rubric) FROM labels WHERE rubric > used.name)"
                "  FROM used WHERE used.name IS NOT NULL)"
                " SELECT name FROM used WHERE name IS NOT NULL ORDER BY 1"
            )
        ]

    def annotators(self, rubric: str) -> list[str]:
        # (An annotator whose every label is pending, from an import, is nobody yet.)
        """Everyone with a label state on RUBRIC: one seek each along label_state's key."""
        return [
            r[0]
            for r in self.conn.execute(
                "WITH RECURSIVE who (name) AS ("
                f"  SELECT min(annotator) FROM label_state WHERE rubric = :rubric AND {SHOWN}"
                "  UNION ALL SELECT (SELECT min(annotator) FROM label_state"
                f"    WHERE rubric = :rubric AND annotator > who.name AND {SHOWN})"
                "  FROM who WHERE who.name IS NOT NULL)"
                " SELECT name FROM who WHERE name IS NOT NULL ORDER BY 1",
                {"rubric": rubric},
            )
        ]

    def prompt_versions(self) -> list[tuple[str, str, int]]:
        """(prompt, version, items) for every prompt version items name, along items_by_prompt."""
        return [
            (str(p), str(v), int(n))
            for p, v, n in self.conn.execute(
                "SELECT prompt, prompt_version, count(*) FROM items_all"
                " WHERE prompt != '' AND prompt_version != ''"
                " AND id <= (SELECT visible_up_to FROM import_state)"
                " GROUP BY prompt, prompt_version ORDER BY prompt, prompt_version"
            )
        ]
