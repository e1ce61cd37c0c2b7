"""The ``eval_results`` table: idempotent writes and the reads the reports and the worker need.

Idempotency is the unique key (turn, evaluator, evaluator version, backend): an insert that
conflicts is skipped, so at-least-once delivery from the stream and re-runs of a suite never
duplicate or overwrite a label. A new evaluator version writes new rows beside the old ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, and_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.labels import Backend, EvalResult
from app.storage.schema import eval_results, turns


def write_results(engine: Engine, results: Sequence[EvalResult], suite: str = "online") -> int:
    """Insert the results, skipping any already stored; returns how many were new."""
    if not results:
        return 0
    now = datetime.now(UTC)
    rows = [
        {
            "turn_id": r.turn_id,
            "evaluator": r.evaluator,
            "evaluator_version": r.evaluator_version,
            "backend": r.backend.value,
            "label": r.label,
            "explanation": r.explanation[:2000],
            "suite": suite,
            "created_at": r.created_at or now,
        }
        for r in results
    ]
    dialect = engine.dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(eval_results).values(rows)
    stmt = stmt.on_conflict_do_nothing(
        index_elements=["turn_id", "evaluator", "evaluator_version", "backend"]
    )
    with engine.begin() as conn:
        return int(conn.execute(stmt).rowcount or 0)


def results_for(engine: Engine, turn_ids: Iterable[str] | None = None) -> list[EvalResult]:
    query = select(eval_results)
    if turn_ids is not None:
        query = query.where(eval_results.c.turn_id.in_(list(turn_ids)))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(eval_results.c.id)).mappings().all()
    return [
        EvalResult(
            turn_id=r["turn_id"],
            evaluator=r["evaluator"],
            evaluator_version=r["evaluator_version"],
            backend=Backend(r["backend"]),
            label=r["label"],
            explanation=r["explanation"],
            created_at=r["created_at"],
        )
        for r in rows
    ]


def turns_missing(
    engine: Engine, evaluator: str, version: str, backend: Backend, limit: int = 500
) -> list[str]:
    """Turn ids without this evaluator's label: what the worker's sweep labels."""
    er = eval_results
    join = turns.outerjoin(
        er,
        and_(
            er.c.turn_id == turns.c.turn_id,
            er.c.evaluator == evaluator,
            er.c.evaluator_version == version,
            er.c.backend == backend.value,
        ),
    )
    query = (
        select(turns.c.turn_id)
        .select_from(join)
        .where(er.c.id.is_(None))
        .order_by(turns.c.created_at)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(query)]
