"""The order intents: where is my order, cancel my order, what did I order."""

from __future__ import annotations

import pytest

from app.catalog.vocabulary import load_vocabulary
from app.domain.turn import ConversationState, Intent
from app.pipeline.extract.rules import RulesExtractor

EXTRACTOR = RulesExtractor(load_vocabulary(), ["Luma"])
STATE = ConversationState(conversation_id="c_cues")


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("where is my order?", Intent.order_status),
        ("Where's my order", Intent.order_status),
        ("what's the status of my order", Intent.order_status),
        ("has my order shipped yet?", Intent.order_status),
        ("track order ord_0123456789ab", Intent.order_status),
        ("cancel my order", Intent.cancel_order),
        ("please cancel the order ord_0123456789ab", Intent.cancel_order),
        ("I don't want the order anymore", Intent.cancel_order),
        ("show me my orders", Intent.order_history),
        ("what did I order?", Intent.order_history),
        ("order history please", Intent.order_history),
    ],
)
def test_order_questions_get_their_intent(message: str, intent: Intent) -> None:
    assert EXTRACTOR.parse(message, STATE).intent is intent


@pytest.mark.parametrize("message", ["place my order", "checkout", "confirm the order", "buy now"])
def test_placing_an_order_is_still_a_checkout(message: str) -> None:
    assert EXTRACTOR.parse(message, STATE).intent is Intent.checkout


def test_the_order_id_the_shopper_types_is_kept() -> None:
    turn = EXTRACTOR.parse("cancel order ORD_0123456789AB please", STATE)
    assert (turn.intent, turn.order_ref) == (Intent.cancel_order, "ord_0123456789ab")


def test_a_product_search_mentioning_orders_is_not_an_order_question() -> None:
    assert EXTRACTOR.parse("black hoodies to order for my team", STATE).intent in (
        Intent.search,
        Intent.refine,
    )


@pytest.mark.parametrize(
    "message", ["is the third one available in blue?", "is it in stock in M?", "is it sold out in blue?"]
)
def test_a_question_about_availability_is_marked(message: str) -> None:
    state = STATE.model_copy(update={"last_results": ["a", "b", "c"]})
    turn = EXTRACTOR.parse(message, state)
    assert (turn.intent, turn.asks_stock) == (Intent.product_question, True)


def test_the_size_asked_about_is_kept() -> None:
    turn = EXTRACTOR.parse(
        "is the first one in stock in size M?", STATE.model_copy(update={"last_results": ["a"]})
    )
    assert (turn.referenced, turn.filters.size, turn.asks_stock) == ([1], "M", True)


def test_a_question_about_something_else_is_not_about_stock() -> None:
    turn = EXTRACTOR.parse("is the first one waterproof?", STATE.model_copy(update={"last_results": ["a"]}))
    assert (turn.intent, turn.asks_stock) == (Intent.product_question, False)


# A fresh conversation remembers no product type: the size asked about must still be read.
@pytest.mark.parametrize(
    ("message", "size"),
    [
        ("is it in stock in M?", "M"),
        ("is the Hera Pullover Hoodie in stock in XL?", "XL"),
        ("is it available in a small?", "S"),
        ("is the second one sold out in medium", "M"),
        ("is the first one still available in L?", "L"),
        ("is it in stock in 32?", "32"),
        ("is it available in a 30?", "30"),
    ],
)
def test_a_bare_size_in_a_stock_question_is_the_size_asked_about(message: str, size: str) -> None:
    turn = EXTRACTOR.parse(message, STATE.model_copy(update={"last_results": ["a", "b"]}))
    assert (turn.filters.size, turn.asks_stock) == (size, True)


def test_a_colour_in_a_stock_question_is_the_colour_asked_about() -> None:
    turn = EXTRACTOR.parse("is it in stock in black?", STATE)
    assert (turn.intent, turn.filters.color, turn.filters.size, turn.asks_stock) == (
        Intent.product_question,
        "black",
        None,
        True,
    )


@pytest.mark.parametrize(
    "message",
    [
        "I'm in London, is the second one in stock?",
        "is the M&S one in stock?",
        "is it in stock in M&S colours?",
        "is it available in L.A.?",
        "will it be in stock in 10 days?",
        "is the backpack available in large?",  # a bag: "large" describes it, it has no sizes
    ],
)
def test_words_that_are_not_sizes_stay_words_in_a_stock_question(message: str) -> None:
    turn = EXTRACTOR.parse(message, STATE.model_copy(update={"last_results": ["a", "b"]}))
    assert (turn.filters.size, turn.asks_stock) == (None, True)


@pytest.mark.parametrize("message", ["backpacks in M", "I'm in London", "hoodies like M&S ones"])
def test_outside_a_stock_question_a_bare_letter_needs_a_sized_product_type(message: str) -> None:
    assert EXTRACTOR.parse(message, STATE).filters.size is None


def test_the_size_asked_about_is_not_remembered_as_a_search_filter() -> None:
    from app.pipeline.remember import merge

    searched = STATE.model_copy(update={"query": "hoodies", "last_results": ["a", "b"]})
    turn = EXTRACTOR.parse("is the second one in stock in M?", searched)
    assert (turn.filters.size, merge(searched, turn).filters.size) == ("M", None)


@pytest.mark.parametrize(
    "message", ["wheres my stuff?", "where's my parcel", "has my package arrived yet", "where are my items"]
)
def test_what_an_order_becomes_once_shipped_is_an_order_status_question(message: str) -> None:
    assert EXTRACTOR.parse(message, STATE).intent is Intent.order_status


def test_an_order_number_the_redaction_took_for_a_phone_is_still_an_order() -> None:
    assert EXTRACTOR.parse("has my order [PHONE] shipped yet?", STATE).intent is Intent.order_status


def test_where_the_items_are_in_the_store_is_no_order_question() -> None:
    assert EXTRACTOR.parse("where are the items on sale", STATE).intent is not Intent.order_status
