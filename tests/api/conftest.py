"""The real app on the real catalog: built once per test session into a temporary directory
(SQLite + Qdrant Edge), with conversation state in the real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.api.main import create_app
from app.bootstrap import Services
from app.settings import Settings


def with_lifespan_state(app: FastAPI, state: dict[str, Any]):  # type: ignore[no-untyped-def]
    """What an ASGI server does: hand the lifespan's state to every request scope."""

    async def asgi(scope, receive, send):  # type: ignore[no-untyped-def]
        scope["state"] = dict(state)
        await app(scope, receive, send)

    return asgi


@pytest.fixture
async def client(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, services=services)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=with_lifespan_state(app, state or {}))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c
