"""The understand stage: store help before references, named products shown, questions answered
about the referenced product, cross-sell cues, and intents it does not own left alone."""

import pytest

from app.catalog.snapshot import CatalogSnapshot
from app.domain.turn import ConversationState, Filters, Intent, ShoppingTurn
from app.pipeline.references import NameIndex
from app.pipeline.understand import Understander, with_focus
from tests.pipeline.test_references import CATALOG, STOP

UNDERSTAND = Understander(NameIndex(CATALOG, STOP), CatalogSnapshot(CATALOG, "v1"))
STATE = ConversationState(conversation_id="c", last_results=["magento:MJ09", "magento:MJ10"])


def understood(message: str, intent: Intent = Intent.smalltalk, **kw: object) -> ShoppingTurn:
    return UNDERSTAND.understand(message, ShoppingTurn(intent=intent, **kw), STATE)  # type: ignore[arg-type]


def test_a_policy_question_is_routed_not_greeted() -> None:
    turn = understood("what's your return policy?")
    assert (turn.intent, turn.topic) == (Intent.policy, "returns")


def test_an_account_request_gets_the_honest_out_of_remit() -> None:
    turn = understood("how do I change my password")
    assert (turn.intent, turn.topic) == (Intent.out_of_scope, "out_of_remit")


def test_a_named_product_is_shown_not_searched() -> None:
    turn = understood("the kenobi jacket", Intent.search, filters=Filters(category="jackets"))
    assert (turn.intent, turn.products) == (Intent.show_product, ["magento:MJ10"])


def test_a_question_about_a_named_product_is_a_product_question() -> None:
    turn = understood("Is the Taurus Elements Shell waterproof?", Intent.search)
    assert (turn.intent, turn.products) == (Intent.product_question, ["magento:MJ09"])


def test_a_question_about_the_second_one_targets_that_product() -> None:
    turn = understood("does the second one have a hood?", Intent.product_question, referenced=[2])
    assert turn.products == ["magento:MJ10"]


def test_what_goes_with_it_is_cross_sell() -> None:
    assert understood("what goes with it?").intent is Intent.cross_sell


def test_a_checkout_command_is_left_alone() -> None:
    assert understood("pay now", Intent.checkout).intent is Intent.checkout


def test_a_stock_cue_about_the_product_it_points_at_asks_for_stock() -> None:
    """ "do you have it in a small?" reads as a refinement until "it" resolves to the product in focus."""
    focused = STATE.model_copy(update={"focus": "magento:MJ10"})
    turn = UNDERSTAND.understand(
        "do you have it in a small?", ShoppingTurn(intent=Intent.refine, filters=Filters(size="S")), focused
    )
    assert (turn.intent, turn.products, turn.filters.size, turn.asks_stock) == (
        Intent.product_question,
        ["magento:MJ10"],
        "S",
        True,
    )


def test_a_stock_question_about_a_named_product_asks_for_stock() -> None:
    turn = understood("is the Taurus Elements Shell in stock in M?", Intent.search, filters=Filters(size="M"))
    assert (turn.intent, turn.products, turn.asks_stock) == (Intent.product_question, ["magento:MJ09"], True)


def test_a_question_without_a_stock_cue_does_not_ask_for_stock() -> None:
    turn = understood("Is the Taurus Elements Shell waterproof?", Intent.search)
    assert turn.asks_stock is False


def _state(**kw: object) -> ConversationState:
    return STATE.model_copy(update=kw)


def test_a_follow_up_question_stays_on_the_store_help_topic() -> None:
    state = _state(last_intent=Intent.policy, topic="returns")
    turn = UNDERSTAND.understand("and what if it doesnt fit?", ShoppingTurn(intent=Intent.smalltalk), state)
    assert (turn.intent, turn.topic) == (Intent.policy, "returns")


def test_without_a_store_help_topic_an_elliptical_question_is_not_store_help() -> None:
    assert understood("and what if it doesnt fit?").intent is not Intent.policy


def test_a_question_that_is_not_ours_gets_the_honest_answer_not_the_greeting() -> None:
    turn = understood("can you recommend a good dentist?")
    assert (turn.intent, turn.topic) == (Intent.out_of_scope, "out_of_remit")


@pytest.mark.parametrize("message", ["who are you?", "how does this work?", "what can you do?"])
def test_a_question_about_the_assistant_keeps_the_greeting_that_answers_it(message: str) -> None:
    assert understood(message).intent is Intent.smalltalk


@pytest.mark.parametrize(
    "message",
    [
        "what else do i need for yoga with this",
        "what would complete an office look with this bag",
        "and a dress to wear them with",
    ],
)
def test_asking_for_other_things_for_this_product_is_cross_sell(message: str) -> None:
    assert understood(message, Intent.search).intent is Intent.cross_sell


def test_a_product_type_alone_after_cross_sell_narrows_the_cross_sell() -> None:
    state = _state(last_intent=Intent.cross_sell, focus="magento:MJ09")
    turn = UNDERSTAND.understand(
        "specifically a top", ShoppingTurn(intent=Intent.search, filters=Filters(category="tops")), state
    )
    assert turn.intent is Intent.cross_sell


def test_a_product_type_after_a_search_is_still_a_search() -> None:
    state = _state(last_intent=Intent.search)
    turn = UNDERSTAND.understand(
        "specifically a top", ShoppingTurn(intent=Intent.search, filters=Filters(category="tops")), state
    )
    assert turn.intent is Intent.search


def test_add_it_adds_the_product_in_focus() -> None:
    state = _state(focus="magento:MJ10")
    turn = UNDERSTAND.understand(
        "add it in L", ShoppingTurn(intent=Intent.add_to_cart, filters=Filters(size="L")), state
    )
    assert turn.products == ["magento:MJ10"]


def test_a_search_showing_several_products_clears_the_focus() -> None:
    state = _state(focus="magento:MJ10")
    after = with_focus(state, ShoppingTurn(intent=Intent.search), ["magento:MJ09", "magento:MJ10"])
    assert after.focus is None


def test_a_stated_size_no_product_is_listed_in_is_kept_as_unchecked() -> None:
    turn = understood("size 9", Intent.refine)
    assert turn.unchecked == {"size": "9"}


def test_a_size_the_extractor_read_is_not_unchecked() -> None:
    assert understood("size M", Intent.refine, filters=Filters(size="M")).unchecked == {}


def test_a_named_product_with_a_size_is_picked_for_the_cart() -> None:
    turn = understood(
        "Kenobi Trail Jacket, M, black", Intent.search, filters=Filters(size="M", color="black")
    )
    assert (turn.intent, turn.products) == (Intent.add_to_cart, ["magento:MJ10"])


def test_and_the_named_product_after_an_add_is_another_add() -> None:
    state = _state(last_intent=Intent.add_to_cart)
    turn = UNDERSTAND.understand("and the Kenobi Trail Jacket", ShoppingTurn(intent=Intent.search), state)
    assert (turn.intent, turn.products) == (Intent.add_to_cart, ["magento:MJ10"])


def test_and_the_named_product_after_a_search_is_shown() -> None:
    state = _state(last_intent=Intent.show_product)
    turn = UNDERSTAND.understand("and the Kenobi Trail Jacket", ShoppingTurn(intent=Intent.search), state)
    assert turn.intent is Intent.show_product


def with_state(message: str, intent: Intent, state: ConversationState, **kw: object) -> ShoppingTurn:
    return UNDERSTAND.understand(message, ShoppingTurn(intent=intent, **kw), state)  # type: ignore[arg-type]


def test_asking_to_find_a_sku_shows_it() -> None:
    turn = understood("the tag on my old hoodie says MH01-M-Black, can you find that one?", Intent.search)
    assert (turn.intent, turn.products) == (Intent.show_product, ["magento:MH01"])


def test_do_you_have_a_named_product_shows_it() -> None:
    turn = understood("do you have the Kenobi Trail Jacket", Intent.product_question)
    assert (turn.intent, turn.products) == (Intent.show_product, ["magento:MJ10"])


def test_a_new_question_after_store_help_does_not_stay_on_its_topic() -> None:
    state = _state(last_intent=Intent.policy, topic="returns", last_results=[])
    turn = UNDERSTAND.understand("what's the cheapest?", ShoppingTurn(intent=Intent.search), state)
    assert turn.intent is not Intent.policy


def test_a_question_about_adding_to_a_placed_order_is_store_help() -> None:
    turn = understood("I missed some items in purchase [PHONE], can I add them?", Intent.add_to_cart)
    assert (turn.intent, turn.topic) == (Intent.policy, "order_status")


def test_adding_the_product_in_focus_is_still_a_cart_action() -> None:
    state = _state(focus="magento:MJ10")
    turn = UNDERSTAND.understand("can you add it in L?", ShoppingTurn(intent=Intent.add_to_cart), state)
    assert (turn.intent, turn.products) == (Intent.add_to_cart, ["magento:MJ10"])


def test_do_you_have_it_in_a_colour_stays_a_question() -> None:
    turn = understood(
        "do you have the Kenobi Trail Jacket in blue?", Intent.refine, filters=Filters(color="blue")
    )
    assert (turn.intent, turn.products) == (Intent.product_question, ["magento:MJ10"])


def test_the_other_one_is_shown_even_when_read_as_a_refinement() -> None:
    focused = STATE.model_copy(update={"focus": "magento:MJ10"})
    turn = with_state("hm no, the other one", Intent.refine, focused)
    assert (turn.intent, turn.products) == (Intent.show_product, ["magento:MJ09"])


def test_a_position_read_as_a_search_is_shown() -> None:
    turn = understood("now the last one", Intent.search)
    assert (turn.intent, turn.products) == (Intent.show_product, ["magento:MJ10"])


def test_a_bare_pointer_read_as_a_product_question_is_shown() -> None:
    turn = understood("the second one", Intent.product_question, referenced=[2])
    assert (turn.intent, turn.products) == (Intent.show_product, ["magento:MJ10"])


def test_a_filterless_question_is_about_the_product_in_focus() -> None:
    focused = STATE.model_copy(update={"focus": "magento:MJ10"})
    turn = with_state("water resistant too?", Intent.search, focused, query="water resistant")
    assert (turn.intent, turn.products) == (Intent.product_question, ["magento:MJ10"])


def test_asking_for_something_else_is_not_about_the_focus() -> None:
    focused = STATE.model_copy(update={"focus": "magento:MJ10"})
    assert with_state("what else do you have?", Intent.search, focused).intent is Intent.search


def test_which_question_naming_a_shown_product_word_compares_the_shown() -> None:
    turn = understood("which of these two is the Kenobi one?", Intent.product_question)
    assert (turn.intent, turn.products) == (Intent.compare, ["magento:MJ09", "magento:MJ10"])


def test_add_one_right_after_a_question_adds_the_product_in_focus() -> None:
    asked = ConversationState(conversation_id="c", focus="magento:MJ10", last_results=[])
    turn = with_state(
        "add one in L, orange", Intent.add_to_cart, asked, filters=Filters(size="L", color="orange")
    )
    assert (turn.intent, turn.products) == (Intent.add_to_cart, ["magento:MJ10"])


def test_tell_me_more_about_a_pointed_product_stays_a_product_question() -> None:
    turn = understood("tell me more about the second one", Intent.product_question, referenced=[2])
    assert (turn.intent, turn.products) == (Intent.product_question, ["magento:MJ10"])


def test_do_you_have_a_named_product_in_stock_asks_for_stock() -> None:
    turn = understood("do you have the Kenobi Trail Jacket in stock?", Intent.search)
    assert (turn.intent, turn.products, turn.asks_stock) == (Intent.product_question, ["magento:MJ10"], True)


def test_a_name_match_of_another_type_than_the_one_asked_for_names_nothing() -> None:
    turn = understood(
        "a kenobi trail pant in size 32", Intent.search, head="pant", filters=Filters(category="pants")
    )
    assert (turn.intent, turn.products) == (Intent.search, [])


def test_a_named_product_the_shopper_calls_by_another_type_word_is_still_named() -> None:
    turn = understood(
        "the Mars HeatTech Pullover", Intent.search, head="pullover", filters=Filters(category="hoodies")
    )
    assert (turn.intent, turn.products) == (Intent.show_product, ["magento:MH01"])
