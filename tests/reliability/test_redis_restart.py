"""Redis stops mid-conversation: a clear 503 with Retry-After, never a 500; after it restarts the
conversation continues where it was (the private Redis runs with ``appendonly yes``, as production
should — AOF or a replica — so conversation state survives a restart)."""

from __future__ import annotations

import dataclasses

from redis.asyncio import Redis

from app.bootstrap import Services
from app.pipeline.state_store import RedisStateStore
from app.settings import Settings
from tests.reliability.conftest import Shopper, app_client
from tests.reliability.servers import PrivateRedis


def with_state_on(services: Services, redis_url: str) -> Services:
    store = RedisStateStore(Redis.from_url(redis_url), ttl_seconds=3600)
    return dataclasses.replace(
        services, state=store, pipeline=dataclasses.replace(services.pipeline, store=store)
    )


async def test_a_turn_while_redis_is_down_gets_503_with_retry_after(
    settings: Settings, services: Services, private_redis: PrivateRedis
) -> None:
    async with app_client(settings, with_state_on(services, private_redis.url)) as client:
        shopper = Shopper(client)
        assert (await shopper.say("hoodies")).status_code == 200
        private_redis.stop()
        r = await shopper.say("in black")
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    assert "temporarily unavailable" in r.json()["detail"]


async def test_a_new_conversation_while_redis_is_down_gets_503_not_500(
    settings: Settings, services: Services, private_redis: PrivateRedis
) -> None:
    private_redis.stop()
    async with app_client(settings, with_state_on(services, private_redis.url)) as client:
        r = await client.post("/v1/chat", json={"message": "hello"})
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"


async def test_the_conversation_continues_with_its_filters_after_redis_restarts(
    settings: Settings, services: Services, private_redis: PrivateRedis
) -> None:
    async with app_client(settings, with_state_on(services, private_redis.url)) as client:
        shopper = Shopper(client)
        assert (await shopper.say("women's hoodies")).status_code == 200
        assert (await shopper.say("in black")).status_code == 200
        private_redis.stop()
        assert (await shopper.say("under $60")).status_code == 503
        private_redis.start()
        r = await shopper.say("under $60")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["turn_index"] == 2
    assert (body["filters"]["color"], body["filters"]["gender"], body["filters"]["price_max"]) == (
        "black",
        "women",
        60.0,
    )
