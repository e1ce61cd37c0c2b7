"""Anonymous conversation tokens: one shopper cannot read or continue another's conversation,
cart, orders or turns by knowing (or guessing) its id."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.api.security import TOKEN_HEADER, hash_key
from app.bootstrap import Services
from app.settings import Settings
from tests.reliability.conftest import app_client

STRANGER = {TOKEN_HEADER: "a-token-of-another-shopper-0123456789abcdef"}


@pytest.fixture
async def raw(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends only the headers a test gives it."""
    async with app_client(settings, services) as c:
        yield c


@pytest.fixture
async def started(raw: httpx.AsyncClient) -> dict:
    r = await raw.post("/v1/chat", json={"message": "black hoodies"})
    assert r.status_code == 200
    return r.json()


async def test_a_new_conversation_returns_a_long_random_token(raw: httpx.AsyncClient, started: dict) -> None:
    other = (await raw.post("/v1/chat", json={"message": "hello"})).json()
    assert len(started["conversation_token"]) >= 43  # 32 random bytes, URL-safe base64
    assert started["conversation_token"] != other["conversation_token"]


async def test_the_state_keeps_only_the_hash_of_the_token(services: Services, started: dict) -> None:
    state = await services.state.get(started["conversation_id"])
    assert state is not None
    assert state.token_hash == hash_key(started["conversation_token"])
    assert started["conversation_token"] not in state.model_dump_json()


async def test_a_continued_turn_with_the_token_is_answered_without_a_new_token(
    raw: httpx.AsyncClient, started: dict
) -> None:
    body = {"message": "in blue", "conversation_id": started["conversation_id"]}
    r = await raw.post("/v1/chat", json=body, headers={TOKEN_HEADER: started["conversation_token"]})
    assert r.status_code == 200
    assert r.json()["conversation_token"] is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/chat"),
        ("POST", "/v1/chat/stream"),
        ("GET", "/v1/conversations/{cid}"),
        ("POST", "/v1/conversations/{cid}/checkout"),
        ("POST", "/v1/conversations/{cid}/cart"),
        ("GET", "/v1/conversations/{cid}/orders"),
        ("GET", "/v1/conversations/{cid}/orders/ord_000000000000"),
        ("POST", "/v1/conversations/{cid}/orders/ord_000000000000/cancel"),
        ("GET", "/v1/conversations/{cid}/recommendations"),
        ("POST", "/v1/turns/{tid}/feedback"),
        ("POST", "/v1/turns/{tid}/events"),
    ],
)
@pytest.mark.parametrize(("headers", "expected"), [({}, 401), (STRANGER, 404)])
async def test_every_conversation_scoped_route_refuses_a_missing_or_foreign_token(
    raw: httpx.AsyncClient, started: dict, method: str, path: str, headers: dict, expected: int
) -> None:
    cid, tid = started["conversation_id"], started["turn_id"]
    product = started["products"][0]
    bodies = {
        "/v1/chat": {"message": "in blue", "conversation_id": cid},
        "/v1/chat/stream": {"message": "in blue", "conversation_id": cid},
        "/v1/conversations/{cid}/cart": {"product_id": product["id"]},
        "/v1/turns/{tid}/feedback": {"rating": "up"},
        "/v1/turns/{tid}/events": {"kind": "click", "product_id": product["id"]},
    }
    r = await raw.request(
        method,
        path.format(cid=cid, tid=tid),
        json=bodies.get(path),
        headers={**headers, "Idempotency-Key": "k-12345678"},
    )
    assert r.status_code == expected, r.text


async def test_a_foreign_token_gets_the_same_answer_as_an_unknown_conversation(
    raw: httpx.AsyncClient, started: dict
) -> None:
    foreign = await raw.get(f"/v1/conversations/{started['conversation_id']}", headers=STRANGER)
    unknown = await raw.get("/v1/conversations/c_doesnotexist", headers=STRANGER)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["detail"].replace(started["conversation_id"], "X") == unknown.json()[
        "detail"
    ].replace("c_doesnotexist", "X")


async def test_the_cart_of_a_conversation_is_not_changed_by_a_foreign_token(
    raw: httpx.AsyncClient, services: Services, started: dict
) -> None:
    product = started["products"][0]
    await raw.post(
        f"/v1/conversations/{started['conversation_id']}/cart",
        json={"product_id": product["id"]},
        headers=STRANGER,
    )
    state = await services.state.get(started["conversation_id"])
    assert state is not None and state.cart == []
