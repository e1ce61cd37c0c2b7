"""Request bodies over ``max_body_bytes`` get a 413 before any route (or JSON parser) sees them —
whether the size is declared in Content-Length or only known by counting a chunked body."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from fastapi import Request

from app.bootstrap import Services
from app.settings import Settings
from tests.security.edge import RunningApp, running_app

LIMIT = 1024


@pytest.fixture
async def edge(settings: Settings, services: Services) -> AsyncIterator[tuple[RunningApp, list[int]]]:
    """The app plus a probe route that records the size of every body it receives."""
    async with running_app(settings, services, max_body_bytes=LIMIT, rate_limit_enabled=False) as running:
        seen: list[int] = []

        @running.app.post("/v1/probe")
        async def probe(request: Request) -> dict[str, int]:
            seen.append(len(await request.body()))
            return {"bytes": seen[-1]}

        yield running, seen


async def chunks(total: int, size: int = 256) -> AsyncIterator[bytes]:
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


async def test_a_declared_oversized_body_is_413_without_reaching_the_route(
    edge: tuple[RunningApp, list[int]],
) -> None:
    running, seen = edge
    r = await running.request("POST", "/v1/probe", content=b"x" * (LIMIT + 1))
    assert r.status_code == 413
    assert r.json() == {"detail": f"request body too large: the limit is {LIMIT} bytes"}
    assert seen == []


async def test_a_chunked_oversized_body_is_413_without_reaching_the_route(
    edge: tuple[RunningApp, list[int]],
) -> None:
    running, seen = edge
    r = await running.request("POST", "/v1/probe", content=chunks(LIMIT + 100))
    assert r.status_code == 413
    assert seen == []


async def test_a_body_of_exactly_the_limit_reaches_the_route_whole(
    edge: tuple[RunningApp, list[int]],
) -> None:
    running, seen = edge
    r = await running.request("POST", "/v1/probe", content=chunks(LIMIT))
    assert r.status_code == 200
    assert seen == [LIMIT]


async def test_an_oversized_chat_turn_is_413_before_json_parsing(edge: tuple[RunningApp, list[int]]) -> None:
    running, _ = edge
    body = json.dumps({"message": "black hoodies " + " " * LIMIT})  # short message, padded body
    r = await running.request("POST", "/v1/chat", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert "request body too large" in r.json()["detail"]


async def test_a_chat_turn_under_the_limit_is_answered(edge: tuple[RunningApp, list[int]]) -> None:
    running, _ = edge
    r = await running.request("POST", "/v1/chat", json={"message": "black hoodies"})
    assert r.status_code == 200
    assert r.json()["conversation_id"]
