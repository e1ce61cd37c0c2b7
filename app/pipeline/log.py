"""Log stage: every turn becomes one row of the ``turns`` table.

The row is written before the reply leaves the service and right after the conversation state
(``TurnPipeline._commit``): a turn whose state could not be written is never logged, and if the log
write fails the turn fails (the API answers 503 and the state is put back), so a shopper never sees
a turn that the product team cannot review, and the log never holds a turn no shopper saw. The whole ``TurnRecord`` is kept as JSON, with the columns the console
filters on beside it.

PII (e-mails, phone, card numbers, IBANs) is redacted from the message, the reply and the state
snapshots before the write (``app.privacy``); the kinds removed are kept in ``record.redacted``.
After the row is written the turn is published on the eval stream (``app.pipeline.publish``). A
publishing failure never fails the turn: it is logged and recorded as an ``eval_publish_failed``
event, and the eval worker's sweep labels turns that never reached the stream.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, func, insert, select

from app.domain.turn import TurnRecord
from app.pipeline.publish import TurnPublisher
from app.privacy import redact, redact_json
from app.storage.schema import turn_event, turns

log = logging.getLogger(__name__)


def redact_record(record: TurnRecord) -> TurnRecord:
    """The record as it may be stored: PII removed from every free-text field."""
    message, k1 = redact(record.message)
    reply, k2 = redact(record.reply)
    before, k3 = redact_json(record.state_before)
    after, k4 = redact_json(record.state_after)
    if not (k1 or k2 or k3 or k4):
        return record
    kinds = sorted({*record.redacted, *k1, *k2, *k3, *k4})
    update = {"state_before": before, "state_after": after, "redacted": kinds}
    return record.model_copy(update={"message": message, "reply": reply, **update})


def _row(record: TurnRecord) -> dict[str, Any]:
    """The ``turns`` row of an already redacted record."""
    return {
        "turn_id": record.turn_id,
        "conversation_id": record.conversation_id,
        "turn_index": record.turn_index,
        "created_at": record.created_at,
        "message": record.message,
        "intent": record.extraction.intent.value,
        "abstained": record.abstained,
        "latency_ms": record.latency_ms.get("total", 0.0),
        "record": record.model_dump(mode="json"),
        "explore_k": record.explore_k,
    }


def _outcome(write: Callable[[TurnRecord], None], record: TurnRecord) -> Exception | None:
    try:
        write(record)
    except Exception as exc:
        return exc
    return None


class _Failed:
    """A publisher that fails with ``exc``: records a failed batch publish turn by turn."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def publish(self, record: TurnRecord) -> None:
        raise self.exc


class TurnLogger:
    def __init__(self, engine: Engine, publisher: TurnPublisher | None = None) -> None:
        self.engine = engine
        self.publisher = publisher
        self.publish_failures = 0

    def write(self, record: TurnRecord) -> None:
        record = redact_record(record)
        with self.engine.begin() as conn:
            conn.execute(insert(turns), [_row(record)])
        if self.publisher is not None:
            self._publish(self.publisher, record)

    def write_many(self, records: Sequence[TurnRecord]) -> list[Exception | None]:
        """Write several turns in one transaction (one round trip, one commit); each record's
        outcome, in order: ``None`` when it is stored (or durably spooled, in a subclass), else
        the exception ``write`` would have raised for it.

        If the one transaction fails for any reason, nothing of it is stored and every record is
        written again on its own through ``write``, so a record the database rejects (a duplicate
        turn) fails alone, and a database outage takes each record down ``write``'s own path (the
        spool, in ``SpoolingTurnLogger``)."""
        if len(records) == 1:
            return [_outcome(self.write, records[0])]
        redacted = [redact_record(r) for r in records]
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(turns), [_row(r) for r in redacted])
        except Exception:
            return [_outcome(self.write, r) for r in records]
        if self.publisher is not None:
            self._publish_many(self.publisher, redacted)
        return [None] * len(records)

    def _publish_many(self, publisher: TurnPublisher, records: list[TurnRecord]) -> None:
        many = getattr(publisher, "publish_many", None)
        if many is None:
            for record in records:
                self._publish(publisher, record)
            return
        try:
            many(records)
        except Exception as exc:  # each turn is recorded as not published; the sweep labels them
            for record in records:
                self._publish(_Failed(exc), record)

    def _publish(self, publisher: TurnPublisher, record: TurnRecord) -> None:
        try:
            publisher.publish(record)
        except Exception as exc:
            self.publish_failures += 1
            log.warning("turn %s not published for evals: %s", record.turn_id, exc)
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        turn_event(
                            record.turn_id,
                            record.conversation_id,
                            "eval_publish_failed",
                            data={"error": f"{type(exc).__name__}: {exc}"[:500]},
                        )
                    )
            except Exception:  # the sweep still finds the turn: it has no labels
                log.exception("could not record the publish failure of turn %s", record.turn_id)

    def transcript(self, conversation_id: str) -> list[TurnRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(turns.c.record)
                .where(turns.c.conversation_id == conversation_id)
                .order_by(turns.c.turn_index)
            )
            return [TurnRecord.model_validate(r[0]) for r in rows]

    def get(self, turn_id: str) -> TurnRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(turns.c.record).where(turns.c.turn_id == turn_id)).first()
        return TurnRecord.model_validate(row[0]) if row else None

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(turns)).scalar_one())
