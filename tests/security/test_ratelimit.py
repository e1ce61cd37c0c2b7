"""Rate limits per client IP and per conversation token (``app.api.ratelimit``), counted in the
real Redis (db 15, a key prefix per test): the request after the budget is a 429 with Retry-After,
budgets are separate, they reset with the window, and a Redis outage lets requests through."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator

import pytest

from app.api.ratelimit import client_ip, retry_after
from app.api.security import TOKEN_HEADER
from app.bootstrap import Services
from app.settings import Settings
from tests.reliability.servers import free_port
from tests.security.edge import RunningApp, running_app

SCOPED = "/v1/conversations/c-0123456789abcdef"  # no token → 401, a token → 404: both cheap, both counted
WINDOW_S = 2


async def fresh_window() -> None:
    """Start at the beginning of a window so a burst of requests never straddles two."""
    now = time.time()
    await asyncio.sleep(math.ceil(now / WINDOW_S) * WINDOW_S - now + 0.02)


@pytest.fixture
async def edge(settings: Settings, services: Services) -> AsyncIterator[RunningApp]:
    async with running_app(
        settings,
        services,
        rate_limit_per_ip_per_min=3,
        rate_limit_per_token_per_min=2,
        rate_limit_window_s=WINDOW_S,
    ) as running:
        await fresh_window()
        yield running


async def test_the_request_after_the_ip_budget_is_429_with_retry_after(edge: RunningApp) -> None:
    statuses = [(await edge.request("GET", SCOPED)).status_code for _ in range(3)]
    refused = await edge.request("GET", SCOPED)
    assert statuses == [401, 401, 401]
    assert refused.status_code == 429
    assert "per-IP" in refused.json()["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW_S


async def test_another_ip_has_its_own_budget(edge: RunningApp) -> None:
    for _ in range(4):
        await edge.request("GET", SCOPED, ip="10.0.0.1")
    assert (await edge.request("GET", SCOPED, ip="10.0.0.1")).status_code == 429
    assert (await edge.request("GET", SCOPED, ip="10.0.0.2")).status_code == 401


async def test_the_request_after_the_token_budget_is_429_even_from_new_ips(edge: RunningApp) -> None:
    token = {TOKEN_HEADER: "token-of-a-busy-shopper-0123456789"}
    first = [(await edge.request("GET", SCOPED, ip=f"10.1.0.{i}", headers=token)).status_code for i in (1, 2)]
    refused = await edge.request("GET", SCOPED, ip="10.1.0.3", headers=token)
    assert first == [404, 404]
    assert refused.status_code == 429
    assert "per-conversation-token" in refused.json()["detail"]


async def test_another_token_has_its_own_budget(edge: RunningApp) -> None:
    one = [
        (await edge.request("GET", SCOPED, ip=f"10.2.0.{i}", headers={TOKEN_HEADER: "token-one-0123456789"}))
        for i in range(3)
    ]
    assert [r.status_code for r in one] == [404, 404, 429]
    other = await edge.request("GET", SCOPED, ip="10.2.0.9", headers={TOKEN_HEADER: "token-two-0123456789"})
    assert other.status_code == 404


async def test_the_budget_resets_when_the_window_ends(edge: RunningApp) -> None:
    for _ in range(3):
        await edge.request("GET", SCOPED)
    refused = await edge.request("GET", SCOPED)
    assert refused.status_code == 429
    await asyncio.sleep(int(refused.headers["Retry-After"]) + 0.05)
    assert (await edge.request("GET", SCOPED)).status_code == 401


async def test_routes_outside_v1_are_not_limited(edge: RunningApp) -> None:
    statuses = {(await edge.request("GET", "/healthz")).status_code for _ in range(5)}
    assert statuses == {200}


async def test_requests_pass_when_the_limiter_redis_is_unreachable(
    settings: Settings, services: Services
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    async with running_app(
        settings, services, rate_limit_redis_url=closed, rate_limit_per_ip_per_min=1
    ) as running:
        statuses = [(await running.request("GET", SCOPED)).status_code for _ in range(3)]
        limiter = running.limiter
    assert limiter is not None and limiter.owns_client  # the limiter ran, on its own (dead) Redis
    assert statuses == [401, 401, 401]


async def test_no_limits_when_rate_limiting_is_disabled(settings: Settings, services: Services) -> None:
    async with running_app(
        settings, services, rate_limit_enabled=False, rate_limit_per_ip_per_min=1
    ) as running:
        statuses = [(await running.request("GET", SCOPED)).status_code for _ in range(3)]
        assert running.limiter is None
    assert statuses == [401, 401, 401]


def test_forwarded_for_is_ignored_unless_trusted() -> None:
    scope = {"client": ("10.9.9.9", 1), "headers": [(b"x-forwarded-for", b"1.2.3.4, 203.0.113.7")]}
    assert client_ip(scope, trust_forwarded_for=False) == "10.9.9.9"


def test_a_trusted_forwarded_for_yields_the_hop_our_proxy_saw() -> None:
    scope = {"client": ("10.9.9.9", 1), "headers": [(b"x-forwarded-for", b"1.2.3.4, 203.0.113.7")]}
    assert client_ip(scope, trust_forwarded_for=True) == "203.0.113.7"


@pytest.mark.parametrize(("now", "expected"), [(120.0, 60), (120.2, 60), (179.5, 1), (179.99, 1)])
def test_retry_after_is_the_whole_seconds_to_the_window_end(now: float, expected: int) -> None:
    assert retry_after(now, 60) == expected
