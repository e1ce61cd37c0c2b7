"""A real app (``create_app`` over the session's services) with its lifespan running, reachable
from any client address: what the rate-limit, body-limit and CORS tests send requests to."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from app.api.main import create_app
from app.api.ratelimit import RateLimiter
from app.bootstrap import Services
from app.settings import Settings
from tests.api.conftest import with_lifespan_state


class RunningApp:
    def __init__(self, app: FastAPI, state: dict[str, Any]) -> None:
        self.app = app
        self.asgi = with_lifespan_state(app, state)
        self.limiter: RateLimiter | None = state.get("rate_limiter")

    async def request(self, method: str, path: str, ip: str = "127.0.0.1", **kw: Any) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.asgi, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.request(method, path, **kw)


@asynccontextmanager
async def running_app(settings: Settings, services: Services, **overrides: Any) -> AsyncIterator[RunningApp]:
    """``settings`` with ``overrides`` (rate limiting on, a key prefix of its own)."""
    update = {
        "rate_limit_enabled": True,
        "rate_limit_key_prefix": f"ctp:rl:test:{uuid.uuid4().hex}:",
        **overrides,
    }
    app = create_app(settings.model_copy(update=update), services=services)
    async with app.router.lifespan_context(app) as state:
        yield RunningApp(app, dict(state or {}))
