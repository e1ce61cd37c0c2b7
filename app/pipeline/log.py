"""Log stage: every turn becomes one row of the ``turns`` table.

The row is written before the reply leaves the service; if the write fails the turn fails (the API
answers 503 and the conversation state is not advanced), so a shopper never sees a turn that the
product team cannot review. The whole ``TurnRecord`` is kept as JSON, with the columns the console
filters on beside it.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, insert, select

from app.domain.turn import TurnRecord
from app.storage.schema import turns


class TurnLogger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write(self, record: TurnRecord) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(turns).values(
                    turn_id=record.turn_id,
                    conversation_id=record.conversation_id,
                    turn_index=record.turn_index,
                    created_at=record.created_at,
                    message=record.message,
                    intent=record.extraction.intent.value,
                    abstained=record.abstained,
                    latency_ms=record.latency_ms.get("total", 0.0),
                    record=record.model_dump(mode="json"),
                )
            )

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
