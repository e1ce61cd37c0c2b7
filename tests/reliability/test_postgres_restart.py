"""PostgreSQL stops mid-conversation: every turn still answers 200 and none is lost.

A private PostgreSQL (``initdb`` on a free port) holds the turn log; it is really stopped while a
shopper keeps chatting, and started again. The turns written while it was down are spooled on
disk and written once, exactly once, when it returns.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from app.bootstrap import Services
from app.pipeline.log import TurnLogger
from app.pipeline.spool import SpoolingTurnLogger, TurnSpool, drain
from app.settings import Settings
from app.storage.db import create_schema, make_engine
from app.storage.schema import turns
from tests.reliability.conftest import Shopper, app_client
from tests.reliability.servers import PrivatePostgres

BEFORE = ["hoodies", "in black"]
WHILE_DOWN = ["under $50", "hello there", "show me men's jackets", "in blue", "add the first one to my cart"]


def with_turn_log(services: Services, logger: SpoolingTurnLogger) -> Services:
    return dataclasses.replace(
        services, logger=logger, pipeline=dataclasses.replace(services.pipeline, logger=logger)
    )


def stored_turn_ids(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(r[0] for r in conn.execute(select(turns.c.turn_id)))


@pytest.fixture
def pg_engine(private_pg: PrivatePostgres) -> Engine:
    engine = make_engine(private_pg.url)
    create_schema(engine)
    return engine


async def wait_until(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.2)


async def test_turns_sent_while_postgres_is_down_are_answered_and_logged_exactly_once(
    settings: Settings, services: Services, private_pg: PrivatePostgres, pg_engine: Engine, tmp_path: Path
) -> None:
    logger = SpoolingTurnLogger(pg_engine, TurnSpool(tmp_path / "spool"))
    sent: list[str] = []
    async with app_client(settings, with_turn_log(services, logger)) as client:
        shopper = Shopper(client)
        for message in BEFORE:
            r = await shopper.say(message)
            assert r.status_code == 200, r.text
            sent.append(r.json()["turn_id"])
        private_pg.stop()
        for message in WHILE_DOWN:
            r = await shopper.say(message)
            assert r.status_code == 200, r.text
            sent.append(r.json()["turn_id"])
        assert len(logger.spool) == len(WHILE_DOWN)
        private_pg.start()
        await wait_until(lambda: len(logger.spool) == 0)  # the lifespan's drainer writes them
    assert stored_turn_ids(pg_engine) == Counter(sent)
    assert len(logger.spool) == 0
    pg_engine.dispose()


async def test_the_conversation_continues_with_the_right_turn_index_after_the_outage(
    settings: Settings, services: Services, private_pg: PrivatePostgres, pg_engine: Engine, tmp_path: Path
) -> None:
    logger = SpoolingTurnLogger(pg_engine, TurnSpool(tmp_path / "spool"))
    async with app_client(settings, with_turn_log(services, logger)) as client:
        shopper = Shopper(client)
        assert (await shopper.say("hoodies")).status_code == 200
        private_pg.stop()
        assert (await shopper.say("in black")).status_code == 200
        private_pg.start()
        r = await shopper.say("under $50")
        assert r.status_code == 200
        assert r.json()["turn_index"] == 2
        await wait_until(lambda: len(logger.spool) == 0)
        transcript = await client.get(f"/v1/conversations/{shopper.conversation_id}", headers=shopper.headers)
    assert [t["message"] for t in transcript.json()["turns"]] == ["hoodies", "in black", "under $50"]
    pg_engine.dispose()


async def test_draining_a_record_that_is_already_stored_does_not_write_it_twice(
    services: Services, pg_engine: Engine, tmp_path: Path
) -> None:
    """A drainer that crashed after the commit but before deleting the file must not duplicate."""
    pipeline = dataclasses.replace(services.pipeline, logger=TurnLogger(pg_engine))
    record = (await pipeline.run("black hoodies")).record  # committed to the table
    spool = TurnSpool(tmp_path / "spool")
    spool.append(record)  # ... and still in the spool
    report = drain(spool, TurnLogger(pg_engine))
    assert (report.written, report.already, report.remaining) == (0, 1, 0)
    assert stored_turn_ids(pg_engine) == Counter([record.turn_id])
    pg_engine.dispose()


async def test_a_turn_is_refused_with_503_and_retry_after_when_database_and_spool_both_fail(
    settings: Settings, services: Services, private_pg: PrivatePostgres, pg_engine: Engine, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("the spool cannot be created here")
    logger = SpoolingTurnLogger(pg_engine, TurnSpool(blocked / "spool"))
    async with app_client(settings, with_turn_log(services, logger)) as client:
        private_pg.stop()
        r = await client.post("/v1/chat", json={"message": "hoodies"})
    assert r.status_code == 503
    assert r.headers["retry-after"] == "2"
    assert "send it again" in r.json()["detail"]
    pg_engine.dispose()
