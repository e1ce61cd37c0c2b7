"""Questions about the product in focus, worded as shoppers word them: after a comparison's pick,
with a colour, size or type that reads like a search, after the product's name, and with a name
word the focus product's own text uses."""

from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product
from app.domain.turn import ConversationState, Filters, Intent, ShoppingTurn
from app.pipeline.references import NameIndex
from app.pipeline.understand import Understander, with_focus


def product(pid: str, name: str, description: str = "", price: float = 50.0) -> Product:
    return Product.model_validate(
        dict(id=pid, source="magento", sku=pid.split(":")[1], name=name, price=price, description=description)
    )


BACKPACK = product("magento:B1", "Endeavor Daytrip Backpack", "Foam-padded adjustable shoulder straps.")
HEELS = product("kibana:h1", "Classic heels with straps")
SHELL = product("magento:S1", "Taurus Elements Shell", "Waterproof, breathable, seam sealed.")
TEE = product("magento:T1", "Radiant Tee", "Salmon soft scoop neck tee.")
CATALOG = [BACKPACK, HEELS, SHELL, TEE]
UNDERSTAND = Understander(NameIndex(CATALOG, ["tee", "shell"]), CatalogSnapshot(CATALOG, "v1"))


def after_question_about(pid: str) -> ConversationState:
    return ConversationState(
        conversation_id="c", focus=pid, last_results=[pid], last_intent=Intent.product_question
    )


def understood(message: str, turn: ShoppingTurn, state: ConversationState) -> ShoppingTurn:
    return UNDERSTAND.understand(message, turn, state)


def test_that_one_after_a_comparison_is_the_pick() -> None:
    state = ConversationState(conversation_id="c", focus=None, last_results=["magento:S1", "magento:T1"])
    turn = ShoppingTurn(intent=Intent.compare, products=["magento:S1", "magento:T1"])
    assert with_focus(state, turn, ["magento:T1", "magento:S1"], answer=None).focus == "magento:T1"


def test_a_search_that_finds_nothing_clears_the_focus() -> None:
    state = ConversationState(conversation_id="c", focus="magento:S1")
    assert with_focus(state, ShoppingTurn(intent=Intent.search), []).focus is None


def test_a_short_colour_question_after_a_question_is_about_that_product() -> None:
    turn = ShoppingTurn(intent=Intent.search, filters=Filters(color="black"))
    out = understood("in black?", turn, after_question_about("magento:T1"))
    assert (out.intent, out.products) == (Intent.product_question, ["magento:T1"])


def test_a_type_said_of_it_after_a_question_is_about_that_product() -> None:
    turn = ShoppingTurn(intent=Intent.search, filters=Filters(category="hoodies"))
    out = understood("is it a pullover", turn, after_question_about("magento:T1"))
    assert (out.intent, out.products) == (Intent.product_question, ["magento:T1"])


def test_a_type_without_it_after_a_question_is_a_search() -> None:
    turn = ShoppingTurn(intent=Intent.search, filters=Filters(category="jackets"))
    assert understood("any jackets?", turn, after_question_about("magento:T1")).intent is Intent.search


def test_a_question_after_the_products_name_is_a_product_question() -> None:
    out = understood(
        "Radiant Tee: can i wear it for yoga",
        ShoppingTurn(intent=Intent.search),
        ConversationState(conversation_id="c"),
    )
    assert (out.intent, out.products) == (Intent.product_question, ["magento:T1"])


def test_an_out_of_remit_cue_in_a_question_about_a_named_product_is_about_the_product() -> None:
    out = understood(
        "taurus elements shell, weather resistant?",
        ShoppingTurn(intent=Intent.search),
        ConversationState(conversation_id="c"),
    )
    assert (out.intent, out.products) == (Intent.product_question, ["magento:S1"])


def test_a_word_of_the_focus_products_text_does_not_name_another_product() -> None:
    out = understood(
        "are the straps padded", ShoppingTurn(intent=Intent.search), after_question_about("magento:B1")
    )
    assert (out.intent, out.products) == (Intent.product_question, ["magento:B1"])


def test_a_part_read_as_a_type_in_a_product_question_stays_on_the_focus() -> None:
    turn = ShoppingTurn(
        intent=Intent.product_question, filters=Filters(category="fitness equipment", material="leather")
    )
    out = understood("is the strap leather", turn, after_question_about("magento:B1"))
    assert (out.intent, out.products) == (Intent.product_question, ["magento:B1"])
