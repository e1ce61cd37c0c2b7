"""Stock, price drift and orders through the API and the chat, on the real built catalog (issue 17)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import select, update

from app.bootstrap import Services
from app.catalog.inventory import InventoryStore
from app.domain.catalog import Product, Variant
from app.storage.schema import products


def stocked_variant(services: Services, at_least: int = 3) -> tuple[Product, Variant]:
    """A product variant with at least ``at_least`` units left in the demo stock."""
    for p in services.catalog.all():
        if len(p.variants) < 2 or not p.sizes or not p.colors:
            continue
        stock = services.orders.available([v.sku for v in p.variants])
        for v in p.variants:
            if stock.get(v.sku, 0) >= at_least and v.size and v.color:
                return p, v
    raise AssertionError("no stocked variant in the demo stock")


@contextmanager
def price_moved(services: Services, product_id: str, delta: float) -> Iterator[None]:
    """The product (and its variants) cost ``delta`` more in the SQL catalog, put back afterwards."""
    with services.engine.begin() as conn:
        doc = conn.execute(select(products.c.doc).where(products.c.id == product_id)).scalar_one()
    moved = {**doc, "price": doc["price"] + delta}
    moved["variants"] = [
        {**v, "price": None if v.get("price") is None else v["price"] + delta} for v in doc["variants"]
    ]
    with services.engine.begin() as conn:
        conn.execute(update(products).where(products.c.id == product_id).values(doc=moved))
    try:
        yield
    finally:
        with services.engine.begin() as conn:
            conn.execute(update(products).where(products.c.id == product_id).values(doc=doc))


async def start(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    r = await client.post("/v1/chat", json={"message": "hello"})
    assert r.status_code == 200
    return r.json()["conversation_id"], {"X-Conversation-Token": r.json()["conversation_token"]}


async def add(
    client: httpx.AsyncClient, cid: str, auth: dict[str, str], p: Product, v: Variant, quantity: int = 1
) -> httpx.Response:
    body = {"product_id": p.id, "size": v.size, "color": v.color, "quantity": quantity}
    return await client.post(f"/v1/conversations/{cid}/cart", json=body, headers=auth)


async def checkout(client: httpx.AsyncClient, cid: str, auth: dict[str, str]) -> httpx.Response:
    key = {"Idempotency-Key": "key-" + uuid.uuid4().hex, **auth}
    return await client.post(f"/v1/conversations/{cid}/checkout", headers=key)


async def say(client: httpx.AsyncClient, cid: str, message: str) -> dict[str, Any]:
    r = await client.post("/v1/chat", json={"message": message, "conversation_id": cid})
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_price_that_moved_is_409_with_old_and_new_and_the_next_checkout_confirms_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    p, v = stocked_variant(services)
    cid, auth = await start(client)
    old = (await add(client, cid, auth, p, v)).json()["added"]["unit_price"]
    before = services.orders.available([v.sku])[v.sku]
    with price_moved(services, p.id, 7.0):
        refused = await checkout(client, cid, auth)
        assert refused.status_code == 409
        body = refused.json()
        assert body["code"] == "price_changed"
        assert [(c["sku"], c["old_price"], c["new_price"]) for c in body["price_changes"]] == [
            (v.sku, old, old + 7.0)
        ]
        assert services.orders.available([v.sku])[v.sku] == before  # nothing reserved
        confirmed = await checkout(client, cid, auth)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["total"] == round(old + 7.0, 2)
    assert services.orders.available([v.sku])[v.sku] == before - 1


async def test_the_chat_asks_to_confirm_a_moved_price_then_places_the_order(
    client: httpx.AsyncClient, services: Services
) -> None:
    p, v = stocked_variant(services)
    cid, auth = await start(client)
    old = (await add(client, cid, auth, p, v)).json()["added"]["unit_price"]
    with price_moved(services, p.id, -5.0):
        ask = await say(client, cid, "checkout")
        assert ask["order"] is None
        assert (
            f"the price changed since you added it — {p.name} from ${old:,.2f} to ${old - 5:,.2f}"
            in ask["reply"]
        )
        assert 'say "checkout" to confirm at the new price' in ask["reply"]
        placed = await say(client, cid, "checkout")
    assert placed["order"] is not None and placed["order"]["total"] == round(old - 5.0, 2)


async def test_cancelling_an_order_restores_its_stock_and_a_second_cancel_is_409(
    client: httpx.AsyncClient, services: Services
) -> None:
    p, v = stocked_variant(services)
    cid, auth = await start(client)
    await add(client, cid, auth, p, v, quantity=2)
    before = services.orders.available([v.sku])[v.sku]
    order = (await checkout(client, cid, auth)).json()
    assert services.orders.available([v.sku])[v.sku] == before - 2
    url = f"/v1/conversations/{cid}/orders/{order['order_id']}"
    cancelled = await client.post(url + "/cancel", headers=auth)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert services.orders.available([v.sku])[v.sku] == before
    again = await client.post(url + "/cancel", headers=auth)
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]
    assert services.orders.available([v.sku])[v.sku] == before
    assert (await client.get(url, headers=auth)).json()["status"] == "cancelled"
    listed = (await client.get(f"/v1/conversations/{cid}/orders", headers=auth)).json()
    assert [o["order_id"] for o in listed["orders"]] == [order["order_id"]]


async def test_a_malformed_order_id_is_422_and_an_unknown_one_404(client: httpx.AsyncClient) -> None:
    cid, auth = await start(client)
    bad = await client.post(f"/v1/conversations/{cid}/orders/DROP%20TABLE/cancel", headers=auth)
    assert bad.status_code == 422
    unknown = await client.post(f"/v1/conversations/{cid}/orders/ord_000000000000/cancel", headers=auth)
    assert unknown.status_code == 404


async def test_orders_in_chat_status_cancel_and_history(
    client: httpx.AsyncClient, services: Services
) -> None:
    p, v = stocked_variant(services)
    cid, auth = await start(client)
    await add(client, cid, auth, p, v)
    placed = (await say(client, cid, "checkout"))["order"]
    status = await say(client, cid, "where is my order?")
    assert status["intent"] == "order_status"
    assert status["reply"].startswith(f"Order {placed['order_id']} (1 item(s)")
    assert "is confirmed. You can cancel it until" in status["reply"]
    cancel = await say(client, cid, "cancel my order please")
    assert cancel["intent"] == "cancel_order"
    assert cancel["reply"].startswith(
        f"Order {placed['order_id']} is cancelled and its 1 item(s) are back in stock"
    )
    history = await say(client, cid, "show me my orders")
    assert history["intent"] == "order_history"
    assert (
        history["reply"].splitlines()[1]
        == f"1. Order {placed['order_id']} (1 item(s), ${placed['total']:,.2f}) was cancelled."
    )


async def test_a_sold_out_variant_is_not_added_and_the_answer_names_what_is_left(
    client: httpx.AsyncClient, services: Services
) -> None:
    p, v = stocked_variant(services)
    inventory = InventoryStore(services.engine)
    before = services.orders.available([v.sku])[v.sku]
    inventory.set_qty(v.sku, 0)
    try:
        cid, auth = await start(client)
        r = await add(client, cid, auth, p, v)
    finally:
        inventory.set_qty(v.sku, before)
    assert r.status_code == 409
    assert r.json()["detail"].startswith(f"Sorry — the {p.name} in {v.size} / {v.color} is sold out.")
    assert f"{v.size} / {v.color}" not in r.json()["detail"].split("Still available:")[1]


async def test_more_than_the_per_item_limit_is_422(client: httpx.AsyncClient, services: Services) -> None:
    p, v = stocked_variant(services)
    cid, auth = await start(client)
    r = await add(client, cid, auth, p, v, quantity=services.settings.max_quantity_per_item + 1)
    assert r.status_code == 422


async def test_is_it_in_stock_in_a_size_is_answered_from_the_inventory(
    client: httpx.AsyncClient, services: Services
) -> None:
    first = (await client.post("/v1/chat", json={"message": "women's hoodies"})).json()
    position, product = next(
        (i, p)
        for i, card in enumerate(first["products"], 1)
        if (p := services.catalog.get(card["id"])) and "M" in p.sizes
    )
    ordinal = ["first", "second", "third", "fourth", "fifth"][position - 1]
    turn = await say(client, first["conversation_id"], f"is the {ordinal} one in stock in size M?")
    stock = services.orders.available([v.sku for v in product.variants])
    left = [v for v in product.variants if v.size == "M" and stock.get(v.sku, 1) > 0]
    expected = (
        f"Yes — the {product.name} is in stock in M: "
        if left
        else f"No — the {product.name} is sold out in M."
    )
    assert turn["intent"] == "product_question"
    assert turn["reply"].startswith(expected)


async def test_a_bare_size_after_a_named_product_is_answered_from_the_inventory(
    client: httpx.AsyncClient, services: Services
) -> None:
    """Fresh conversation (no product type remembered): "in M" is the size asked about; M sold out,
    L in stock, of the same product, named first and then called "it"."""
    from app.bootstrap import make_understander

    names = make_understander(services.catalog).names
    product = next(
        p
        for p in services.catalog.all()
        if {"M", "L"} <= {v.size for v in p.variants} and names.by_name(p.name.lower()) == p.id
    )
    m_skus = [v.sku for v in product.variants if v.size == "M"]
    l_skus = [v.sku for v in product.variants if v.size == "L"]
    inventory = InventoryStore(services.engine)
    before = services.orders.available(m_skus + l_skus)
    for sku in m_skus:
        inventory.set_qty(sku, 0)
    for sku in l_skus:
        inventory.set_qty(sku, 5)
    try:
        cid, _ = await start(client)
        sold = await say(client, cid, f"is the {product.name} in stock in M?")
        left = await say(client, cid, "and is it in stock in L?")
    finally:
        for sku, qty in before.items():
            inventory.set_qty(sku, qty)
    assert (sold["intent"], left["intent"]) == ("product_question", "product_question")
    assert sold["reply"].startswith(f"No — the {product.name} is sold out in M. Still available: ")
    assert left["reply"].startswith(f"Yes — the {product.name} is in stock in L: ")


async def test_asking_to_cancel_before_any_order_is_answered_with_the_cancellation_rule(
    client: httpx.AsyncClient,
) -> None:
    cid, _ = await start(client)
    answer = await say(client, cid, "cancel my order please")
    assert answer["intent"] == "policy"
    assert "cancelled or changed until they ship" in answer["reply"]
