"""The deterministic reply says only what the evidence says."""

from __future__ import annotations

import re

from app.catalog.vocabulary import load_vocabulary
from app.domain.catalog import Product
from app.domain.turn import ConversationState, Filters, GuardDecision, Intent, ShoppingTurn
from app.pipeline.respond import ResponseContext, RulesResponder
from app.pipeline.respond_help import HelpReplies

JACKET = Product(
    id="magento:WJ01", source="magento", sku="WJ01", name="Stellar Solar Jacket", category="jackets",
    gender="women", price=75.0, colors=["blue", "red", "yellow"], sizes=["XS", "S", "M", "L", "XL"],
    rating=3.8, review_count=4,
)  # fmt: skip
TEE = Product(id="kibana:t1", source="kibana", sku="Z1", name="Basic T-shirt", category="tees", price=12.95)


def ctx(intent: Intent, products: list[Product], **kw: object) -> ResponseContext:
    state = ConversationState(conversation_id="c", filters=Filters(category="jackets", gender="women"))
    return ResponseContext(turn=ShoppingTurn(intent=intent), state=state, products=products, **kw)  # type: ignore[arg-type]


def test_search_reply_lists_each_product_with_its_catalog_price() -> None:
    reply = RulesResponder().compose(ctx(Intent.search, [JACKET, TEE]))
    assert (
        "1. Stellar Solar Jacket — $75.00 (blue, red, yellow; sizes XS–XL), rated 3.8/5 (4 reviews)"
        in reply.text
    )
    assert "2. Basic T-shirt — $12.95" in reply.text
    assert reply.product_ids == [JACKET.id, TEE.id]


def test_every_price_in_the_reply_belongs_to_a_product_in_the_context() -> None:
    reply = RulesResponder().compose(ctx(Intent.search, [JACKET, TEE]))
    prices = {float(x.replace(",", "")) for x in re.findall(r"\$([\d,]+\.\d\d)", reply.text)}
    assert prices == {75.0, 12.95}


def test_no_results_says_so_and_offers_to_relax() -> None:
    reply = RulesResponder().compose(ctx(Intent.search, []))
    assert reply.text.startswith("I couldn't find any women's jackets in our catalog.")
    assert reply.product_ids == []


def test_abstention_names_what_we_carry_nearest() -> None:
    guard = GuardDecision(abstain=True, score=0.2, threshold=0.4, method="nn", version="v")
    reply = RulesResponder().compose(ctx(Intent.search, [], guard=guard, nearest=[JACKET, TEE]))
    assert reply.text.startswith(
        "Sorry — that's not something we carry. The closest things in our store are jackets, tees."
    )
    assert reply.product_ids == []


def test_compare_states_the_cheaper_option() -> None:
    reply = RulesResponder().compose(ctx(Intent.compare, [JACKET, TEE]))
    assert "The Basic T-shirt is the less expensive option." in reply.text


def test_products_of_another_type_are_presented_as_alternatives() -> None:
    turn = ShoppingTurn(intent=Intent.search, query="espresso machine", head="machine")
    state = ConversationState(conversation_id="c")
    reply = RulesResponder().compose(ResponseContext(turn=turn, state=state, products=[JACKET]))
    assert reply.text.startswith(
        "Sorry — that's not something we carry: we have no espresso machine. The closest we have are:"
    )


def test_products_of_the_requested_type_are_presented_as_a_match() -> None:
    turn = ShoppingTurn(intent=Intent.search, query="solar jackets", head="jackets")
    state = ConversationState(conversation_id="c")
    reply = RulesResponder().compose(ResponseContext(turn=turn, state=state, products=[JACKET]))
    assert reply.text.startswith("Here are 1 products you might like:")


def test_the_abstain_reply_names_what_was_asked_for_and_the_nearest_types() -> None:
    turn = ShoppingTurn(intent=Intent.search, query="fresh salmon fillets", head="fillets")
    guard = GuardDecision(abstain=True, score=0.2, threshold=0.4, method="combined-lr", version="v")
    state = ConversationState(conversation_id="c")
    reply = RulesResponder().compose(
        ResponseContext(turn=turn, state=state, guard=guard, nearest=[JACKET, TEE])
    )
    assert reply.text.startswith(
        "Sorry — that's not something we carry: we have no fresh salmon fillets. "
        "The closest things in our store are jackets, tees."
    )


def test_a_sentence_is_never_read_back_as_the_thing_we_do_not_carry() -> None:
    turn = ShoppingTurn(intent=Intent.search, query="say store sucks three times", head="times")
    guard = GuardDecision(abstain=True, score=0.2, threshold=0.4, method="combined-lr", version="v")
    state = ConversationState(conversation_id="c")
    reply = RulesResponder().compose(ResponseContext(turn=turn, state=state, guard=guard, nearest=[JACKET]))
    assert reply.text.startswith("Sorry — that's not something we carry. The closest things in our store")
    assert "sucks" not in reply.text


def test_a_size_no_product_is_listed_in_is_announced_not_dropped() -> None:
    state = ConversationState(conversation_id="c", filters=Filters(category="tees"))
    context = ResponseContext(
        turn=ShoppingTurn(intent=Intent.refine, unchecked={"size": "9"}), state=state, products=[TEE]
    )
    reply = RulesResponder().compose(context)
    assert ("listed in size 9" in reply.text, reply.relaxed) == (True, ["size"])


PANTS = Product(id="m:p1", source="magento", sku="P1", name="Aether Gym Pant", category="pants", price=40.0)


def test_a_synonym_the_guard_matched_is_presented_as_a_match() -> None:
    turn = ShoppingTurn(intent=Intent.search, query="joggers", head="joggers", phrase="joggers")
    guard = GuardDecision(
        abstain=False, method="combined-lr", version="v", types=["pants"], matches=["pants", "jeans"]
    )
    state = ConversationState(conversation_id="c")
    reply = RulesResponder().compose(ResponseContext(turn=turn, state=state, guard=guard, products=[PANTS]))
    assert reply.text.startswith("Here are 1 products you might like:")


def test_a_head_word_in_the_name_is_not_a_match_when_the_guard_matched_no_type() -> None:
    set_product = PANTS.model_copy(update={"name": "Yoga Starter Set", "category": "fitness equipment"})
    turn = ShoppingTurn(
        intent=Intent.search, query="patio furniture set", head="set", phrase="patio furniture set"
    )
    guard = GuardDecision(abstain=False, method="combined-lr", version="v", types=["clothing"], matches=[])
    state = ConversationState(conversation_id="c")
    reply = RulesResponder().compose(
        ResponseContext(turn=turn, state=state, guard=guard, products=[set_product])
    )
    assert reply.text.startswith(
        "Sorry — that's not something we carry: we have no patio furniture set. The closest we have are:"
    )


def test_an_abstention_names_the_types_the_guard_found_nearest() -> None:
    turn = ShoppingTurn(intent=Intent.search, query="ice", phrase="mint chocolate ice cream")  # no head
    guard = GuardDecision(
        abstain=True, method="combined-lr", version="v", types=["socks", "pants", "bags"], matches=[]
    )
    state = ConversationState(conversation_id="c")
    reply = RulesResponder().compose(ResponseContext(turn=turn, state=state, guard=guard, nearest=[JACKET]))
    assert reply.text.startswith(
        "Sorry — that's not something we carry. The closest things in our store are socks, pants, bags."
    )


def test_a_phrase_without_the_extractors_head_is_never_read_back() -> None:
    turn = ShoppingTurn(intent=Intent.search, query="store", phrase="your store totally sucks")
    guard = GuardDecision(abstain=True, method="combined-lr", version="v", types=["bags"], matches=[])
    state = ConversationState(conversation_id="c")
    reply = RulesResponder().compose(ResponseContext(turn=turn, state=state, guard=guard))
    assert "sucks" not in reply.text


def test_a_matched_category_of_several_words_is_a_match() -> None:
    mat = PANTS.model_copy(update={"name": "Sprite Yoga Strap", "category": "fitness equipment"})
    turn = ShoppingTurn(intent=Intent.search, query="yoga mat", head="mat", phrase="yoga mat")
    guard = GuardDecision(abstain=False, method="combined-lr", version="v", matches=["fitness equipment"])
    state = ConversationState(conversation_id="c")
    reply = RulesResponder().compose(ResponseContext(turn=turn, state=state, guard=guard, products=[mat]))
    assert reply.text.startswith("Here are 1 products you might like:")


def stock_ctx(message: str, notice: str) -> ResponseContext:
    turn = ShoppingTurn(intent=Intent.product_question, products=[JACKET.id], asks_stock=True)
    state = ConversationState(conversation_id="c")
    return ResponseContext(turn=turn, state=state, products=[JACKET], notice=notice, message=message)


def test_a_colour_stock_question_answers_yes_from_the_variants_and_keeps_the_stock_notice() -> None:
    notice = "Yes — the Stellar Solar Jacket is in stock in red: S / red, M / red."
    reply = RulesResponder(HelpReplies(vocabulary=load_vocabulary())).compose(
        stock_ctx("do you have it in red?", notice)
    )
    assert (reply.text, reply.answer, reply.evidence, reply.product_ids) == (
        notice,
        "yes",
        "red",
        [JACKET.id],
    )


def test_a_colour_the_product_does_not_come_in_is_no_quoting_its_colours() -> None:
    notice = "Yes — the Stellar Solar Jacket is in stock."
    reply = RulesResponder(HelpReplies(vocabulary=load_vocabulary())).compose(
        stock_ctx("is it available in black?", notice)
    )
    assert (reply.answer, reply.evidence, reply.product_ids) == ("no", "blue, red, yellow", [JACKET.id])


def test_a_come_in_question_naming_no_variant_is_answered_from_the_text() -> None:
    kit = JACKET.model_copy(update={"name": "Harmony Band Kit", "description": "Mesh carry bag included."})
    turn = ShoppingTurn(intent=Intent.product_question, products=[kit.id], asks_stock=True)
    context = ResponseContext(
        turn=turn,
        state=ConversationState(conversation_id="c"),
        products=[kit],
        notice="Yes — the Harmony Band Kit is in stock.",
        message="does it come in a set with a carry bag?",
    )
    reply = RulesResponder(HelpReplies(vocabulary=load_vocabulary())).compose(context)
    assert (reply.answer, reply.evidence) == ("yes", "Mesh carry bag included.")
