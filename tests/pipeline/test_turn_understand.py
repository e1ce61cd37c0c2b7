"""The turn with the understand and relax stages: a named product is answered about without a
search, a policy question quotes the policy, and an unmeetable size is relaxed and said."""

from __future__ import annotations

import numpy as np

from app.catalog.vocabulary import load_vocabulary
from app.domain.catalog import Product
from app.domain.turn import ConversationState, Filters, Intent, ShoppingTurn
from app.index.base import SearchHit, SearchMode
from app.pipeline.references import NameIndex
from app.pipeline.respond import RulesResponder
from app.pipeline.respond_help import HelpReplies
from app.pipeline.understand import Understander
from app.policy.document import load_policy
from app.policy.router import TOPICS
from tests.pipeline.fakes import (
    BLACK_HOODIE,
    DUFFEL,
    PRODUCTS,
    RAIN_JACKET,
    ZIP_HOODIE,
    FakeIndex,
    Rig,
    ScriptedExtractor,
)

SCRIPT = {
    "does the Rain Shell Jacket have a hood?": ShoppingTurn(intent=Intent.product_question),
    "what's your return policy?": ShoppingTurn(intent=Intent.smalltalk),
    "black hoodies in XL": ShoppingTurn(
        intent=Intent.search, query="hoodies", filters=Filters(category="hoodies", color="black", size="XL")
    ),
}


class SizeBlindIndex(FakeIndex):
    """Nothing carries a size: any size filter empties the result."""

    def search(
        self, dense: np.ndarray, text: str, filters: Filters, limit: int, mode: SearchMode = "hybrid"
    ) -> list[SearchHit]:
        hits = super().search(dense, text, filters, limit, mode)
        return [] if filters.size else hits


def rig() -> Rig:
    r = Rig(extractor=ScriptedExtractor(SCRIPT), index=SizeBlindIndex([BLACK_HOODIE.id]))
    vocab = load_vocabulary()
    r.pipeline.understander = Understander(NameIndex(PRODUCTS, ["jacket", "hoodie", "black"]), r.catalog)
    r.responder.inner = RulesResponder(HelpReplies(load_policy(required=TOPICS), vocab))
    return r


async def test_a_question_naming_a_product_is_answered_about_it_without_a_search() -> None:
    r = rig()
    result = await r.pipeline.run("does the Rain Shell Jacket have a hood?")
    assert result.record.extraction.intent is Intent.product_question
    assert result.record.shown == [RAIN_JACKET.id]
    assert result.record.answer == "unknown"  # its text says nothing about a hood
    assert r.index.calls == []


async def test_a_policy_question_quotes_the_policy_not_the_greeting() -> None:
    result = await rig().pipeline.run("what's your return policy?")
    assert result.record.extraction.topic == "returns"
    assert "30 days" in result.record.reply and "Hi!" not in result.record.reply


async def test_an_unmeetable_size_is_relaxed_and_said() -> None:
    result = await rig().pipeline.run("black hoodies in XL")
    assert result.record.relaxed == ["size"]
    assert result.record.shown == [BLACK_HOODIE.id]
    assert "relaxed the size" in result.record.reply


class HoodiesOnly:
    """A cross-seller whose complements are all hoodies."""

    def recommend(self, anchor_ids: list[str], limit: int = 5) -> list[Product]:
        return [BLACK_HOODIE, ZIP_HOODIE][:limit]


def cross_sell_rig(category: str) -> Rig:
    script = {"a bag to go with it": ShoppingTurn(intent=Intent.search, filters=Filters(category=category))}
    r = Rig(extractor=ScriptedExtractor(script), index=FakeIndex([DUFFEL.id]))
    r.pipeline.understander = Understander(NameIndex(PRODUCTS, ["jacket", "hoodie", "black"]), r.catalog)
    r.pipeline.cross_sell = HoodiesOnly()
    return r


async def test_a_wanted_type_the_recommender_lacks_is_found_by_meaning_near_the_anchor() -> None:
    r = cross_sell_rig("bags")
    await r.store.put(ConversationState(conversation_id="c1", focus=RAIN_JACKET.id))
    result = await r.pipeline.run("a bag to go with it", "c1")
    assert (result.record.shown, r.index.calls[0].filters.category) == ([DUFFEL.id], "bags")


async def test_the_anchors_own_type_is_not_the_wanted_type() -> None:
    r = cross_sell_rig("jackets")  # "... with this jacket": the jacket is the anchor
    await r.store.put(ConversationState(conversation_id="c1", focus=RAIN_JACKET.id))
    result = await r.pipeline.run("a bag to go with it", "c1")
    assert (result.record.shown, r.index.calls) == ([BLACK_HOODIE.id, ZIP_HOODIE.id], [])
