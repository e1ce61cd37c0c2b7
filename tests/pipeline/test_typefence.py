"""The product-type fence through the turn: what is shown is of the requested type, decided on the
whole fenced list; other types are shown only as alternatives, after every other constraint was
relaxed."""

from __future__ import annotations

import numpy as np

from app.domain.catalog import Product
from app.domain.turn import Filters, GuardDecision, Intent, ShoppingTurn
from app.index.base import SearchHit, SearchMode
from app.pipeline.typefence import of_type, split_by_type
from tests.pipeline.fakes import (
    BLACK_HOODIE,
    DUFFEL,
    RAIN_JACKET,
    ZIP_HOODIE,
    FakeIndex,
    Rig,
    ScriptedExtractor,
    product,
)

HOODIE = ShoppingTurn(intent=Intent.search, query="hoodie", head="hoodie", phrase="hoodie")


def rig(index: FakeIndex, turn: ShoppingTurn = HOODIE) -> Rig:
    return Rig(extractor=ScriptedExtractor({"msg": turn}), index=index)


async def test_the_type_is_decided_on_the_whole_list_not_the_top_k() -> None:
    # the bag and the jacket rank first; the hoodies are third and fourth, show_limit is 2
    r = rig(FakeIndex([DUFFEL.id, RAIN_JACKET.id, BLACK_HOODIE.id, ZIP_HOODIE.id]))
    result = await r.pipeline.run("msg")
    assert result.record.shown == [BLACK_HOODIE.id, ZIP_HOODIE.id]
    assert "closest we have" not in result.record.reply


async def test_other_types_are_shown_only_as_alternatives_and_said_to_be() -> None:
    r = rig(FakeIndex([DUFFEL.id, RAIN_JACKET.id]))
    result = await r.pipeline.run("msg")
    assert result.record.shown == [DUFFEL.id, RAIN_JACKET.id]
    assert "Sorry — that's not something we carry: we have no hoodie. The closest we have are:" in (
        result.record.reply
    )


class ColourIndex(FakeIndex):
    """With a colour filter only the jacket comes back; without one, the hoodies too."""

    def search(
        self, dense: np.ndarray, text: str, filters: Filters, limit: int, mode: SearchMode = "hybrid"
    ) -> list[SearchHit]:
        hits = super().search(dense, text, filters, limit, mode)
        return [h for h in hits if h.product_id == RAIN_JACKET.id] if filters.color else hits


async def test_a_colour_is_relaxed_before_the_type_when_only_other_types_have_it() -> None:
    turn = HOODIE.model_copy(update={"filters": Filters(color="yellow")})
    r = rig(ColourIndex([RAIN_JACKET.id, BLACK_HOODIE.id]), turn)
    result = await r.pipeline.run("msg")
    assert (result.record.relaxed, result.record.shown) == (["color"], [BLACK_HOODIE.id])
    assert "relaxed the colour" in result.record.reply


class GenderIndex(FakeIndex):
    """Nothing is made for the asked gender."""

    def search(
        self, dense: np.ndarray, text: str, filters: Filters, limit: int, mode: SearchMode = "hybrid"
    ) -> list[SearchHit]:
        return [] if filters.gender else super().search(dense, text, filters, limit, mode)


async def test_the_gender_is_relaxed_before_the_type() -> None:
    turn = HOODIE.model_copy(update={"filters": Filters(category="hoodies", gender="men")})
    result = await rig(GenderIndex([BLACK_HOODIE.id]), turn).pipeline.run("msg")
    assert (result.record.relaxed, result.record.shown) == (["gender"], [BLACK_HOODIE.id])
    assert "relaxed the gender" in result.record.reply


async def test_a_refinement_names_no_type_and_nothing_is_fenced_on_type() -> None:
    refine = ShoppingTurn(intent=Intent.refine, query="", filters=Filters(color="black"))
    result = await rig(FakeIndex([DUFFEL.id, BLACK_HOODIE.id]), refine).pipeline.run("msg")
    assert result.record.shown == [DUFFEL.id, BLACK_HOODIE.id]


def test_a_product_of_the_category_filter_is_of_the_type_whatever_the_guard_matched() -> None:
    turn = ShoppingTurn(intent=Intent.search, head="top", filters=Filters(category="jackets"))
    decision = GuardDecision(abstain=False, method="m", version="v", matches=["pants", "top"])
    assert of_type(RAIN_JACKET, turn, decision)


def test_a_department_in_the_category_path_does_not_make_a_match() -> None:
    dress = Product.model_validate(
        {**product("D1", "Dress", "dresses", 30.0).model_dump(), "category_path": ["Women", "Clothing"]}
    )
    cape = Product.model_validate(
        {**product("C1", "Cape", "clothing", 30.0).model_dump(), "category_path": ["Women", "Clothing"]}
    )
    turn = ShoppingTurn(intent=Intent.search, head="cape", phrase="red cape")
    decision = GuardDecision(abstain=False, method="m", version="v", matches=["clothing", "cape"])
    assert split_by_type([dress, cape], turn, decision) == ([cape], [dress])


def test_a_need_names_no_type() -> None:
    need = ShoppingTurn(intent=Intent.search, need=True, query="camping hiking")
    assert split_by_type([DUFFEL], need, None) == ([DUFFEL], [])
