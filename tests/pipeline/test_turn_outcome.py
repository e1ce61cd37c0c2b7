"""A turn is logged only if it was delivered: the state write comes before the log, and a turn that
fails after placing an order cancels it (issue 17). Over the fakes of ``tests/pipeline/fakes.py``."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from app.domain.order import Shortage
from app.domain.turn import CartLine, ConversationState, Filters, Intent, ShoppingTurn
from app.pipeline.orders import SoldOut
from app.pipeline.turn import TurnNotLogged
from tests.pipeline.fakes import BLACK_HOODIE, FLEECE_HOODIE, FakeIndex, Rig, ScriptedExtractor

SCRIPT = {
    "hoodies": ShoppingTurn(intent=Intent.search, query="hoodies", filters=Filters(category="hoodies")),
    "checkout": ShoppingTurn(intent=Intent.checkout),
    "add the second one in M": ShoppingTurn(
        intent=Intent.add_to_cart, referenced=[2], filters=Filters(size="M")
    ),
}


class FailingPuts:
    """Wraps the rig's store: ``put`` raises like a Redis that went away."""

    def __init__(self, rig: Rig) -> None:
        self.inner = rig.store
        self.fail = False

    async def put(self, state: ConversationState) -> None:
        if self.fail:
            raise RedisConnectionError("Connection refused")
        await self.inner.put(state)


def rig() -> Rig:
    return Rig(extractor=ScriptedExtractor(SCRIPT), index=FakeIndex([FLEECE_HOODIE.id, BLACK_HOODIE.id]))


def line(sku: str = "H1-M") -> CartLine:
    return CartLine(product_id=BLACK_HOODIE.id, name=BLACK_HOODIE.name, sku=sku, size="M", unit_price=39.0)


async def test_a_turn_whose_state_write_fails_is_not_logged() -> None:
    r = rig()
    first = await r.pipeline.run("hoodies")
    failing = FailingPuts(r)
    r.pipeline.store.put = failing.put  # type: ignore[method-assign]
    failing.fail = True
    with pytest.raises(RedisConnectionError):
        await r.pipeline.run("hoodies", first.state.conversation_id)
    assert r.logger.records == [first.record]


async def test_a_checkout_turn_whose_state_write_fails_cancels_its_order() -> None:
    r = rig()
    await r.store.put(ConversationState(conversation_id="c_undo", cart=[line()], turns=1))
    failing = FailingPuts(r)
    r.pipeline.store.put = failing.put  # type: ignore[method-assign]
    failing.fail = True
    with pytest.raises(RedisConnectionError):
        await r.pipeline.run("checkout", "c_undo")
    assert r.orders.cancelled == ["ord_1"]
    assert r.logger.records == []


async def test_a_turn_that_cannot_be_logged_puts_the_state_back_and_cancels_its_order() -> None:
    r = rig()
    before = ConversationState(conversation_id="c_unlogged", cart=[line()], turns=1)
    await r.store.put(before)
    r.logger.error = RuntimeError("database is down")
    with pytest.raises(TurnNotLogged):
        await r.pipeline.run("checkout", "c_unlogged")
    assert await r.store.get("c_unlogged") == before
    assert r.orders.cancelled == ["ord_1"]


async def test_a_sold_out_checkout_is_answered_and_the_cart_keeps_what_is_left() -> None:
    r = rig()
    other = line("H1-L")
    await r.store.put(ConversationState(conversation_id="c_sold", cart=[line(), other], turns=1))

    def sold_out(state: ConversationState, key: str) -> None:
        raise SoldOut([Shortage(sku="H1-M", name=BLACK_HOODIE.name, requested=1, available=0)])

    r.orders.place = sold_out  # type: ignore[assignment,method-assign]
    result = await r.pipeline.run("checkout", "c_sold")
    assert result.order is None
    assert result.record.reply.startswith(f"Sorry — {BLACK_HOODIE.name} is sold out. Nothing was ordered")
    assert result.state.cart == [other]


async def test_adding_a_sold_out_variant_says_so_and_offers_what_is_left() -> None:
    r = rig()
    r.orders.stock = {v.sku: 0 for v in BLACK_HOODIE.variants if v.size == "M"}
    await r.store.put(
        ConversationState(conversation_id="c_add", last_results=[FLEECE_HOODIE.id, BLACK_HOODIE.id], turns=1)
    )
    result = await r.pipeline.run("add the second one in M", "c_add")
    assert result.state.cart == []
    assert result.record.reply == (
        f"Sorry — the {BLACK_HOODIE.name} in M / black is sold out. Still available: L / black."
    )


async def test_a_product_sold_out_in_every_variant_is_not_offered() -> None:
    r = rig()
    r.orders.stock = {FLEECE_HOODIE.sku: 0}  # a product without variants sells its own SKU
    result = await r.pipeline.run("hoodies")
    assert FLEECE_HOODIE.id not in [p.id for p in result.products]
    assert BLACK_HOODIE.id in [p.id for p in result.products]


async def test_is_it_in_stock_in_m_is_answered_from_the_inventory() -> None:
    r = Rig(
        extractor=ScriptedExtractor(
            {
                "is the second one in stock in M?": ShoppingTurn(
                    intent=Intent.product_question, referenced=[2], filters=Filters(size="M"), asks_stock=True
                )
            }
        )
    )
    r.orders.stock = {"H1-M": 0, "H1-L": 3}
    await r.store.put(
        ConversationState(
            conversation_id="c_stock", last_results=[FLEECE_HOODIE.id, BLACK_HOODIE.id], turns=1
        )
    )
    result = await r.pipeline.run("is the second one in stock in M?", "c_stock")
    assert (
        result.record.reply == f"No — the {BLACK_HOODIE.name} is sold out in M. Still available: L / black."
    )
