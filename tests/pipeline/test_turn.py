"""``TurnPipeline.run``, one test per branch of a turn, over in-memory fakes of every stage
(``tests/pipeline/fakes.py``): the real orchestration, remember (merge) and cart code, the real
``Retriever`` and ``RulesResponder``; no catalog build, Redis, database or encoder model."""

from __future__ import annotations

import httpx
import pytest

from app.api.deps import get_pipeline, get_settings
from app.api.main import create_app
from app.domain.turn import CartLine, ConversationState, Filters, Intent, ShoppingTurn
from app.index.failsafe import SearchUnavailable
from app.pipeline.turn import TurnNotLogged, UnknownConversation
from app.settings import Settings
from tests.pipeline.fakes import (
    BLACK_HOODIE,
    CROPPED_HOODIE,
    DUFFEL,
    FLEECE_HOODIE,
    NOW,
    RAIN_JACKET,
    ZIP_HOODIE,
    FakeIndex,
    Rig,
    ScriptedExtractor,
    ScriptedGuard,
    ScriptedRanker,
    SearchCall,
)

SCRIPT = {
    "black hoodies": ShoppingTurn(
        intent=Intent.search, query="hoodies", filters=Filters(category="hoodies", color="black")
    ),
    "hoodies": ShoppingTurn(intent=Intent.search, query="hoodies", filters=Filters(category="hoodies")),
    "warm ones in black under $60": ShoppingTurn(
        intent=Intent.refine, query="warm", filters=Filters(color="black", price_max=60)
    ),
    "in black": ShoppingTurn(intent=Intent.refine, filters=Filters(color="black")),
    "a lawnmower": ShoppingTurn(intent=Intent.search, query="lawnmower", replace_filters=True),
    "add the second one in M": ShoppingTurn(
        intent=Intent.add_to_cart, referenced=[2], filters=Filters(size="M")
    ),
    "checkout": ShoppingTurn(intent=Intent.checkout),
}

HOODIE_HITS = [BLACK_HOODIE.id, ZIP_HOODIE.id, FLEECE_HOODIE.id, CROPPED_HOODIE.id]
SEARCH_STAGES = {"extract", "remember", "embed", "guard", "retrieve", "rank", "fence", "respond", "total"}


def rig(guard: ScriptedGuard | None = None, ranker: ScriptedRanker | None = None) -> Rig:
    return Rig(
        extractor=ScriptedExtractor(SCRIPT),
        guard=guard or ScriptedGuard(),
        index=FakeIndex(HOODIE_HITS),
        ranker=ranker or ScriptedRanker(),
    )


def hoodie_line() -> CartLine:
    return CartLine(
        product_id=BLACK_HOODIE.id,
        name=BLACK_HOODIE.name,
        sku="H1-M",
        size="M",
        color="black",
        unit_price=39.0,
    )


async def test_search_shows_the_fenced_ranked_products_and_remembers_them() -> None:
    # Ranked H3, H4, H1, H2; the guard fences H4 out; show_limit is 2 → H3, H1.
    r = rig(
        guard=ScriptedGuard(fence_out=[CROPPED_HOODIE.id]),
        ranker=ScriptedRanker([FLEECE_HOODIE.id, CROPPED_HOODIE.id, BLACK_HOODIE.id, ZIP_HOODIE.id]),
    )

    result = await r.pipeline.run("black hoodies")

    shown = [FLEECE_HOODIE.id, BLACK_HOODIE.id]
    record = result.record
    assert result.products == [FLEECE_HOODIE, BLACK_HOODIE]
    assert record.shown == shown
    assert result.state.last_results == shown
    assert result.state.query == "hoodies"
    assert result.state.filters == Filters(category="hoodies", color="black")
    assert result.state.turns == 1
    assert await r.store.get(record.conversation_id) == result.state
    assert set(record.latency_ms) == SEARCH_STAGES
    assert record.latency_ms["total"] >= max(v for k, v in record.latency_ms.items() if k != "total")

    assert r.encoder.texts == ["hoodies black"]
    assert r.index.calls == [
        SearchCall("hoodies black", Filters(category="hoodies", color="black"), 100, "hybrid")
    ]
    assert r.ranker.calls == [HOODIE_HITS]
    assert [c.product_id for c in record.candidates] == [
        FLEECE_HOODIE.id,
        CROPPED_HOODIE.id,
        BLACK_HOODIE.id,
        ZIP_HOODIE.id,
    ]
    assert record.fenced == [CROPPED_HOODIE.id]
    assert record.guard is not None and not record.guard.abstain
    assert record.guard.query == "hoodies black"
    assert not record.abstained
    assert (record.turn_index, record.created_at, record.message) == (0, NOW, "black hoodies")
    assert record.versions["extractor"] == "scripted" and record.versions["ranker"] == "scripted-ranker"
    assert record.state_after == result.state.model_dump(mode="json")
    assert r.logger.records == [record]
    assert record.reply.startswith("Here are 2 black hoodies you might like:")


async def test_refine_narrows_the_remembered_search_and_retrieves_with_the_merge() -> None:
    r = rig()
    first = await r.pipeline.run("hoodies")
    cid = first.state.conversation_id

    second = await r.pipeline.run("warm ones in black under $60", cid)

    merged = Filters(category="hoodies", color="black", price_max=60)
    assert second.state.query == "hoodies warm"
    assert second.state.filters == merged
    assert second.state.turns == 2
    assert r.extractor.calls[1] == ("warm ones in black under $60", first.state)
    assert r.index.calls == [
        SearchCall("hoodies", Filters(category="hoodies"), 100, "hybrid"),
        SearchCall("hoodies warm black", merged, 100, "hybrid"),
    ]
    assert r.encoder.texts == ["hoodies", "hoodies warm black"]
    assert second.record.turn_index == 1
    assert second.record.state_before == first.state.model_dump(mode="json")
    assert await r.store.get(cid) == second.state


async def test_abstain_skips_retrieval_replies_with_the_nearest_and_keeps_the_remembered_search() -> None:
    r = rig(guard=ScriptedGuard(abstains=[False, True], nearest=[RAIN_JACKET.id, DUFFEL.id]))
    first = await r.pipeline.run("hoodies")
    cid = first.state.conversation_id

    result = await r.pipeline.run("a lawnmower", cid)

    record = result.record
    assert record.abstained
    assert record.guard is not None and record.guard.abstain
    assert record.guard.query == "lawnmower"
    assert record.guard.nearest == [RAIN_JACKET.id, DUFFEL.id]
    assert len(r.index.calls) == 1 and len(r.ranker.calls) == 1  # only the first turn's
    assert r.guard.fenced_calls == 1
    assert record.candidates == [] and record.shown == [] and result.products == []
    assert {"retrieve", "rank", "fence"}.isdisjoint(record.latency_ms)
    ctx = r.responder.contexts[-1]
    assert ctx.nearest == [RAIN_JACKET, DUFFEL]
    assert ctx.products == []
    assert "The closest things in our store are bags, jackets." in record.reply
    # The abstained request does not become the remembered search.
    assert (result.state.query, result.state.filters) == ("hoodies", Filters(category="hoodies"))
    assert result.state.last_results == first.state.last_results
    assert result.state.turns == 2
    assert await r.store.get(cid) == result.state


async def test_add_to_cart_adds_the_referenced_product_in_the_asked_size_without_searching() -> None:
    r = rig()
    before = ConversationState(
        conversation_id="c_cart",
        query="hoodies",
        filters=Filters(category="hoodies"),
        last_results=[FLEECE_HOODIE.id, BLACK_HOODIE.id],
        turns=1,
    )
    await r.store.put(before)

    result = await r.pipeline.run("add the second one in M", "c_cart")

    assert result.state.cart == [hoodie_line()]
    assert (await r.store.get("c_cart")) == result.state
    assert result.products == [BLACK_HOODIE]
    assert (result.state.query, result.state.filters) == (before.query, before.filters)
    assert result.state.last_results == before.last_results
    assert r.encoder.texts == [] and r.index.calls == [] and r.ranker.calls == [] and r.guard.checked == []
    assert {"embed", "retrieve", "rank", "fence"}.isdisjoint(result.record.latency_ms)
    assert result.record.reply.startswith(
        "Added Black Pullover Hoodie (size M, black) at $39.00 to your cart."
    )


async def test_checkout_places_the_order_keyed_by_the_turn_id_and_empties_the_cart() -> None:
    r = rig()
    duffel = CartLine(product_id=DUFFEL.id, name=DUFFEL.name, sku=DUFFEL.sku, color="black", unit_price=55.0)
    before = ConversationState(conversation_id="c_checkout", cart=[hoodie_line(), duffel], turns=3)
    await r.store.put(before)

    result = await r.pipeline.run("checkout", "c_checkout")

    assert len(r.orders.calls) == 1
    placed_from, key = r.orders.calls[0]
    assert key == result.record.turn_id
    assert placed_from.cart == [hoodie_line(), duffel]
    assert result.order is not None
    assert (result.order.order_id, result.order.total, result.order.lines) == ("ord_1", 94.0, before.cart)
    assert result.state.cart == []
    stored = await r.store.get("c_checkout")
    assert stored is not None and stored.cart == []
    assert "checkout" in result.record.latency_ms
    assert r.index.calls == []
    assert result.record.reply.startswith("Order ord_1 is placed: 2 item(s), $94.00.")


async def test_search_unavailable_propagates_and_leaves_the_state_untouched() -> None:
    r = rig()
    first = await r.pipeline.run("hoodies")
    cid = first.state.conversation_id
    r.index.error = SearchUnavailable("search failed: ConnectError")

    with pytest.raises(SearchUnavailable, match="search failed"):
        await r.pipeline.run("in black", cid)

    assert await r.store.get(cid) == first.state
    assert r.logger.records == [first.record]
    assert len(r.responder.contexts) == 1


async def test_search_unavailable_is_a_503_with_retry_after_from_the_chat_route() -> None:
    """The API's mapping, through ``create_app`` and the real ``/v1/chat`` route: the pipeline is
    the fake one (dependency override), the lifespan never runs, so no services are built."""
    r = rig()
    r.index.error = SearchUnavailable("search failed: ConnectError")
    settings = Settings()
    app = create_app(settings)
    app.dependency_overrides[get_pipeline] = lambda: r.pipeline
    app.dependency_overrides[get_settings] = lambda: settings

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/v1/chat", json={"message": "black hoodies"})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "search is temporarily unavailable" in response.json()["detail"]
    assert len(r.index.calls) == 1
    assert r.logger.records == []


async def test_a_turn_that_cannot_be_logged_raises_and_does_not_advance_the_state() -> None:
    r = rig()
    first = await r.pipeline.run("hoodies")
    cid = first.state.conversation_id
    r.logger.error = RuntimeError("database is down")

    with pytest.raises(TurnNotLogged, match="RuntimeError: database is down"):
        await r.pipeline.run("in black", cid)

    assert await r.store.get(cid) == first.state
    assert r.logger.records == [first.record]


async def test_an_unknown_conversation_id_is_refused_before_any_stage_runs() -> None:
    r = rig()

    with pytest.raises(UnknownConversation) as raised:
        await r.pipeline.run("hoodies", "c_never_started")

    assert raised.value.args == ("c_never_started",)
    assert r.extractor.calls == []
    assert r.logger.records == []
    assert await r.store.get("c_never_started") is None
