"""The turn log on both SQL backends, and what happens when it cannot be written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from app.domain.turn import GuardDecision, Intent, ShoppingTurn, TurnRecord
from app.pipeline.log import TurnLogger
from app.storage.db import create_schema, make_engine


def record(turn_id: str, index: int, cid: str = "c_log") -> TurnRecord:
    return TurnRecord(
        turn_id=turn_id,
        conversation_id=cid,
        turn_index=index,
        created_at=datetime(2026, 11, 26, 12, 0, index, tzinfo=UTC),
        message=f"message {index}",
        extraction=ShoppingTurn(intent=Intent.search, query="hoodies"),
        state_before={},
        state_after={"query": "hoodies"},
        guard=GuardDecision(abstain=False, score=0.61, threshold=0.4, method="nn-cosine", version="g1"),
        candidates=[],
        shown=["magento:MH01"],
        reply="Here is a hoodie.",
        abstained=False,
        latency_ms={"total": 12.5},
        versions={"code": "abc"},
    )


def test_records_round_trip_in_order(db_url: str) -> None:
    engine = make_engine(db_url)
    create_schema(engine)
    logger = TurnLogger(engine)
    logger.write(record("t_b", 1))
    logger.write(record("t_a", 0))
    got = logger.transcript("c_log")
    assert [r.turn_id for r in got] == ["t_a", "t_b"]
    assert got[1] == record("t_b", 1)
    engine.dispose()


def test_a_second_turn_at_the_same_position_is_rejected(db_url: str) -> None:
    engine = make_engine(db_url)
    create_schema(engine)
    logger = TurnLogger(engine)
    logger.write(record("t_first", 0, cid="c_dup"))
    with pytest.raises(IntegrityError):
        logger.write(record("t_second", 0, cid="c_dup"))
    assert [r.turn_id for r in logger.transcript("c_dup")] == ["t_first"]
    engine.dispose()
