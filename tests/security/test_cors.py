"""CORS comes only from configuration: no origins (the default) → no CORS headers at all; listed
origins get them, others do not."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.bootstrap import Services
from app.settings import Settings
from tests.security.edge import RunningApp, running_app

SHOP = "https://shop.example"
EVIL = "https://evil.example"


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-conversation-token",
    }


@pytest.fixture
async def edge(settings: Settings, services: Services) -> AsyncIterator[RunningApp]:
    async with running_app(settings, services, cors_origins=[SHOP], rate_limit_enabled=False) as running:
        yield running


async def test_an_allowed_origin_gets_cors_headers(edge: RunningApp) -> None:
    r = await edge.request("GET", "/healthz", headers={"Origin": SHOP})
    assert r.headers["access-control-allow-origin"] == SHOP


async def test_a_disallowed_origin_gets_no_cors_headers(edge: RunningApp) -> None:
    r = await edge.request("GET", "/healthz", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in r.headers


async def test_a_preflight_from_an_allowed_origin_allows_the_token_header(edge: RunningApp) -> None:
    r = await edge.request("OPTIONS", "/v1/chat", headers=preflight(SHOP))
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == SHOP
    assert "X-Conversation-Token" in r.headers["access-control-allow-headers"]
    assert set(r.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}


async def test_a_preflight_from_a_disallowed_origin_is_refused(edge: RunningApp) -> None:
    r = await edge.request("OPTIONS", "/v1/chat", headers=preflight(EVIL))
    assert r.status_code == 400
    assert "access-control-allow-origin" not in r.headers


async def test_no_cors_headers_when_no_origins_are_configured(settings: Settings, services: Services) -> None:
    async with running_app(settings, services, rate_limit_enabled=False) as running:
        r = await running.request("GET", "/healthz", headers={"Origin": SHOP})
    assert settings.cors_origins == []
    assert "access-control-allow-origin" not in r.headers
