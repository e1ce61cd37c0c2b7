"""Fixtures for fault tests: private servers and an app whose components point at them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest

from app.api.main import create_app
from app.bootstrap import Services
from app.settings import Settings
from tests.api.conftest import with_lifespan_state
from tests.reliability.servers import PrivatePostgres, PrivateRedis


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    pg.init()
    pg.start()
    yield pg
    pg.cleanup()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    r = PrivateRedis(appendonly=True)
    r.start()
    yield r
    r.cleanup()


@asynccontextmanager
async def app_client(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on ``create_app`` over ``services``, lifespan (and its spool drainer) running."""
    app = create_app(settings, services=services)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=with_lifespan_state(app, state or {}), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as c:
            yield c


class Shopper:
    """One conversation through the API: remembers its id and its access token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.conversation_id: str | None = None
        self.token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Conversation-Token": self.token} if self.token else {}

    async def say(self, message: str) -> httpx.Response:
        body: dict[str, str] = {"message": message}
        if self.conversation_id:
            body["conversation_id"] = self.conversation_id
        r = await self.client.post("/v1/chat", json=body, headers=self.headers)
        if r.status_code == 200:
            data = r.json()
            self.conversation_id = data["conversation_id"]
            self.token = data.get("conversation_token") or self.token
        return r
