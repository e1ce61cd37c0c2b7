"""200 shoppers check out at once for the last 5 units of one variant, on the real PostgreSQL, through
two API workers (issue 17).

The two workers are two apps in this process, each with its *own* services: its own PostgreSQL
connection pool, order service, turn logger and Redis client — what two uvicorn workers have. They
share only what real workers share: the PostgreSQL database and Redis. (The same scenario against
two real worker processes is the ``LastUnitsShopper`` task of the load test, infra/loadtest.)

Every shopper first starts a conversation and puts one unit of the variant in the cart (with stock
still plentiful), then the stock is set to 5 and all 200 "checkout" chat turns are sent at once,
alternating between the workers.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from redis.asyncio import Redis
from sqlalchemy import func, select

from app.api.main import create_app
from app.bootstrap import Services
from app.catalog.inventory import InventoryStore, StockRow
from app.catalog.store import CatalogStore
from app.pipeline.log import TurnLogger
from app.pipeline.orders import OrderService
from app.pipeline.state_store import RedisStateStore
from app.settings import Settings
from app.storage.db import create_schema, make_engine
from app.storage.schema import inventory, orders, turns
from tests.api.conftest import with_lifespan_state

SHOPPERS = 200
UNITS = 5


def worker_services(services: Services, pg_url: str, redis_url: str) -> Services:
    """One worker's own services on PostgreSQL, sharing the built catalog snapshot and index."""
    engine = make_engine(pg_url)
    state = RedisStateStore(Redis.from_url(redis_url), ttl_seconds=3600)
    logger = TurnLogger(engine)
    order_service = OrderService(engine, services.settings.currency)
    pipeline = dataclasses.replace(services.pipeline, store=state, logger=logger, orders=order_service)
    return dataclasses.replace(
        services, engine=engine, state=state, logger=logger, orders=order_service, pipeline=pipeline
    )


@asynccontextmanager
async def worker(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, services=services)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=with_lifespan_state(app, state or {}))
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=120) as client:
            yield client


async def test_200_concurrent_checkouts_for_the_last_5_units_place_exactly_5_orders(
    settings: Settings, services: Services, pg_url: str, redis_url: str
) -> None:
    engine = make_engine(pg_url)
    create_schema(engine)
    product = next(p for p in services.catalog.all() if len(p.variants) >= 2 and p.sizes and p.colors)
    variant = product.variants[0]
    CatalogStore(engine).upsert([product])
    stock = InventoryStore(engine)
    stock.ingest([StockRow(sku=variant.sku, qty=SHOPPERS)], [product])

    workers = [worker_services(services, pg_url, redis_url) for _ in range(2)]
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(worker(settings, w)) for w in workers]

        async def prepare(i: int) -> tuple[str, dict[str, str]]:
            client = clients[i % 2]
            hello = (await client.post("/v1/chat", json={"message": "hello"})).json()
            cid, auth = hello["conversation_id"], {"X-Conversation-Token": hello["conversation_token"]}
            body = {"product_id": product.id, "size": variant.size, "color": variant.color}
            added = await client.post(f"/v1/conversations/{cid}/cart", json=body, headers=auth)
            assert added.status_code == 201, added.text
            return cid, auth

        shoppers = await asyncio.gather(*(prepare(i) for i in range(SHOPPERS)))
        stock.set_qty(variant.sku, UNITS)

        async def check_out(i: int) -> httpx.Response:
            cid, auth = shoppers[i]
            body = {"message": "checkout", "conversation_id": cid}
            return await clients[(i + 1) % 2].post("/v1/chat", json=body, headers=auth)

        answers = await asyncio.gather(*(check_out(i) for i in range(SHOPPERS)))
        for w in workers:
            await w.state.close()
            w.engine.dispose()

    assert [r.status_code for r in answers] == [200] * SHOPPERS
    bodies = [r.json() for r in answers]
    placed = [b for b in bodies if b["order"] is not None]
    refused = [b for b in bodies if b["order"] is None]
    assert len(placed) == UNITS
    assert all(
        b["reply"].startswith(f"Sorry — {product.name} is sold out. Nothing was ordered") for b in refused
    )
    assert all(b["cart"] == [] for b in refused)  # the sold-out line left the cart

    cids = [cid for cid, _ in shoppers]
    with engine.connect() as conn:
        rows = conn.execute(
            select(orders.c.conversation_id, orders.c.lines).where(orders.c.conversation_id.in_(cids))
        )
        by_conversation = [r[0] for r in rows]
        left = conn.execute(select(inventory.c.qty).where(inventory.c.sku == variant.sku)).scalar_one()
        logged = conn.execute(
            select(func.count())
            .select_from(turns)
            .where(turns.c.conversation_id.in_(cids), turns.c.intent == "checkout")
        ).scalar_one()
    assert len(by_conversation) == UNITS and len(set(by_conversation)) == UNITS  # no duplicate orders
    assert sorted(by_conversation) == sorted(b["conversation_id"] for b in placed)
    assert left == 0  # and the CHECK (qty >= 0) constraint makes a negative count impossible
    assert logged == sum(r.status_code == 200 for r in answers)  # turns answered = turns logged
    engine.dispose()
