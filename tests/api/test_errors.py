"""Bad input gets a clear 4xx and stores nothing."""

from __future__ import annotations

import httpx
import pytest

from app.bootstrap import Services


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "message: Field required"),
        ({"message": ""}, "message: String should have at least 1 character"),
        ({"message": "   "}, "message: Value error, message is empty"),
        ({"message": 42}, "message: Input should be a valid string"),
        ({"message": "hi", "conversation_id": "bad id!"}, "conversation_id: String should match pattern"),
    ],
)
async def test_malformed_bodies_are_422_with_a_message(
    client: httpx.AsyncClient, body: dict, needle: str
) -> None:
    r = await client.post("/v1/chat", json=body)
    assert r.status_code == 422
    assert needle in r.json()["detail"]


async def test_non_json_body_is_422(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/chat", content=b"not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


async def test_too_long_message_is_413_and_nothing_is_logged(
    client: httpx.AsyncClient, services: Services
) -> None:
    before = services.logger.count()
    r = await client.post("/v1/chat", json={"message": "x" * 2001})
    assert r.status_code == 413
    assert "limit is 2000" in r.json()["detail"]
    assert services.logger.count() == before


async def test_message_at_the_limit_is_accepted(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/chat", json={"message": "hoodie " + "a" * 1993})
    assert r.status_code == 200


async def test_unknown_conversation_is_404(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/chat",
        json={"message": "hi", "conversation_id": "c_doesnotexist"},
        headers={"X-Conversation-Token": "a-token-of-no-conversation"},
    )
    assert r.status_code == 404
    assert r.json()["detail"] == "unknown conversation 'c_doesnotexist'"
    r = await client.get(
        "/v1/conversations/c_doesnotexist", headers={"X-Conversation-Token": "a-token-of-no-conversation"}
    )
    assert r.status_code == 404


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"state": "ok", "database": "ok", "index": "ok"}


async def test_checkout_is_idempotent(client: httpx.AsyncClient) -> None:
    a = (await client.post("/v1/chat", json={"message": "duffle bag"})).json()
    cid = a["conversation_id"]
    await client.post("/v1/chat", json={"message": "add the first one", "conversation_id": cid})
    key = {"Idempotency-Key": "key-" + cid}
    first = await client.post(f"/v1/conversations/{cid}/checkout", headers=key)
    second = await client.post(f"/v1/conversations/{cid}/checkout", headers=key)
    assert first.status_code == second.status_code == 200
    assert first.json()["order_id"] == second.json()["order_id"]
    t = (await client.get(f"/v1/conversations/{cid}")).json()
    assert len(t["orders"]) == 1 and t["cart"] == []


async def test_checkout_of_an_empty_cart_is_409(client: httpx.AsyncClient) -> None:
    a = (await client.post("/v1/chat", json={"message": "hello"})).json()
    r = await client.post(
        f"/v1/conversations/{a['conversation_id']}/checkout", headers={"Idempotency-Key": "k-12345678"}
    )
    assert r.status_code == 409
    assert r.json()["detail"] == "the cart is empty"


async def test_a_turn_that_cannot_be_logged_is_503_and_does_not_advance_state(
    client: httpx.AsyncClient, services: Services
) -> None:
    a = (await client.post("/v1/chat", json={"message": "show me hoodies"})).json()
    cid = a["conversation_id"]
    before = await services.state.get(cid)
    real_write = services.logger.write

    def broken(_record: object) -> None:
        raise ConnectionError("database went away")

    services.logger.write = broken  # type: ignore[method-assign]
    try:
        r = await client.post("/v1/chat", json={"message": "in black", "conversation_id": cid})
    finally:
        services.logger.write = real_write  # type: ignore[method-assign]
    assert r.status_code == 503
    assert r.headers["retry-after"] == "2"
    assert await services.state.get(cid) == before
    t = (await client.get(f"/v1/conversations/{cid}")).json()
    assert len(t["turns"]) == 1
