"""Queries behind the review API (``app/api/routes/review.py``): filters, traces, labels, export.

Queries are written with SQLAlchemy expressions
that mean the same on SQLite and PostgreSQL: JSON fields through ``column[path].as_string()``
(``json_extract`` / ``#>>``) and case-insensitive search as ``lower(x) LIKE lower(pattern)`` with
escaped wildcards, since ``ILIKE`` does not exist on SQLite.

Human labels are append-only rows of ``human_labels``: a correction is a new row, the history stays,
and the latest row per (turn, evaluator) wins everywhere it is read.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path as FsPath
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import Engine, and_, exists, func, insert, or_, select
from sqlalchemy.sql.elements import ColumnElement

from app.domain.turn import ShownProduct
from app.storage.schema import eval_results, human_labels, turn_events, turns
from evals.labels import LABELS, NOT_APPLICABLE

Evaluator = Literal["hallucination", "relevance", "refusal", "intent", "toxicity", "friction"]


class TurnFilters(BaseModel):
    """The console's filters; every one given must hold (AND)."""

    start: datetime | None = None
    end: datetime | None = None
    abstained: bool | None = None
    label: str | None = Field(
        default=None, max_length=32, description="Any evaluator's label, e.g. 'hallucinated'."
    )
    evaluator: Evaluator | None = Field(default=None, description="Restrict ``label`` to one evaluator.")
    feedback: Literal["up", "down", "any", "none"] | None = None
    intent: str | None = Field(default=None, max_length=32)
    min_latency_ms: float | None = Field(default=None, ge=0)
    backend: str | None = Field(default=None, max_length=32, description="Extractor or responder backend.")
    q: str | None = Field(default=None, max_length=200, description="Text in the message or the reply.")


class TurnSummary(BaseModel):
    turn_id: str
    conversation_id: str
    turn_index: int
    created_at: datetime
    message: str
    reply: str
    intent: str
    abstained: bool
    latency_ms: float
    backends: dict[str, str]


class TurnPage(BaseModel):
    total: int
    turns: list[TurnSummary]


class EvalLabel(BaseModel):
    evaluator: str
    label: str
    explanation: str
    backend: str
    evaluator_version: str
    created_at: datetime


class HumanLabelIn(BaseModel):
    evaluator: Evaluator
    label: str = Field(min_length=1, max_length=32)
    note: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _known_label(self) -> HumanLabelIn:
        allowed = (*LABELS[self.evaluator], NOT_APPLICABLE)
        if self.label not in allowed:
            raise ValueError(f"label for {self.evaluator} must be one of: {', '.join(allowed)}")
        return self


class HumanLabel(BaseModel):
    id: int
    turn_id: str
    evaluator: str
    label: str
    note: str
    reviewer: str
    created_at: datetime


class TurnTrace(BaseModel):
    record: dict[str, Any] = Field(description="The logged TurnRecord, whole.")
    shown_products: list[ShownProduct]
    events: list[dict[str, Any]]
    eval_results: list[EvalLabel]
    human_labels: list[HumanLabel] = Field(description="Newest first: the history of corrections.")
    latest_human: dict[str, str]


class LabelPair(BaseModel):
    turn_id: str
    evaluator: str
    judge: str | None
    human: str | None


class GuardPoint(BaseModel):
    turn_id: str
    score: float
    threshold: float | None
    abstained: bool
    human_refusal: str | None = Field(description="The reviewer's refusal label: refused | answered.")


class Dashboard(BaseModel):
    label_counts: list[dict[str, Any]] = Field(description="{day, evaluator, label, count} of judge labels.")
    pairs: list[LabelPair] = Field(description="Judge vs latest human label, where a human labelled.")
    guard: list[GuardPoint]
    slices: list[dict[str, Any]] = Field(
        description="One row per turn: intent, backend, abstained, latency, feedback."
    )
    ranker_models: list[dict[str, Any]]
    abstention_plot: bool = Field(description="Whether GET /v1/review/abstention.png has a plot to serve.")


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


def _summary(row: Any) -> TurnSummary:
    rec = row.record or {}
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
    return TurnPage(total=int(total), turns=[_summary(r) for r in rows])


def latest_human(rows: list[HumanLabel]) -> dict[str, HumanLabel]:
    """evaluator → the newest label (rows in any order; ties broken by id)."""
    out: dict[str, HumanLabel] = {}
    for r in sorted(rows, key=lambda r: (r.created_at, r.id)):
        out[r.evaluator] = r
    return out


def _human_rows(conn: Any, turn_ids: list[str] | None = None) -> list[HumanLabel]:
    stmt = select(human_labels)
    if turn_ids is not None:
        stmt = stmt.where(human_labels.c.turn_id.in_(turn_ids))
    return [HumanLabel.model_validate(dict(r)) for r in conn.execute(stmt).mappings()]


def trace(services: Any, turn_id: str) -> TurnTrace | None:
    with services.engine.connect() as conn:
        row = conn.execute(select(turns.c.record).where(turns.c.turn_id == turn_id)).first()
        if row is None:
            return None
        events = conn.execute(
            select(turn_events.c.kind, turn_events.c.product_id, turn_events.c.created_at, turn_events.c.data)
            .where(turn_events.c.turn_id == turn_id)
            .order_by(turn_events.c.id)
        ).mappings()
        event_list = [{**dict(e), "created_at": e["created_at"].isoformat()} for e in events]
        evals = [
            EvalLabel.model_validate(dict(r))
            for r in conn.execute(
                select(eval_results)
                .where(eval_results.c.turn_id == turn_id)
                .order_by(eval_results.c.evaluator)
            ).mappings()
        ]
        humans = sorted(_human_rows(conn, [turn_id]), key=lambda r: (r.created_at, r.id), reverse=True)
    record = row[0]
    shown = [ShownProduct.of(p) for i in record.get("shown", []) if (p := services.catalog.get(i))]
    return TurnTrace(
        record=record,
        shown_products=shown,
        events=event_list,
        eval_results=evals,
        human_labels=humans,
        latest_human={k: v.label for k, v in latest_human(humans).items()},
    )


def add_label(engine: Engine, turn_id: str, body: HumanLabelIn, reviewer: str) -> HumanLabel | None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if conn.execute(select(turns.c.turn_id).where(turns.c.turn_id == turn_id)).first() is None:
            return None
        values: dict[str, Any] = {
            "turn_id": turn_id,
            "evaluator": body.evaluator,
            "label": body.label,
            "note": body.note,
            "reviewer": reviewer,
            "created_at": now,
        }
        new_id = conn.execute(insert(human_labels).values(**values)).inserted_primary_key[0]  # type: ignore[index]
    return HumanLabel(id=int(new_id), **values)


def export_lines(engine: Engine, start: datetime | None, end: datetime | None) -> list[str]:
    """One JSON line per human-labelled turn: the turn, its latest human labels and the judges'."""
    with engine.connect() as conn:
        humans = _human_rows(conn)
        by_turn: dict[str, list[HumanLabel]] = {}
        for h in humans:
            by_turn.setdefault(h.turn_id, []).append(h)
        stmt = select(turns).where(
            turns.c.turn_id.in_(list(by_turn)), *where_clauses(TurnFilters(start=start, end=end))
        )
        rows = conn.execute(stmt.order_by(turns.c.created_at, turns.c.turn_index)).all()
        judges: dict[str, dict[str, str]] = {}
        for r in conn.execute(select(eval_results.c.turn_id, eval_results.c.evaluator, eval_results.c.label)):
            judges.setdefault(r[0], {})[r[1]] = r[2]
    lines = []
    for row in rows:
        s = _summary(row)
        latest = latest_human(by_turn[row.turn_id])
        doc = {
            **s.model_dump(mode="json"),
            "shown": (row.record or {}).get("shown", []),
            "labels": {
                k: {"label": v.label, "note": v.note, "reviewer": v.reviewer, "at": v.created_at.isoformat()}
                for k, v in sorted(latest.items())
            },
            "judge": judges.get(row.turn_id, {}),
        }
        lines.append(json.dumps(doc, ensure_ascii=False) + "\n")
    return lines


def _ranker_models(var_dir: FsPath) -> list[dict[str, Any]]:
    out = []
    for meta in sorted((var_dir / "models").glob("*/metadata.json")):
        try:
            doc = json.loads(meta.read_text())
        except (OSError, ValueError):
            continue
        out.append(
            {
                k: doc.get(k)
                for k in ("version", "created_at", "metrics", "crosssell_metrics", "rows", "queries")
            }
        )
    return out


def dashboard(services: Any, start: datetime | None, end: datetime | None) -> Dashboard:
    conds = where_clauses(TurnFilters(start=start, end=end))
    with services.engine.connect() as conn:
        turn_rows = conn.execute(select(turns).where(*conds)).all()
        ids = [r.turn_id for r in turn_rows]
        judge_rows = conn.execute(
            select(
                eval_results.c.turn_id,
                eval_results.c.evaluator,
                eval_results.c.label,
                eval_results.c.created_at,
            )
            .where(eval_results.c.turn_id.in_(ids))
            .order_by(eval_results.c.created_at)
        ).all()
        humans = _human_rows(conn, ids)
        ratings = {
            r[0]: r[1]
            for r in conn.execute(
                select(turn_events.c.turn_id, turn_events.c.data["rating"].as_string())
                .where(turn_events.c.kind == "feedback", turn_events.c.turn_id.in_(ids))
                .order_by(turn_events.c.id)
            )
        }
    counts: dict[tuple[date, str, str], int] = {}
    judge: dict[tuple[str, str], str] = {}
    for t, ev, label, at in judge_rows:
        key = (at.date(), ev, label)
        counts[key] = counts.get(key, 0) + 1
        judge[(t, ev)] = label
    by_turn: dict[str, list[HumanLabel]] = {}
    for h in humans:
        by_turn.setdefault(h.turn_id, []).append(h)
    latest = {(t, ev): h.label for t, rows in by_turn.items() for ev, h in latest_human(rows).items()}
    pairs = [
        LabelPair(turn_id=t, evaluator=ev, judge=judge.get((t, ev)), human=lab)
        for (t, ev), lab in latest.items()
    ]
    guard, slices = [], []
    for r in turn_rows:
        rec = r.record or {}
        g = rec.get("guard") or {}
        if g.get("score") is not None:
            guard.append(
                GuardPoint(
                    turn_id=r.turn_id,
                    score=g["score"],
                    threshold=g.get("threshold"),
                    abstained=r.abstained,
                    human_refusal=latest.get((r.turn_id, "refusal")),
                )
            )
        slices.append(
            {
                "intent": r.intent,
                "backend": rec.get("versions", {}).get("extractor", "?"),
                "abstained": r.abstained,
                "latency_ms": r.latency_ms,
                "feedback": ratings.get(r.turn_id),
            }
        )
    plot = FsPath(services.settings.var_dir) / "reports" / "abstention_risk_coverage.png"
    return Dashboard(
        label_counts=[
            {"day": d.isoformat(), "evaluator": e, "label": lab, "count": n}
            for (d, e, lab), n in sorted(counts.items())
        ],
        pairs=pairs,
        guard=guard,
        slices=slices,
        ranker_models=_ranker_models(FsPath(services.settings.var_dir)),
        abstention_plot=plot.exists(),
    )
