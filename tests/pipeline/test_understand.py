"""The understand stage: store help before references, named products shown, questions answered
about the referenced product, cross-sell cues, and intents it does not own left alone."""

from app.catalog.snapshot import CatalogSnapshot
from app.domain.turn import ConversationState, Filters, Intent, ShoppingTurn
from app.pipeline.references import NameIndex
from app.pipeline.understand import Understander
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
