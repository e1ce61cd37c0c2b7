"""The review reads and the one write: list turns, one turn in detail, add a human label, export.

Human labels are append-only rows of ``human_labels``: a correction is a new row, the history stays,
and the latest row per (turn, evaluator) wins everywhere it is read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Protocol, TypedDict

from sqlalchemy import Engine, func, insert, select

from app.domain.catalog import Product
from app.domain.turn import ShownProduct
from app.review.models import (
    EvalLabel,
    HumanLabel,
    HumanLabelIn,
    TurnDetail,
    TurnEvent,
    TurnFilters,
    TurnPage,
)
from app.review.queries import by_turn, human_rows, latest_human, logged_record, summary, where_clauses
from app.storage.schema import eval_results, human_labels, turn_events, turns


class ProductLookup(Protocol):
    """What the read model needs of the catalog (``CatalogSnapshot`` is one)."""

    def get(self, product_id: str) -> Product | None: ...


class _NewLabel(TypedDict):
    turn_id: str
    evaluator: str
    label: str
    note: str
    reviewer: str
    created_at: datetime


def list_turns(engine: Engine, f: TurnFilters, limit: int, offset: int) -> TurnPage:
    conds = where_clauses(f)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(turns).where(*conds)).scalar_one()
        rows = conn.execute(
            select(turns)
            .where(*conds)
            .order_by(turns.c.created_at.desc(), turns.c.turn_index.desc())
            .limit(limit)
            .offset(offset)
        ).all()
    return TurnPage(total=int(total), turns=[summary(r) for r in rows])


def turn_detail(engine: Engine, catalog: ProductLookup, turn_id: str) -> TurnDetail | None:
    """Everything about one turn, or None for an unknown turn id."""
    with engine.connect() as conn:
        row = conn.execute(select(turns.c.record).where(turns.c.turn_id == turn_id)).first()
        if row is None:
            return None
        events = conn.execute(
            select(turn_events.c.kind, turn_events.c.product_id, turn_events.c.created_at, turn_events.c.data)
            .where(turn_events.c.turn_id == turn_id)
            .order_by(turn_events.c.id)
        ).mappings()
        event_list = [
            TurnEvent(
                kind=e["kind"],
                product_id=e["product_id"],
                created_at=e["created_at"].isoformat(),
                data=e["data"],
            )
            for e in events
        ]
        evals = [
            EvalLabel.model_validate(dict(r))
            for r in conn.execute(
                select(eval_results)
                .where(eval_results.c.turn_id == turn_id)
                .order_by(eval_results.c.evaluator)
            ).mappings()
        ]
        humans = sorted(human_rows(conn, [turn_id]), key=lambda r: (r.created_at, r.id), reverse=True)
    record = logged_record(row)
    shown = [ShownProduct.of(p) for i in record.get("shown", []) if (p := catalog.get(i))]
    return TurnDetail(
        record=row.record,
        shown_products=shown,
        events=event_list,
        eval_results=evals,
        human_labels=humans,
        latest_human={k: v.label for k, v in latest_human(humans).items()},
    )


def add_label(engine: Engine, turn_id: str, body: HumanLabelIn, reviewer: str) -> HumanLabel | None:
    """Store ``body`` as ``reviewer``'s label now; None for an unknown turn id."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if conn.execute(select(turns.c.turn_id).where(turns.c.turn_id == turn_id)).first() is None:
            return None
        values = _NewLabel(
            turn_id=turn_id,
            evaluator=body.evaluator,
            label=body.label,
            note=body.note,
            reviewer=reviewer,
            created_at=now,
        )
        key = conn.execute(insert(human_labels).values(**values)).inserted_primary_key
        assert key is not None  # None only for executemany or a non-INSERT; this inserts one row
        new_id = key[0]
    return HumanLabel(id=int(new_id), **values)


def export_lines(engine: Engine, start: datetime | None, end: datetime | None) -> list[str]:
    """One JSON line per human-labelled turn: the turn, its latest human labels and the judges'."""
    with engine.connect() as conn:
        labelled = by_turn(human_rows(conn))
        stmt = select(turns).where(
            turns.c.turn_id.in_(list(labelled)), *where_clauses(TurnFilters(start=start, end=end))
        )
        rows = conn.execute(stmt.order_by(turns.c.created_at, turns.c.turn_index)).all()
        judges: dict[str, dict[str, str]] = {}
        for r in conn.execute(select(eval_results.c.turn_id, eval_results.c.evaluator, eval_results.c.label)):
            judges.setdefault(r[0], {})[r[1]] = r[2]
    lines = []
    for row in rows:
        latest = latest_human(labelled[row.turn_id])
        doc = {
            **summary(row).model_dump(mode="json"),
            "shown": logged_record(row).get("shown", []),
            "labels": {
                k: {"label": v.label, "note": v.note, "reviewer": v.reviewer, "at": v.created_at.isoformat()}
                for k, v in sorted(latest.items())
            },
            "judge": judges.get(row.turn_id, {}),
        }
        lines.append(json.dumps(doc, ensure_ascii=False) + "\n")
    return lines
