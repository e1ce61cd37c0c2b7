"""Training rows from the app's own turn log (``recsys train --from-logs``).

For every logged search turn that showed products, each shown product is one row, graded by the
strongest event the shopper produced for it in that turn (``turn_events``): checkout 3 >
add_to_cart 2 > click 1 > impression / nothing 0. Features are *recomputed* with the current
``feature_vector`` from the logged candidate (its retrieval scores and rank) and the filters the
turn ran with, so rows logged under an older ranker still match the current feature list.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sqlalchemy import Engine, select

from app.catalog.snapshot import CatalogSnapshot
from app.domain.turn import ConversationState, TurnRecord
from app.pipeline.remember import search_text
from app.storage.schema import turn_events, turns
from recsys.features import context_for, feature_vector
from recsys.train import RankRows

EVENT_GRADE = {"impression": 0, "click": 1, "add_to_cart": 2, "checkout": 3}


def event_grades(engine: Engine) -> dict[tuple[str, str], int]:
    """(turn_id, product_id) -> strongest event grade."""
    out: dict[tuple[str, str], int] = {}
    with engine.connect() as conn:
        for turn_id, kind, pid in conn.execute(
            select(turn_events.c.turn_id, turn_events.c.kind, turn_events.c.product_id)
        ):
            if pid is None or kind not in EVENT_GRADE:
                continue
            key = (str(turn_id), str(pid))
            out[key] = max(out.get(key, 0), EVENT_GRADE[kind])
    return out


def rows_from_record(
    record: TurnRecord,
    grades: Mapping[tuple[str, str], int],
    catalog: CatalogSnapshot,
    vectors: Mapping[str, np.ndarray] | None = None,
) -> tuple[list[list[float]], list[int]]:
    state = ConversationState.model_validate(record.state_after)
    before = ConversationState.model_validate(record.state_before)
    shown = set(record.shown)
    cands = [c for c in record.candidates if c.product_id in shown]
    ctx = context_for(
        state.filters,
        record.candidates,
        vectors,
        [*before.viewed, *before.last_results],
        [line.product_id for line in before.cart],
        search_text(state) or state.query,
        [p.price for c in record.candidates if (p := catalog.get(c.product_id)) is not None],
    )
    x: list[list[float]] = []
    y: list[int] = []
    for c in cands:
        p = catalog.get(c.product_id)
        if p is None:
            continue
        x.append(feature_vector(ctx, c, p, vectors.get(c.product_id) if vectors else None))
        y.append(grades.get((record.turn_id, c.product_id), 0))
    return x, y


def log_rows(
    engine: Engine, catalog: CatalogSnapshot, vectors: Mapping[str, np.ndarray] | None = None
) -> tuple[RankRows, int]:
    """Graded rows of every logged turn with an event (and how many turns had one)."""
    grades = event_grades(engine)
    with_events = {t for t, _ in grades}
    rows = RankRows()
    with engine.connect() as conn:
        for (doc,) in conn.execute(select(turns.c.record).where(turns.c.turn_id.in_(sorted(with_events)))):
            record = TurnRecord.model_validate(doc)
            x, y = rows_from_record(record, grades, catalog, vectors)
            rows.add("log:" + record.turn_id, x, y)
    return rows, len(with_events)
