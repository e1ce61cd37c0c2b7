"""Conversation state in the real Redis: round trip, TTL, and the cross-worker lock."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from app.domain.turn import CartLine, ConversationState, Filters
from app.pipeline.state_store import ConversationBusy, MemoryStateStore, RedisStateStore


@pytest.fixture
async def store(redis_url: str):
    s = RedisStateStore(Redis.from_url(redis_url), ttl_seconds=60, prefix=f"test:{uuid.uuid4().hex[:8]}:")
    yield s
    await s.close()


async def test_state_round_trips_through_redis(store: RedisStateStore) -> None:
    state = ConversationState(
        conversation_id="c_round_trip",
        query="hoodies",
        filters=Filters(category="hoodies", color="black", price_max=50),
        last_results=["magento:MH01"],
        cart=[
            CartLine(
                product_id="magento:MH01", name="Chaz Kangeroo Hoodie", sku="MH01-M-Black", unit_price=52
            )
        ],
        turns=3,
    )
    await store.put(state)
    assert await store.get("c_round_trip") == state


async def test_unknown_conversation_is_none(store: RedisStateStore) -> None:
    assert await store.get("c_never_seen") is None


async def test_state_expires_with_the_configured_ttl(store: RedisStateStore) -> None:
    await store.put(ConversationState(conversation_id="c_ttl"))
    ttl = await store.redis.ttl(store._key("c_ttl"))
    assert 0 < ttl <= 60


async def test_lock_serialises_two_turns_of_one_conversation(store: RedisStateStore) -> None:
    order: list[str] = []

    async def turn(name: str) -> None:
        async with store.lock("c_lock"):
            order.append(f"{name}-in")
            await asyncio.sleep(0.05)
            order.append(f"{name}-out")

    await asyncio.gather(turn("a"), turn("b"))
    assert order in (["a-in", "a-out", "b-in", "b-out"], ["b-in", "b-out", "a-in", "a-out"])


async def test_lock_gives_up_with_conversation_busy(store: RedisStateStore) -> None:
    async with store.lock("c_busy"):
        with pytest.raises(ConversationBusy):
            async with store.lock("c_busy", timeout_s=0.1):
                pass


async def test_memory_store_is_marked_unshared() -> None:
    store = MemoryStateStore()
    await store.put(ConversationState(conversation_id="c_mem"))
    assert store.shared is False
    assert (await store.get("c_mem")) == ConversationState(conversation_id="c_mem")
