"""The explore stage: a seeded, reproducible random order of the top k shown on a share of turns,
and the positions every turn logs (``app/pipeline/explore.py``)."""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import ValidationError

from app.domain.turn import Filters, Intent, ShoppingTurn, TurnRecord
from app.pipeline.explore import Explorer, explorer_for
from app.settings import Settings
from tests.pipeline.fakes import (
    BLACK_HOODIE,
    CROPPED_HOODIE,
    FLEECE_HOODIE,
    ZIP_HOODIE,
    FakeIndex,
    Rig,
    ScriptedExtractor,
    ScriptedRanker,
)

HOODIES = [BLACK_HOODIE, ZIP_HOODIE, FLEECE_HOODIE, CROPPED_HOODIE]
SCRIPT = {
    "hoodies": ShoppingTurn(intent=Intent.search, query="hoodies", filters=Filters(category="hoodies")),
    "add the second one": ShoppingTurn(intent=Intent.add_to_cart, referenced=[2]),
}
RANKED = [FLEECE_HOODIE.id, CROPPED_HOODIE.id, BLACK_HOODIE.id, ZIP_HOODIE.id]


def rig(explorer: Explorer | None) -> Rig:
    r = Rig(
        extractor=ScriptedExtractor(SCRIPT),
        index=FakeIndex([p.id for p in HOODIES]),
        ranker=ScriptedRanker(RANKED),
        show_limit=4,
    )
    r.pipeline.explorer = explorer
    return r


def test_the_share_of_exploring_turns_is_the_configured_share() -> None:
    explorer = Explorer(share=0.1, top_k=3)
    explored = sum(explorer.explores(f"t_{i:06d}") for i in range(20_000))
    assert explored / 20_000 == pytest.approx(0.1, abs=0.006)  # 4.5 standard errors


def test_the_order_is_reproducible_from_the_turn_id_and_permutes_only_the_top_k() -> None:
    explorer = Explorer(share=1.0, top_k=3)
    order = explorer.replay("t_abc", 5)
    assert order == explorer.replay("t_abc", 5)
    assert sorted(order[:3]) == [0, 1, 2] and order[3:] == [3, 4]
    orders = {tuple(explorer.replay(f"t_{i}", 5)) for i in range(200)}
    assert len(orders) == 6  # every order of the top 3 occurs


def test_each_product_of_the_block_lands_in_each_slot_equally_often() -> None:
    explorer = Explorer(share=1.0, top_k=3)
    first = Counter(explorer.replay(f"t_{i}", 5)[0] for i in range(9_000))
    assert set(first) == {0, 1, 2}
    assert all(abs(n / 9_000 - 1 / 3) < 0.02 for n in first.values())


async def test_an_exploring_turn_shows_the_permuted_order_and_logs_every_slot() -> None:
    r = rig(Explorer(share=1.0, top_k=3))

    result = await r.pipeline.run("hoodies")

    record = result.record
    order = Explorer(share=1.0, top_k=3).replay(record.turn_id, 4)
    assert record.shown == [RANKED[i] for i in order]
    assert result.state.last_results == record.shown
    assert (record.explore_k, record.explore_share) == (3, 1.0)
    assert record.explore_seed == Explorer(share=1.0, top_k=3).seed(record.turn_id)
    assert [(s.product_id, s.position, s.ranker_position) for s in record.position_shown] == [
        (RANKED[src], slot, src) for slot, src in enumerate(order)
    ]
    assert [s.randomised for s in record.position_shown] == [True, True, True, False]
    assert [s.chance for s in record.position_shown] == [pytest.approx(1 / 3)] * 3 + [1.0]
    assert [c.product_id for c in record.candidates] == RANKED  # the ranker's order stays logged


async def test_a_reference_after_an_exploring_turn_means_what_the_shopper_saw() -> None:
    # k = 2 permutes the ranker's top two, both sold in one size only, so the add never stops to ask
    # for a size whichever order the (random) turn id draws.
    r = rig(Explorer(share=1.0, top_k=2))
    first = await r.pipeline.run("hoodies")

    second = await r.pipeline.run("add the second one", first.state.conversation_id)

    assert [line.product_id for line in second.state.cart] == [first.record.shown[1]]


async def test_a_turn_that_does_not_explore_logs_the_ranker_order_and_the_share() -> None:
    explorer = Explorer(share=0.5, top_k=3)
    r = rig(explorer)
    while True:
        result = await r.pipeline.run("hoodies")
        if not explorer.explores(result.record.turn_id):
            break
    record = result.record
    assert record.shown == RANKED
    assert (record.explore_k, record.explore_share, record.explore_seed) == (0, 0.5, None)
    assert [(s.position, s.ranker_position, s.randomised) for s in record.position_shown] == [
        (i, i, False) for i in range(4)
    ]


async def test_without_an_explorer_positions_are_logged_in_place() -> None:
    result = await rig(None).pipeline.run("hoodies")
    record = result.record
    assert record.shown == RANKED
    assert (record.explore_k, record.explore_share) == (0, 0.0)
    assert [s.product_id for s in record.position_shown] == RANKED
    assert "explore" not in record.latency_ms


async def test_a_record_logged_before_exploring_existed_still_reads() -> None:
    record = (await rig(None).pipeline.run("hoodies")).record
    old = record.model_dump(mode="json")
    for key in ("explore_k", "explore_share", "explore_seed", "position_shown"):
        del old[key]
    again = TurnRecord.model_validate(old)
    facts = (again.explore_k, again.explore_share, again.explore_seed, again.position_shown)
    assert facts == (0, 0.0, None, [])


def test_exploring_is_off_by_default_and_needs_positions_to_permute() -> None:
    assert explorer_for(Settings().explore_share, Settings().explore_top_k) is None
    with pytest.raises(ValidationError, match="CTP_EXPLORE_TOP_K >= 2"):
        Settings(explore_share=0.05, explore_top_k=1)
    assert explorer_for(0.05, 3) == Explorer(0.05, 3)


def test_exploring_and_interleaving_are_refused_together() -> None:
    with pytest.raises(ValidationError, match="exclusive"):
        Settings(explore_share=0.05, explore_top_k=3, interleave="lightgbm,heuristic")
