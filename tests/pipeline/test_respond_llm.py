"""The grounded LLM responder: the validator, and the responder over a scripted server."""

from __future__ import annotations

import json

from app.catalog.vocabulary import load_vocabulary
from app.domain.catalog import Product
from app.domain.turn import ConversationState, GuardDecision, Intent, ShoppingTurn
from app.llm.trace import LlmTurnLog
from app.pipeline.respond import ResponseContext, RulesResponder
from app.pipeline.respond_llm import Grounding, LlmResponder, ungrounded
from tests.llm import fake_server
from tests.llm.fake_server import FakeLlm

fake_llm_server = fake_server.fake_llm_server  # the scripted server's fixtures, used by name
fake_llm = fake_server.fake_llm

VOCAB = load_vocabulary()
MONA = Product(
    id="m:1", source="m", sku="1", name="Mona Pullover Hoodlie", price=57.0, colors=["Black", "Purple"],
    sizes=["XS", "S", "M"], category="hoodies",
)  # fmt: skip
ARIEL = Product(
    id="m:2", source="m", sku="2", name="Ariel Roll Sleeve Sweatshirt", price=39.0, colors=["Green"],
    sizes=["M", "L"], category="hoodies",
)  # fmt: skip
GROUNDING = Grounding.of(
    [MONA, ARIEL], VOCAB, catalog_names=["Mona Pullover Hoodlie", "Chaz Kangeroo Hoodie"]
)


def ctx(intent: Intent = Intent.search, abstain: bool = False) -> ResponseContext:
    guard = GuardDecision(abstain=abstain, method="nn", version="1") if abstain else None
    return ResponseContext(
        turn=ShoppingTurn(intent=intent, query="hoodies"),
        state=ConversationState(conversation_id="c", query="hoodies"),
        products=[] if abstain else [MONA, ARIEL],
        guard=guard,
    )


def responder(fake: FakeLlm, max_retries: int = 1) -> LlmResponder:
    names = ["Mona Pullover Hoodlie", "Ariel Roll Sleeve Sweatshirt", "Chaz Kangeroo Hoodie"]
    return LlmResponder(fake.client(max_retries=max_retries), RulesResponder(), VOCAB, names)


def reply(text: str) -> str:
    return json.dumps({"text": text})


GOOD = (
    "The Mona Pullover Hoodlie is $57.00 in black or purple; the Ariel Roll Sleeve Sweatshirt costs $39.00."
)


def test_a_reply_with_only_listed_facts_is_grounded() -> None:
    assert ungrounded(GOOD, GROUNDING, VOCAB) == []


def test_an_invented_price_is_rejected() -> None:
    assert ungrounded("The Mona Pullover Hoodlie is on sale for $45.", GROUNDING, VOCAB) == [
        "states the price $45, which no listed product has"
    ]


def test_a_colour_no_listed_product_has_is_rejected() -> None:
    assert ungrounded("The Ariel Roll Sleeve Sweatshirt also comes in red.", GROUNDING, VOCAB) == [
        "mentions the colour 'red', which no listed product comes in"
    ]


def test_a_size_no_listed_product_has_is_rejected() -> None:
    assert ungrounded("Both come in size XXL.", GROUNDING, VOCAB) == [
        "mentions size XXL, which no listed product has"
    ]


def test_another_catalog_product_is_rejected() -> None:
    assert ungrounded("You might also like the Chaz Kangeroo Hoodie.", GROUNDING, VOCAB) == [
        "mentions 'chaz kangeroo hoodie', which is not one of the listed products"
    ]


def test_a_list_item_must_name_a_listed_product() -> None:
    problems = ungrounded("1. Mona Pullover Hoodlie\n2. Cozy Cloud Hoodie", GROUNDING, VOCAB)
    assert problems == ["lists 'Cozy Cloud Hoodie', which does not name a listed product exactly"]


async def test_a_grounded_reply_is_used_with_the_products(fake_llm: FakeLlm) -> None:
    fake_llm.answer(reply(GOOD))
    out = await responder(fake_llm).respond(ctx())
    assert (out.text, out.product_ids, out.backend) == (GOOD, ["m:1", "m:2"], "llm")


async def test_the_model_sees_only_the_ranked_products(fake_llm: FakeLlm) -> None:
    fake_llm.answer(reply(GOOD))
    await responder(fake_llm).respond(ctx())
    system = fake_llm.requests[0]["messages"][0]["content"]
    assert "1. Mona Pullover Hoodlie — $57.00" in system
    assert "Chaz Kangeroo Hoodie" not in system


async def test_a_hallucinated_price_is_re_asked_with_the_reason(fake_llm: FakeLlm) -> None:
    fake_llm.answer(reply("The Mona Pullover Hoodlie is only $45!"), reply(GOOD))
    trace = LlmTurnLog.begin()
    out = await responder(fake_llm).respond(ctx())
    assert out.text == GOOD
    assert trace.fallbacks == []
    retry_messages = json.dumps(fake_llm.requests[1]["messages"])
    assert "states the price $45" in retry_messages


async def test_hallucinating_after_every_retry_falls_back_to_rules(fake_llm: FakeLlm) -> None:
    fake_llm.answer(reply("Only $45 today!"), reply("Only $45 today, really!"))
    trace = LlmTurnLog.begin()
    out = await responder(fake_llm, max_retries=1).respond(ctx())
    assert out == RulesResponder().compose(ctx())
    assert trace.fallbacks == ["respond: invalid_output"]


async def test_a_server_error_falls_back_to_rules(fake_llm: FakeLlm) -> None:
    fake_llm.fail(502)
    trace = LlmTurnLog.begin()
    out = await responder(fake_llm).respond(ctx())
    assert out.backend == "rules"
    assert trace.fallbacks == ["respond: server_error"]


async def test_an_abstained_turn_never_reaches_the_llm(fake_llm: FakeLlm) -> None:
    out = await responder(fake_llm).respond(ctx(Intent.search, abstain=True))
    assert out.text.startswith("Sorry — that's not something we carry.")
    assert fake_llm.requests == []


async def test_checkout_is_answered_by_rules(fake_llm: FakeLlm) -> None:
    out = await responder(fake_llm).respond(ctx(Intent.checkout))
    assert out.backend == "rules"
    assert fake_llm.requests == []


async def test_a_wrong_position_is_re_asked_with_the_reason(fake_llm: FakeLlm) -> None:
    fake_llm.answer(reply("The second one, the Mona Pullover Hoodlie, is $57.00."), reply(GOOD))
    out = await responder(fake_llm).respond(ctx())
    assert out.text == GOOD
    assert "calls the Mona Pullover Hoodlie 'The second', but it is number 1" in json.dumps(
        fake_llm.requests[1]["messages"]
    )


async def test_a_false_cheapest_after_every_retry_falls_back_to_rules(fake_llm: FakeLlm) -> None:
    wrong = reply("The cheapest is the Mona Pullover Hoodlie at $57.00.")
    fake_llm.answer(wrong, wrong)
    trace = LlmTurnLog.begin()
    out = await responder(fake_llm, max_retries=1).respond(ctx())
    assert (out.backend, trace.fallbacks) == ("rules", ["respond: invalid_output"])
