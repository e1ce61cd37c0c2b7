"""``POST /v1/conversations/{id}/cart``: the card's add-to-cart button, validated against the catalog."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from app.bootstrap import Services
from app.storage.schema import turn_events


async def shown(client: httpx.AsyncClient, message: str) -> dict[str, Any]:
    r = await client.post("/v1/chat", json={"message": message})
    assert r.status_code == 200
    return dict(r.json())


def token(turn: dict[str, Any]) -> dict[str, str]:
    return {"X-Conversation-Token": turn["conversation_token"]}


def first_with_sizes(products: list[dict[str, Any]]) -> dict[str, Any]:
    return next(p for p in products if len(p["sizes"]) > 1 and len(p["colors"]) > 1)


async def test_adding_a_shown_variant_puts_it_in_the_cart_at_the_catalog_price(
    client: httpx.AsyncClient, services: Services
) -> None:
    turn = await shown(client, "women's hoodies")
    p = first_with_sizes(turn["products"])
    body = {"product_id": p["id"], "size": p["sizes"][1].lower(), "color": p["colors"][0].upper()}
    r = await client.post(f"/v1/conversations/{turn['conversation_id']}/cart", json=body, headers=token(turn))
    assert r.status_code == 201
    data = r.json()
    assert data["added"]["size"] == p["sizes"][1] and data["added"]["color"] == p["colors"][0]
    product = services.catalog.get(p["id"])
    assert product is not None
    variant = next(v for v in product.variants if v.size == p["sizes"][1] and v.color == p["colors"][0])
    assert data["added"]["sku"] == variant.sku
    assert data["cart_total"] == round(data["added"]["unit_price"], 2)
    assert all(s["id"] != p["id"] for s in data["suggestions"])


async def test_the_same_variant_twice_is_one_line_with_quantity_two(client: httpx.AsyncClient) -> None:
    turn = await shown(client, "women's hoodies")
    p = first_with_sizes(turn["products"])
    body = {"product_id": p["id"], "size": p["sizes"][0], "color": p["colors"][0]}
    url = f"/v1/conversations/{turn['conversation_id']}/cart"
    await client.post(url, json=body, headers=token(turn))
    data = (await client.post(url, json=body, headers=token(turn))).json()
    assert [line["quantity"] for line in data["cart"]] == [2]
    assert data["cart_total"] == round(2 * data["added"]["unit_price"], 2)


async def test_add_to_cart_is_recorded_against_the_turn_that_showed_the_product(
    client: httpx.AsyncClient, services: Services
) -> None:
    turn = await shown(client, "women's hoodies")
    p = first_with_sizes(turn["products"])
    body = {"product_id": p["id"], "size": p["sizes"][0], "color": p["colors"][0]}
    await client.post(f"/v1/conversations/{turn['conversation_id']}/cart", json=body, headers=token(turn))
    with services.engine.connect() as conn:
        rows = conn.execute(
            select(turn_events.c.kind, turn_events.c.product_id).where(
                turn_events.c.turn_id == turn["turn_id"]
            )
        ).all()
    assert ("add_to_cart", p["id"]) in [tuple(r) for r in rows]


async def test_a_size_the_product_does_not_come_in_is_422_and_the_cart_is_unchanged(
    client: httpx.AsyncClient,
) -> None:
    turn = await shown(client, "women's hoodies")
    p = first_with_sizes(turn["products"])
    cid = turn["conversation_id"]
    r = await client.post(
        f"/v1/conversations/{cid}/cart",
        json={"product_id": p["id"], "size": "XXXXL", "color": p["colors"][0]},
        headers=token(turn),
    )
    assert r.status_code == 422
    assert "does not come in size 'XXXXL'" in r.json()["detail"]
    assert (await client.get(f"/v1/conversations/{cid}", headers=token(turn))).json()["cart"] == []


async def test_a_missing_size_choice_is_422_naming_the_options(client: httpx.AsyncClient) -> None:
    turn = await shown(client, "women's hoodies")
    p = first_with_sizes(turn["products"])
    r = await client.post(
        f"/v1/conversations/{turn['conversation_id']}/cart",
        json={"product_id": p["id"], "color": p["colors"][0]},
        headers=token(turn),
    )
    assert r.status_code == 422
    assert r.json()["detail"].endswith(", ".join(p["sizes"]))


async def test_unknown_product_and_unknown_conversation_are_404(client: httpx.AsyncClient) -> None:
    turn = await shown(client, "women's hoodies")
    p = first_with_sizes(turn["products"])
    bad_product = await client.post(
        f"/v1/conversations/{turn['conversation_id']}/cart",
        json={"product_id": "nope:1"},
        headers=token(turn),
    )
    assert bad_product.status_code == 404
    body = {"product_id": p["id"], "size": p["sizes"][0], "color": p["colors"][0]}
    bad_conv = await client.post(
        "/v1/conversations/c_doesnotexist/cart",
        json=body,
        headers={"X-Conversation-Token": "a-token-of-no-conversation"},
    )
    assert bad_conv.status_code == 404


async def test_the_transcript_restores_the_shown_product_cards(client: httpx.AsyncClient) -> None:
    turn = await shown(client, "women's hoodies")
    data = (await client.get(f"/v1/conversations/{turn['conversation_id']}", headers=token(turn))).json()
    assert [p["id"] for p in data["turns"][0]["products"]] == [p["id"] for p in turn["products"]]
