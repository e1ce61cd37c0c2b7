"""Build a ``TurnContext`` for logged turns: the record, the products it showed, the turns before it
in its conversation, and the shopper's feedback on it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import Engine, select

from app.catalog.snapshot import CatalogSnapshot
from app.domain.turn import TurnRecord
from app.storage.schema import turn_events, turns
from evals.labels import Expected, TurnContext


def load_contexts(
    engine: Engine,
    catalog: CatalogSnapshot,
    turn_ids: Sequence[str],
    expected: Mapping[str, Expected] | None = None,
) -> list[TurnContext]:
    """Contexts for ``turn_ids`` (unknown ids are skipped), in the order given."""
    if not turn_ids:
        return []
    with engine.connect() as conn:
        rows = conn.execute(select(turns.c.record).where(turns.c.turn_id.in_(list(turn_ids)))).all()
        records = {r.turn_id: r for r in (TurnRecord.model_validate(row[0]) for row in rows)}
        cids = sorted({r.conversation_id for r in records.values()})
        convo_rows = conn.execute(
            select(turns.c.record).where(turns.c.conversation_id.in_(cids)).order_by(turns.c.turn_index)
        ).all()
        events = conn.execute(
            select(turn_events.c.turn_id, turn_events.c.data).where(
                turn_events.c.turn_id.in_(list(records)), turn_events.c.kind == "feedback"
            )
        ).all()
    by_convo: dict[str, list[TurnRecord]] = defaultdict(list)
    for row in convo_rows:
        earlier = TurnRecord.model_validate(row[0])
        by_convo[earlier.conversation_id].append(earlier)
    ratings: dict[str, list[str]] = defaultdict(list)
    for turn_id, data in events:
        if isinstance(data, dict) and data.get("rating"):
            ratings[turn_id].append(str(data["rating"]))
    out = []
    for tid in turn_ids:
        rec = records.get(tid)
        if rec is None:
            continue
        history = [r for r in by_convo[rec.conversation_id] if r.turn_index < rec.turn_index]
        out.append(
            TurnContext(
                record=rec,
                shown=catalog.many(rec.shown),
                history=history,
                ratings=ratings[tid],
                expected=(expected or {}).get(tid),
            )
        )
    return out
