"""Eval and human labels as Phoenix span annotations on the turn's span.

Each label in ``eval_results`` (CODE, LLM and CLASSIFIER evaluators, online worker or
``ctp evals run``) and in ``human_labels`` (the review console) is posted once as an annotation
on the root span of its turn (``TurnRecord.span_id``): name = the evaluator, label, score (1.0 for
the good label of ``LABELS``, 0.0 for the problem label), explanation, annotator kind CODE / LLM /
HUMAN (a trained classifier is CODE: no model judged in words).

Why an outbox rather than posting inline: posting must never cost a turn or a label. The SQL rows
are the truth; ``phoenix_annotations`` records which of them Phoenix has. ``export_pending`` posts
the labels not yet there, in batches, and records them only after Phoenix answered — Phoenix down
means they stay pending and the next call (the eval worker calls it every loop) retries them.
Posting is idempotent on Phoenix's side too: an annotation is unique per (name, span,
``identifier``) and a re-post updates it, so a crash between post and record duplicates nothing.
The identifier is the backend and version for judges (several judges may label one question) and
``human`` for reviewers (a correction replaces the earlier verdict; the SQL history keeps both).
Turns traced with no span (tracing off) have nothing to annotate and are skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, cast

from sqlalchemy import Engine, and_, insert, select

from app.domain.labels import LABELS
from app.privacy import redact
from app.storage.schema import eval_results, human_labels, phoenix_annotations, turns

log = logging.getLogger(__name__)

AnnotatorKind = Literal["CODE", "LLM", "HUMAN"]
KIND_OF_BACKEND: dict[str, AnnotatorKind] = {"CODE": "CODE", "LLM": "LLM", "CLASSIFIER": "CODE"}


class SpanAnnotator(Protocol):
    """What ``export_pending`` needs of Phoenix: post span annotations, raise when it could not."""

    def post(self, annotations: list[dict[str, Any]]) -> None: ...


@dataclass(frozen=True)
class PendingLabel:
    source: str  # eval | human
    source_id: int
    turn_id: str
    span_id: str
    name: str
    label: str
    explanation: str
    annotator_kind: AnnotatorKind
    identifier: str

    def payload(self) -> dict[str, Any]:
        result: dict[str, Any] = {"label": self.label}
        if (score := label_score(self.name, self.label)) is not None:
            result["score"] = score
        if self.explanation:
            result["explanation"] = redact(self.explanation)[0][:2000]
        return {
            "name": self.name,
            "span_id": self.span_id,
            "annotator_kind": self.annotator_kind,
            "identifier": self.identifier,
            "result": result,
            "metadata": {"turn_id": self.turn_id, "source": self.source},
        }


def label_score(evaluator: str, label: str) -> float | None:
    """1.0 for the good label of an evaluator, 0.0 for its problem label, None for any other."""
    problem, good = LABELS.get(evaluator, (None, None))
    return 1.0 if label == good else 0.0 if label == problem else None


def pending(engine: Engine, limit: int) -> list[PendingLabel]:
    """Labels of traced turns not yet posted, oldest first: judges' labels, then reviewers'."""
    out: list[PendingLabel] = []
    with engine.connect() as conn:
        for source, table in (("eval", eval_results), ("human", human_labels)):
            posted = and_(
                phoenix_annotations.c.source == source, phoenix_annotations.c.source_id == table.c.id
            )
            rows = conn.execute(
                select(table, turns.c.record)
                .join(turns, turns.c.turn_id == table.c.turn_id)
                .outerjoin(phoenix_annotations, posted)
                # Only traced turns: untraced ones (Phoenix off when they ran) can never be posted,
                # and left in the window they would starve every later label of its batch.
                .where(phoenix_annotations.c.source_id.is_(None), turns.c.record["span_id"].as_string() != "")
                .order_by(table.c.id)
                .limit(limit - len(out))
            ).mappings()
            for r in rows:
                span_id = (r["record"] or {}).get("span_id")
                if not span_id:
                    continue
                human = source == "human"
                out.append(
                    PendingLabel(
                        source=source,
                        source_id=int(r["id"]),
                        turn_id=r["turn_id"],
                        span_id=span_id,
                        name=r["evaluator"],
                        label=r["label"],
                        explanation=r["note"] if human else r["explanation"],
                        annotator_kind="HUMAN" if human else KIND_OF_BACKEND.get(r["backend"], "CODE"),
                        identifier="human" if human else f"{r['backend'].lower()}@{r['evaluator_version']}",
                    )
                )
            if len(out) >= limit:
                break
    return out


def mark_posted(engine: Engine, labels: Sequence[PendingLabel]) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for lab in labels:
            done = select(phoenix_annotations.c.source_id).where(
                phoenix_annotations.c.source == lab.source, phoenix_annotations.c.source_id == lab.source_id
            )
            if conn.execute(done).first() is None:
                conn.execute(
                    insert(phoenix_annotations).values(
                        source=lab.source, source_id=lab.source_id, turn_id=lab.turn_id, posted_at=now
                    )
                )


def export_pending(engine: Engine, annotator: SpanAnnotator, batch: int = 200, max_batches: int = 20) -> int:
    """Post pending labels; the number posted. Never raises: Phoenix down, a span Phoenix has not
    ingested yet — the batch stays pending and is retried on the next call."""
    posted = 0
    for _ in range(max_batches):
        todo = pending(engine, batch)
        if not todo:
            break
        try:
            annotator.post([lab.payload() for lab in todo])
        except Exception as exc:
            log.warning(
                "phoenix: %d annotations left pending: %s", len(todo), f"{type(exc).__name__}: {exc}"[:300]
            )
            break
        mark_posted(engine, todo)
        posted += len(todo)
    return posted


class PhoenixAnnotator:
    """``SpanAnnotator`` over the Phoenix client (``arize-phoenix-client``), synchronous posts so
    a failure raises here rather than being lost in Phoenix's queue."""

    def __init__(self, base_url: str, timeout_s: float = 5.0) -> None:
        import httpx
        from phoenix.client import Client

        self.client = Client(
            base_url=base_url, http_client=httpx.Client(base_url=base_url, timeout=timeout_s)
        )

    def post(self, annotations: list[dict[str, Any]]) -> None:
        self.client.spans.log_span_annotations(span_annotations=cast(Any, annotations), sync=True)


def phoenix_annotator(base_url: str | None, enabled: bool = True) -> SpanAnnotator | None:
    """The annotator for Phoenix at ``base_url``, or None when Phoenix is off or has no URL."""
    if not enabled or not base_url:
        return None
    return PhoenixAnnotator(base_url)
