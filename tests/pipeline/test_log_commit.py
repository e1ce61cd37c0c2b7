"""Group commit of the turn log: turns that finish together share a transaction, and each turn is
still answered only once its own row is stored."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import IntegrityError

from app.domain.turn import TurnRecord
from app.pipeline.log import TurnLogger
from app.pipeline.log_commit import GroupCommit
from app.storage.db import create_schema, make_engine
from tests.pipeline.test_log import record


@pytest.fixture
def logger(db_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    create_schema(engine)
    yield TurnLogger(engine)
    engine.dispose()


def stored(logger: TurnLogger, cid: str) -> list[str]:
    return [r.turn_id for r in logger.transcript(cid)]


async def test_a_lone_turn_is_stored_before_write_returns(logger: TurnLogger) -> None:
    commits = GroupCommit(logger)
    await commits.write(record("t_gc_alone", 0, cid="c_gc_alone"))
    assert stored(logger, "c_gc_alone") == ["t_gc_alone"]
    assert (commits.batches, commits.records) == (1, 1)


async def test_concurrent_turns_share_transactions_and_every_one_is_stored(logger: TurnLogger) -> None:
    commits = GroupCommit(logger)
    await asyncio.gather(*(commits.write(record(f"t_gc{i:02d}", i, cid="c_gc_many")) for i in range(40)))
    assert stored(logger, "c_gc_many") == [f"t_gc{i:02d}" for i in range(40)]
    assert commits.records == 40
    assert commits.batches < 40  # the turns that queued during a write went in the next one together


async def test_a_rejected_turn_fails_alone_and_the_rest_of_its_batch_is_stored(logger: TurnLogger) -> None:
    logger.write(record("t_gc_taken", 0, cid="c_gc_dup"))
    commits = GroupCommit(logger)
    outcomes = await asyncio.gather(
        commits.write(record("t_gc_ok1", 1, cid="c_gc_dup")),
        commits.write(record("t_gc_clash", 0, cid="c_gc_dup")),  # the position t_taken holds
        commits.write(record("t_gc_ok2", 2, cid="c_gc_dup")),
        return_exceptions=True,
    )
    assert [type(o) for o in outcomes] == [type(None), IntegrityError, type(None)]
    assert stored(logger, "c_gc_dup") == ["t_gc_taken", "t_gc_ok1", "t_gc_ok2"]


async def test_flush_waits_for_every_queued_turn(logger: TurnLogger) -> None:
    commits = GroupCommit(logger)
    pending = [
        asyncio.ensure_future(commits.write(record(f"t_gcq{i}", i, cid="c_gc_flush"))) for i in range(10)
    ]
    await asyncio.sleep(0)  # queued, not yet written
    await commits.flush()
    assert stored(logger, "c_gc_flush") == [f"t_gcq{i}" for i in range(10)]
    assert all(p.done() and p.exception() is None for p in pending)


async def test_a_cancelled_waiter_does_not_cancel_its_write(logger: TurnLogger) -> None:
    commits = GroupCommit(logger)
    waiter = asyncio.ensure_future(commits.write(record("t_gc_gone", 0, cid="c_gc_cancel")))
    await asyncio.sleep(0)
    waiter.cancel()
    await commits.flush()
    assert stored(logger, "c_gc_cancel") == ["t_gc_gone"]


class OnlyWrite:
    """A logger with ``write`` alone (the test fakes): written one by one, in order."""

    def __init__(self) -> None:
        self.records: list[TurnRecord] = []

    def write(self, rec: TurnRecord) -> None:
        self.records.append(rec)


async def test_a_logger_without_write_many_is_written_record_by_record() -> None:
    fake = OnlyWrite()
    commits = GroupCommit(fake)
    await asyncio.gather(*(commits.write(record(f"t_{i}", i)) for i in range(5)))
    assert [r.turn_id for r in fake.records] == [f"t_{i}" for i in range(5)]
