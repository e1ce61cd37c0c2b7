"""Cross-sell routes: for a product and for a conversation's cart."""

from __future__ import annotations

import httpx

from app.bootstrap import Services


async def test_product_recommendations_exclude_the_product(
    client: httpx.AsyncClient, services: Services
) -> None:
    pid = services.catalog.all()[0].id
    r = await client.get(f"/v1/products/{pid}/recommendations", params={"limit": 4})
    assert r.status_code == 200
    ids = [p["id"] for p in r.json()["products"]]
    assert 0 < len(ids) <= 4 and pid not in ids and all(i in services.catalog for i in ids)


async def test_unknown_product_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/products/magento:nope/recommendations")).status_code == 404


async def test_unknown_conversation_is_404(client: httpx.AsyncClient) -> None:
    assert (
        await client.get(
            "/v1/conversations/c_nope/recommendations",
            headers={"X-Conversation-Token": "a-token-of-no-conversation"},
        )
    ).status_code == 404


async def test_conversation_recommendations_follow_the_cart(client: httpx.AsyncClient) -> None:
    first = (await client.post("/v1/chat", json={"message": "black hoodie for men"})).json()
    cid = first["conversation_id"]
    added = (
        await client.post("/v1/chat", json={"conversation_id": cid, "message": "add the first one in M"})
    ).json()
    assert added["cart"], added["reply"]
    r = await client.get(f"/v1/conversations/{cid}/recommendations")
    assert r.status_code == 200
    body = r.json()
    assert body["anchors"] == [added["cart"][0]["product_id"]]
    assert body["anchors"][0] not in [p["id"] for p in body["products"]]
