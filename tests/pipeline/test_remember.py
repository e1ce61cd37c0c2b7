"""``merge``: how one turn changes the remembered search (see the rules in ``state_merge``)."""

from __future__ import annotations

import pytest

from app.domain.turn import ConversationState, Filters, Intent, ShoppingTurn
from app.pipeline.remember import merge


def turn(
    intent: Intent, query: str = "", replace: bool = False, cleared: tuple[str, ...] = (), **filters
) -> ShoppingTurn:
    return ShoppingTurn(
        intent=intent, query=query, filters=Filters(**filters), replace_filters=replace, cleared=list(cleared)
    )


def run(*turns: ShoppingTurn, state: ConversationState | None = None) -> ConversationState:
    state = state or ConversationState(conversation_id="c")
    for t in turns:
        state = merge(state, t)
    return state


HOODIES = turn(Intent.search, "hoodies", category="hoodies")
IN_BLACK = turn(Intent.refine, color="black")
UNDER_50 = turn(Intent.refine, price_max=50)
ACTUALLY_JACKETS = turn(Intent.search, "jackets", replace=True, category="jackets")


def test_hoodies_in_black_under_50_narrows_step_by_step() -> None:
    state = run(HOODIES, IN_BLACK, UNDER_50)
    assert state.filters == Filters(category="hoodies", color="black", price_max=50)
    assert (state.query, state.turns) == ("hoodies", 3)


def test_actually_jackets_starts_over_and_drops_colour_and_price() -> None:
    state = run(HOODIES, IN_BLACK, UNDER_50, ACTUALLY_JACKETS)
    assert state.filters == Filters(category="jackets")
    assert state.query == "jackets"


def test_a_new_search_keeps_who_it_is_for() -> None:
    state = run(
        turn(Intent.search, "hoodies", category="hoodies", gender="women", size="M"), ACTUALLY_JACKETS
    )
    assert state.filters == Filters(category="jackets", gender="women")


def test_a_new_search_can_change_who_it_is_for() -> None:
    state = run(
        turn(Intent.search, "hoodies", category="hoodies", gender="women"),
        turn(Intent.search, "boots", category="boots", gender="men"),
    )
    assert state.filters.gender == "men"


def test_a_search_with_a_new_category_replaces_even_without_the_flag() -> None:
    state = run(HOODIES, IN_BLACK, turn(Intent.search, "boots", category="boots"))
    assert state.filters == Filters(category="boots")


def test_replace_filters_without_a_category_replaces_the_query() -> None:
    state = run(HOODIES, IN_BLACK, turn(Intent.search, "sofa", replace=True))
    assert (state.query, state.filters) == ("sofa", Filters())


def test_a_refinement_overrides_the_field_it_states() -> None:
    state = run(HOODIES, IN_BLACK, turn(Intent.refine, color="red"))
    assert state.filters == Filters(category="hoodies", color="red")


def test_a_refinement_appends_new_description_words_once() -> None:
    state = run(HOODIES, turn(Intent.refine, "warmer"), turn(Intent.refine, "warmer hoodies"))
    assert state.query == "hoodies warmer"


def test_the_cheaper_marker_never_enters_the_remembered_query() -> None:
    assert run(HOODIES, turn(Intent.refine, "cheaper")).query == "hoodies"


@pytest.mark.parametrize(
    ("cleared", "expected"),
    [
        (("color",), Filters(category="hoodies", price_max=50)),
        (("price_min", "price_max"), Filters(category="hoodies", color="black")),
    ],
)
def test_cleared_fields_reset_to_none(cleared: tuple[str, ...], expected: Filters) -> None:
    state = run(HOODIES, IN_BLACK, UNDER_50, turn(Intent.refine, cleared=cleared))
    assert state.filters == expected


def test_clear_and_set_in_one_turn() -> None:
    state = run(HOODIES, IN_BLACK, turn(Intent.refine, cleared=("color",), color="red"))
    assert state.filters.color == "red"


def test_a_new_bound_contradicting_an_old_one_wins() -> None:
    state = run(HOODIES, turn(Intent.refine, price_min=50), turn(Intent.refine, price_max=30))
    assert (state.filters.price_min, state.filters.price_max) == (None, 30)


@pytest.mark.parametrize(
    "intent",
    [
        Intent.compare,
        Intent.product_question,
        Intent.add_to_cart,
        Intent.checkout,
        Intent.smalltalk,
        Intent.out_of_scope,
    ],
)
def test_non_search_intents_leave_the_search_alone(intent: Intent) -> None:
    before = run(HOODIES, IN_BLACK)
    after = merge(before, turn(intent, "red", color="red", size="M", cleared=("color",)))
    assert (after.query, after.filters) == (before.query, before.filters)
    assert after.turns == before.turns + 1


def test_merge_returns_a_new_state_and_leaves_its_input_untouched() -> None:
    before = run(HOODIES)
    snapshot = before.model_dump()
    after = merge(before, IN_BLACK)
    assert after is not before and after.filters is not before.filters
    assert before.model_dump() == snapshot


def test_last_results_and_cart_carry_over() -> None:
    before = run(HOODIES).model_copy(update={"last_results": ["a", "b"]})
    assert merge(before, IN_BLACK).last_results == ["a", "b"]


def test_a_policy_turn_leaves_its_topic_for_the_follow_up() -> None:
    state = merge(ConversationState(conversation_id="c"), ShoppingTurn(intent=Intent.policy, topic="returns"))
    assert (state.last_intent, state.topic) == (Intent.policy, "returns")


def test_a_search_turn_clears_the_store_help_topic() -> None:
    before = ConversationState(conversation_id="c", topic="returns")
    assert merge(before, ShoppingTurn(intent=Intent.search, query="hoodies")).topic is None
