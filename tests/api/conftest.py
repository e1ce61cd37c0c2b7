"""The real app on the real catalog: built once per test session into a temporary directory
(SQLite + Qdrant Edge), with conversation state in the real Redis."""

from __future__ import annotations

import contextlib
import json
import re
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
        transport = ShopperTransport(httpx.ASGITransport(app=with_lifespan_state(app, state or {})))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


class ShopperTransport(httpx.AsyncBaseTransport):
    """Behaves like the UI client: remembers each conversation's ``conversation_token`` (and which
    conversation each turn belongs to) and sends ``X-Conversation-Token`` on later calls about it,
    unless the test sets that header itself. Tests of access control set it (or leave it out) on
    purpose."""

    _SCOPED = re.compile(r"^/v1/(conversations|turns)/([^/]+)")

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.tokens: dict[str, str] = {}
        self.turns: dict[str, str] = {}

    def _conversation_of(self, request: httpx.Request) -> str | None:
        if m := self._SCOPED.match(request.url.path):
            return m.group(2) if m.group(1) == "conversations" else self.turns.get(m.group(2))
        if request.url.path.startswith("/v1/chat") and request.content:
            with contextlib.suppress(ValueError, AttributeError):
                return json.loads(request.content).get("conversation_id")
        return None

    def remember(self, body: bytes) -> None:
        for line in body.splitlines():
            with contextlib.suppress(ValueError):
                doc = json.loads(line)
                if isinstance(doc, dict) and doc.get("conversation_id"):
                    if doc.get("conversation_token"):
                        self.tokens[doc["conversation_id"]] = doc["conversation_token"]
                    if doc.get("turn_id"):
                        self.turns[doc["turn_id"]] = doc["conversation_id"]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        cid = self._conversation_of(request)
        if cid in self.tokens and "x-conversation-token" not in request.headers:
            request.headers["X-Conversation-Token"] = self.tokens[cid]
        response = await self.inner.handle_async_request(request)
        if request.url.path.startswith("/v1/chat") and response.status_code == 200:
            response.stream = _Sniffer(response.stream, self)  # type: ignore[arg-type]
        return response


class _Sniffer(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, keeper: ShopperTransport) -> None:
        self.inner, self.keeper, self.seen = inner, keeper, b""

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        async for chunk in self.inner:
            self.seen += chunk
            yield chunk
        self.keeper.remember(self.seen)

    async def aclose(self) -> None:
        await self.inner.aclose()
