"""The building blocks of the review reads: the console's filters as SQL, a turn row as a summary,
and the human labels with the latest one per evaluator.

Queries are written with SQLAlchemy expressions that mean the same on SQLite and PostgreSQL: JSON
fields through ``column[path].as_string()`` (``json_extract`` / ``#>>``) and case-insensitive search
as ``lower(x) LIKE lower(pattern)`` with escaped wildcards, since ``ILIKE`` does not exist on SQLite.
"""

from __future__ import annotations

from typing import Any, TypedDict, cast

from sqlalchemy import Connection, Row, and_, exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from app.review.models import HumanLabel, TurnFilters, TurnSummary
from app.storage.schema import eval_results, human_labels, turn_events, turns


class LoggedGuard(TypedDict, total=False):
    score: float | None
    threshold: float | None


class LoggedRecord(TypedDict, total=False):
    """The parts of a logged ``TurnRecord`` (the JSON column ``turns.record``) the review reads."""

    reply: str
    shown: list[str]
    versions: dict[str, str]
    guard: LoggedGuard | None


def logged_record(row: Row[Any]) -> LoggedRecord:
    """``row.record`` with the shape ``app.pipeline`` writes (``TurnRecord.model_dump``)."""
    return cast(LoggedRecord, row.record or {})


def _contains(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def where_clauses(f: TurnFilters) -> list[ColumnElement[bool]]:
    """The SQL conditions for ``f`` over ``turns`` (portable to SQLite and PostgreSQL)."""
    out: list[ColumnElement[bool]] = []
    if f.start is not None:
        out.append(turns.c.created_at >= f.start)
    if f.end is not None:
        out.append(turns.c.created_at <= f.end)
    if f.abstained is not None:
        out.append(turns.c.abstained.is_(f.abstained))
    if f.intent:
        out.append(turns.c.intent == f.intent)
    if f.min_latency_ms is not None:
        out.append(turns.c.latency_ms > f.min_latency_ms)
    if f.backend:
        out.append(
            or_(
                turns.c.record[("versions", "extractor")].as_string() == f.backend,
                turns.c.record[("versions", "responder")].as_string() == f.backend,
            )
        )
    if f.label:
        cond = and_(eval_results.c.turn_id == turns.c.turn_id, eval_results.c.label == f.label)
        if f.evaluator:
            cond = and_(cond, eval_results.c.evaluator == f.evaluator)
        out.append(exists().where(cond))
    if f.feedback:
        fb = and_(turn_events.c.turn_id == turns.c.turn_id, turn_events.c.kind == "feedback")
        if f.feedback in ("up", "down"):
            out.append(exists().where(and_(fb, turn_events.c.data["rating"].as_string() == f.feedback)))
        else:
            has = exists().where(fb)
            out.append(has if f.feedback == "any" else ~has)
    if f.q:
        out.append(or_(_contains(turns.c.message, f.q), _contains(turns.c.record["reply"].as_string(), f.q)))
    return out


def summary(row: Row[Any]) -> TurnSummary:
    """A ``turns`` row as the console's list shows it."""
    rec = logged_record(row)
    versions = rec.get("versions", {})
    return TurnSummary(
        turn_id=row.turn_id,
        conversation_id=row.conversation_id,
        turn_index=row.turn_index,
        created_at=row.created_at,
        message=row.message,
        reply=rec.get("reply", ""),
        intent=row.intent,
        abstained=row.abstained,
        latency_ms=row.latency_ms,
        backends={k: versions[k] for k in ("extractor", "responder") if k in versions},
    )


def latest_human(rows: list[HumanLabel]) -> dict[str, HumanLabel]:
    """evaluator → the newest label (rows in any order; ties broken by id)."""
    out: dict[str, HumanLabel] = {}
    for r in sorted(rows, key=lambda r: (r.created_at, r.id)):
        out[r.evaluator] = r
    return out


def human_rows(conn: Connection, turn_ids: list[str] | None = None) -> list[HumanLabel]:
    """Every human label (of ``turn_ids``, if given), the corrections included."""
    stmt = select(human_labels)
    if turn_ids is not None:
        stmt = stmt.where(human_labels.c.turn_id.in_(turn_ids))
    return [HumanLabel.model_validate(dict(r)) for r in conn.execute(stmt).mappings()]


def by_turn(labels: list[HumanLabel]) -> dict[str, list[HumanLabel]]:
    """``labels`` grouped by turn id, in their order."""
    out: dict[str, list[HumanLabel]] = {}
    for h in labels:
        out.setdefault(h.turn_id, []).append(h)
    return out
