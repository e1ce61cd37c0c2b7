"""``POST /v1/turns/{turn_id}/events``: only events on products a real turn showed are stored."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from app.bootstrap import Services
from app.storage.schema import turn_events


async def search(client: httpx.AsyncClient) -> dict:  # type: ignore[type-arg]
    r = await client.post("/v1/chat", json={"message": "black hoodie for men"})
    assert r.status_code == 200 and r.json()["products"]
    return r.json()  # type: ignore[no-any-return]


async def test_a_click_on_a_shown_product_is_recorded(client: httpx.AsyncClient, services: Services) -> None:
    turn = await search(client)
    pid = turn["products"][0]["id"]
    r = await client.post(f"/v1/turns/{turn['turn_id']}/events", json={"kind": "click", "product_id": pid})
    assert r.status_code == 201
    with services.engine.connect() as conn:
        rows = conn.execute(
            select(turn_events.c.kind, turn_events.c.product_id).where(
                turn_events.c.turn_id == turn["turn_id"]
            )
        ).all()
    assert [tuple(row) for row in rows] == [("click", pid)]


async def test_an_unknown_turn_is_404(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/turns/t_nope/events",
        json={"kind": "click", "product_id": "x"},
        headers={"X-Conversation-Token": "a-token-of-no-conversation"},
    )
    assert r.status_code == 404


async def test_a_product_the_turn_did_not_show_is_422(client: httpx.AsyncClient) -> None:
    turn = await search(client)
    r = await client.post(
        f"/v1/turns/{turn['turn_id']}/events", json={"kind": "click", "product_id": "magento:nope"}
    )
    assert r.status_code == 422
    assert "not shown" in r.json()["detail"]


async def test_an_unknown_event_kind_is_422(client: httpx.AsyncClient) -> None:
    turn = await search(client)
    pid = turn["products"][0]["id"]
    r = await client.post(f"/v1/turns/{turn['turn_id']}/events", json={"kind": "like", "product_id": pid})
    assert r.status_code == 422
