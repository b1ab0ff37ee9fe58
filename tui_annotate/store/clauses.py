"""SQL fragments several stores share: who counts as a judge, which items are visible, which
claims still count, and when an item is eligible for someone's queue.

Kept in one leaf module so that the stores using them (queue, judge, labels)
need not import one another. Each fragment is tuned: the label_state tests
name their index (migration m006) and match a partial index's WHERE word
for word, as SQLite needs to use it; change one only with the query-plan
tests (tests/store/test_query_plans.py) and the oracle
(tests/store/test_query_oracle.py) beside you.
"""

from __future__ import annotations

#: Every visible item walked in id order by the small items_by_id index. `items` is a view
#: (m005) and takes no INDEXED BY, so the queries that must walk this index read its
#: table and apply the view's own visibility test (an unfinished import stays unseen).
ITEMS_BY_ID = "items_all i INDEXED BY items_by_id"
VISIBLE = "i.id <= (SELECT visible_up_to FROM import_state)"


def shown(alias: str) -> str:
    """The label_state row ALIAS is seen: not one an import of labels still writes (m008).

    Such an import adds the state of the keys it is the first to label while
    its labels are hidden; until it shows them, their label ids are pending.
    A flag alone (event_id NULL) is never pending.
    """
    return (
        f"coalesce({alias}.event_id, 0) NOT BETWEEN (SELECT labels_pending_from FROM"
        " import_state) AND (SELECT labels_pending_to FROM import_state)"
    )


#: A claim that still counts: held for good (labelled) or on a lease not yet run out. A
#: claim an import of labels made for labels it has not shown yet (m008) does not count.
LIVE = (
    "((a.lease_until IS NULL AND a.claimed_at != (SELECT labels_pending_claims FROM"
    " import_state)) OR a.lease_until > :now)"
)

#: A judge's current rating on RUBRIC (alias j): add `AND j.item_id = …`. The terms match
#: the partial index's WHERE word for word, as SQLite needs to use it.
JUDGED_BY_ANY = (
    "SELECT 1 FROM label_state j INDEXED BY label_state_judged WHERE j.rubric = :rubric"
    f" AND j.annotator LIKE 'judge:%' AND j.state = 'rated' AND {shown('j')}"
)

#: A person's current rating on RUBRIC (alias h): add `AND h.item_id = …`.
RATED_BY_HUMAN = (
    "SELECT 1 FROM label_state h INDEXED BY label_state_human WHERE h.rubric = :rubric"
    f" AND h.annotator NOT LIKE 'judge:%' AND h.state = 'rated' AND {shown('h')}"
)

# An item is eligible for live annotation when this annotator has not
# rated or skipped it, fewer than OVERLAP others hold it (one more for the
# drift share, picked by rank so it is the same items for everyone), and
# it is not in an open calibration round of the rubric.
#
# Each test is one index seek per item, whatever the statistics say: the
# label_state ones name their index (see migration m006), since on a
# database never ANALYZEd SQLite took label_state's primary key by its
# `rubric` prefix and read every label of the rubric for every item.
# SQLite tests them in this order: first the one that rules out the judge-labelled bulk
# (a quick miss in a small index where there is none), then this annotator's own.
#
# ELIGIBLE_REST is all but the first test, for a count that splits the items by it
# (store/queue.py).
ELIGIBLE_REST = (
    " AND NOT EXISTS (SELECT 1 FROM label_state s WHERE s.rubric = :rubric"
    f"   AND s.annotator = :annotator AND s.item_id = i.id AND s.state != 'open'"
    f"   AND {shown('s')})"
    " AND (SELECT count(*) FROM assignments a WHERE a.rubric = :rubric"
    f"   AND a.item_id = i.id AND a.annotator != :annotator AND {LIVE})"
    "   < :overlap + (i.rank % 1000 < :drift)"
    " AND NOT EXISTS (SELECT 1 FROM round_items ri JOIN rounds r ON r.id = ri.round_id"
    "   WHERE ri.item_id = i.id AND r.status = 'open' AND r.rubric = :rubric)"
)
ELIGIBLE = (
    # An item an LLM judge labelled is the judge's, unless it was routed to people.
    f" (NOT EXISTS ({JUDGED_BY_ANY} AND j.item_id = i.id)"
    "   OR EXISTS (SELECT 1 FROM routes rt WHERE rt.rubric = :rubric AND rt.item_id = i.id))"
    + ELIGIBLE_REST
)

# A routed item wants one human label made after it was routed (a second opinion,
# when the judge disagreed with a first): so the people who labelled it before
# don't count against the overlap, only those holding it now without a label.
# (label_state.event_id is the id of the label that set the state.)
ROUTED_ELIGIBLE = (
    " NOT EXISTS (SELECT 1 FROM label_state s WHERE s.rubric = :rubric"
    f"   AND s.annotator = :annotator AND s.item_id = i.id AND s.state != 'open'"
    f"   AND {shown('s')})"
    " AND NOT EXISTS (SELECT 1 FROM round_items ri JOIN rounds r ON r.id = ri.round_id"
    "   WHERE ri.item_id = i.id AND r.status = 'open' AND r.rubric = :rubric)"
    f" AND NOT EXISTS ({RATED_BY_HUMAN} AND h.item_id = i.id AND h.event_id > rt.after_label)"
    " AND (SELECT count(*) FROM assignments a WHERE a.rubric = :rubric"
    f"   AND a.item_id = i.id AND a.annotator != :annotator AND {LIVE} AND NOT EXISTS ("
    "     SELECT 1 FROM label_state o WHERE o.rubric = :rubric AND o.annotator = a.annotator"
    f"     AND o.item_id = i.id AND o.state != 'open' AND {shown('o')})) < :overlap"
)
