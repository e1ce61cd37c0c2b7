"""The LLM extraction schema's validators: what real models send, normalised to the store's terms."""

from __future__ import annotations

import pytest

from app.catalog.vocabulary import load_vocabulary
from app.domain.turn import ConversationState, Filters, Intent
from app.pipeline.extract.llm_schema import LlmExtraction, parse_price, to_shopping_turn

CONTEXT = {"vocabulary": load_vocabulary(), "brands": ["Luma", "Oceanavigations"]}


def parse(**fields: object) -> LlmExtraction:
    return LlmExtraction.model_validate({"intent": "search", **fields}, context=CONTEXT)


@pytest.mark.parametrize(
    ("raw", "price"),
    [
        ("$50", 50.0),
        ("50 dollars", 50.0),
        ("50.00", 50.0),
        ("under $1,200", 1200.0),
        (35, 35.0),
        ("30 bucks", 30.0),
    ],
)
def test_prices_written_as_text_become_numbers(raw: object, price: float) -> None:
    assert parse_price(raw) == price


@pytest.mark.parametrize("raw", ["55 inch", "10 kg", "null", "", "cheap", -5, True])
def test_things_that_are_not_prices_are_dropped(raw: object) -> None:
    assert parse_price(raw) is None


def test_the_string_null_means_no_value() -> None:
    x = parse(
        query="null", color="null", price_max="null", category="None", referenced="null", cleared="null"
    )
    assert (x.query, x.color, x.price_max, x.category, x.referenced, x.cleared) == (
        "",
        None,
        None,
        None,
        [],
        [],
    )


def test_colours_categories_and_materials_map_onto_the_catalog_vocabulary() -> None:
    x = parse(color="Navy", category="trainers", material="suede", size="medium", gender="Womens")
    assert (x.color, x.category, x.material, x.size, x.gender) == (
        "blue",
        "sneakers",
        "leather",
        "M",
        "women",
    )


def test_values_the_store_does_not_know_are_dropped() -> None:
    x = parse(color="chartreuse-ish", category="sofas", material="unobtainium", size="55 inch", brand="Acme")
    assert (x.color, x.category, x.material, x.size, x.brand) == (None, None, None, None, None)


def test_brands_take_the_store_spelling() -> None:
    assert parse(brand="oceanavigations").brand == "Oceanavigations"


def test_intent_aliases_and_spacing_are_accepted() -> None:
    assert parse(intent="add to cart").intent is Intent.add_to_cart
    assert parse(intent="Product Question").intent is Intent.product_question


def test_references_accept_ordinal_words_and_strings() -> None:
    assert parse(referenced=["second", "3", "last"]).referenced == [2, 3, -1]


def test_cleared_keeps_only_filter_names() -> None:
    assert parse(cleared=["color", "vibes", "price_max"]).cleared == ["color", "price_max"]


def test_cheaper_is_eighty_percent_of_the_remembered_ceiling() -> None:
    state = ConversationState(conversation_id="c", query="hoodies", filters=Filters(price_max=50))
    turn = to_shopping_turn(parse(intent="refine", relative_price="cheaper"), state)
    assert turn.filters.price_max == 40.0
    assert turn.backend == "llm"


def test_cheaper_without_a_ceiling_leaves_the_marker_word_for_the_ranker() -> None:
    turn = to_shopping_turn(
        parse(intent="refine", relative_price="cheaper"), ConversationState(conversation_id="c")
    )
    assert turn.filters.price_max is None
    assert turn.query == "cheaper"


def test_add_to_cart_carries_only_size_and_colour() -> None:
    x = parse(intent="add_to_cart", size="M", color="black", category="hoodies", price_max=50, referenced=[2])
    turn = to_shopping_turn(x, ConversationState(conversation_id="c"))
    assert turn.filters == Filters(size="M", color="black")
    assert turn.referenced == [2]


def test_out_of_scope_carries_no_filters() -> None:
    turn = to_shopping_turn(
        parse(intent="out_of_scope", query="sofas", color="red"), ConversationState(conversation_id="c")
    )
    assert turn.filters.is_empty()
    assert turn.query == ""
