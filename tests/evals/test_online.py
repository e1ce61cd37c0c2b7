"""Online evals end to end on the real Redis and database: a small simulated day goes through the
API, every turn is published, the worker labels it; and the failure paths (publish failure, poison
entries) still end with every turn labelled or dead-lettered."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import select

from app.bootstrap import Services
from app.pipeline.publish import RedisStreamPublisher
from app.storage.schema import turn_events
from evals.online import EvalWorker, status
from evals.simulate import simulate
from evals.specs import make_specs
from evals.store import results_for


@pytest.fixture
def stream(services: Services, redis_url: str) -> Iterator[str]:
    """A fresh stream for this test, published to by the real log stage."""
    name = f"ctp:test:{uuid.uuid4().hex[:8]}"
    old = services.logger.publisher
    services.logger.publisher = RedisStreamPublisher(redis_url, name, 10_000)
    yield name
    services.logger.publisher = old
    r = redis.Redis.from_url(redis_url)
    r.delete(name, f"{name}:dead", f"{name}:errors")


def make_worker(services: Services, redis_url: str, stream: str, **kw: object) -> EvalWorker:
    return EvalWorker(
        redis=redis.Redis.from_url(redis_url),
        engine=services.engine,
        catalog=services.catalog,
        specs=make_specs(services.settings, services.encoder),
        stream=stream,
        group="evals",
        **kw,  # type: ignore[arg-type]
    )


async def test_a_simulated_day_leaves_no_turn_without_every_label(
    services: Services, redis_url: str, stream: str
) -> None:
    report = await simulate(services, conversations=12, seed=3)
    assert report.errors == [] and report.turns >= 24
    assert set(report.personas) >= {"out_of_scope", "adversarial"}
    r = redis.Redis.from_url(redis_url)
    assert r.xlen(stream) == report.turns
    worker = make_worker(services, redis_url, stream)
    worker.ensure_group()
    while worker.read_new(block_ms=100):
        pass
    expected = {(s.name, s.backend.value, s.version) for s in worker.specs}
    by_turn: dict[str, set[tuple[str, str, str]]] = {t: set() for t in report.turn_ids}
    for res in results_for(services.engine, report.turn_ids):
        by_turn[res.turn_id].add((res.evaluator, res.backend.value, res.evaluator_version))
    assert {t: expected - got for t, got in by_turn.items() if expected - got} == {}
    st = status(r, services.engine, stream, "evals")
    assert (st.length, st.pending, st.lag) == (report.turns, 0, 0)


async def test_a_turn_whose_publish_failed_is_recorded_and_labelled_by_the_sweep(
    services: Services, redis_url: str, stream: str
) -> None:
    services.logger.publisher = RedisStreamPublisher("redis://127.0.0.1:1/0", stream, 100)
    result = await services.pipeline.run("women's jackets")  # the turn itself succeeds
    with services.engine.connect() as conn:
        kinds = [
            k
            for (k,) in conn.execute(
                select(turn_events.c.kind).where(turn_events.c.turn_id == result.record.turn_id)
            )
        ]
    assert kinds == ["eval_publish_failed"]
    worker = make_worker(services, redis_url, stream)
    worker.sweep()
    labelled = {(x.evaluator, x.backend.value) for x in results_for(services.engine, [result.record.turn_id])}
    assert labelled == {(s.name, s.backend.value) for s in worker.specs}


def test_an_entry_that_keeps_failing_is_dead_lettered_after_max_attempts(
    services: Services, redis_url: str, stream: str
) -> None:
    r = redis.Redis.from_url(redis_url)
    worker = make_worker(services, redis_url, stream, max_attempts=2, min_idle_ms=0)
    worker.ensure_group()
    r.xadd(stream, {"turn_id": "t_missing", "conversation_id": "c_x", "created_at": "2026-11-26T00:00:00Z"})
    assert worker.read_new(block_ms=100) == 0  # delivery 1 fails, stays pending
    assert worker.retry_stale() == 0  # delivery 2 fails
    worker.retry_stale()  # delivery 3 > max_attempts → dead letter
    assert r.xlen(f"{stream}:dead") == 1
    [(_, fields)] = r.xrange(f"{stream}:dead")
    assert fields[b"turn_id"] == b"t_missing" and b"LookupError" in fields[b"error"]
    assert status(r, services.engine, stream, "evals").pending == 0
