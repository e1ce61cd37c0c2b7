"""Product questions on the LLM backend: a verbatim quote of the product's text, or the rules QA."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from app.catalog.vocabulary import load_vocabulary
from app.domain.catalog import Product
from app.domain.turn import ConversationState, Intent, ShoppingTurn
from app.llm.trace import LlmTurnLog
from app.pipeline.answer.llm_qa import EvidencedAnswer, product_information
from app.pipeline.respond import ResponseContext, RulesResponder
from app.pipeline.respond_help import HelpReplies
from app.pipeline.respond_llm import LlmResponder
from tests.llm import fake_server
from tests.llm.fake_server import FakeLlm

fake_llm_server = fake_server.fake_llm_server  # the scripted server's fixtures, used by name
fake_llm = fake_server.fake_llm

VOCAB = load_vocabulary()
MARS = Product(
    id="m:mh",
    source="m",
    sku="MH",
    name="Mars HeatTech Pullover",
    price=66.0,
    description="Warm fleece pullover with a draw-cord hood. Thumbholes keep sleeves in place.",
    colors=["Black", "Red"],
    sizes=["S", "M", "L"],
    materials=["Fleece"],
    category="hoodies",
)
TEXT = product_information(MARS)
RULES = RulesResponder(HelpReplies(vocabulary=VOCAB))


def validate(payload: dict[str, str]) -> EvidencedAnswer:
    return EvidencedAnswer.model_validate(payload, context={"product_text": TEXT})


def ctx(question: str) -> ResponseContext:
    return ResponseContext(
        turn=ShoppingTurn(intent=Intent.product_question, products=[MARS.id]),
        state=ConversationState(conversation_id="c"),
        products=[MARS],
        message=question,
    )


def responder(fake: FakeLlm, max_retries: int = 1) -> LlmResponder:
    return LlmResponder(fake.client(max_retries=max_retries), RULES, VOCAB, [MARS.name])


def test_a_verbatim_sentence_is_evidence() -> None:
    out = validate({"answer": "yes", "evidence": "Warm fleece pullover with a draw-cord hood."})
    assert (out.answer, out.evidence) == ("yes", "Warm fleece pullover with a draw-cord hood.")


def test_case_and_spacing_do_not_matter() -> None:
    assert (
        validate({"answer": "Yes", "evidence": "warm  fleece pullover with a DRAW-CORD hood"}).answer == "yes"
    )


def test_a_paraphrase_is_rejected() -> None:
    with pytest.raises(ValidationError, match="not in the product information word for word"):
        validate({"answer": "yes", "evidence": "It has a hood with a drawstring."})


def test_a_yes_without_evidence_is_rejected() -> None:
    with pytest.raises(ValidationError, match="the evidence is empty"):
        validate({"answer": "yes", "evidence": ""})


def test_a_one_word_fragment_is_rejected() -> None:
    with pytest.raises(ValidationError, match="is a fragment"):
        validate({"answer": "yes", "evidence": "hood"})


def test_a_whole_short_value_is_evidence() -> None:
    assert validate({"answer": "no", "evidence": "Black, Red"}).evidence == "Black, Red"


def test_unknown_needs_no_evidence_and_keeps_none() -> None:
    assert validate({"answer": "doesn't say", "evidence": "whatever"}).model_dump() == {
        "answer": "unknown",
        "evidence": "",
    }


async def test_the_model_answer_is_the_reply_with_the_product_spelling_of_the_quote(
    fake_llm: FakeLlm,
) -> None:
    fake_llm.answer(json.dumps({"answer": "yes", "evidence": "thumbholes keep sleeves in place"}))
    out = await responder(fake_llm).respond(ctx("does it have thumb holes?"))
    assert (out.backend, out.answer, out.evidence) == ("llm", "yes", "Thumbholes keep sleeves in place")
    assert (
        out.text
        == 'Yes — the Mars HeatTech Pullover\'s product information says: "Thumbholes keep sleeves in place"'
    )


async def test_the_model_reads_only_the_product_information(fake_llm: FakeLlm) -> None:
    fake_llm.answer(json.dumps({"answer": "unknown", "evidence": ""}))
    await responder(fake_llm).respond(ctx("is it machine washable?"))
    user = fake_llm.requests[0]["messages"][-1]["content"]
    assert user.startswith("Product information:\nName: Mars HeatTech Pullover\nDescription: Warm fleece")
    assert user.endswith("Shopper's question: is it machine washable?")


async def test_an_invented_quote_is_re_asked_with_the_reason(fake_llm: FakeLlm) -> None:
    fake_llm.answer(
        json.dumps({"answer": "yes", "evidence": "Fully waterproof shell."}),
        json.dumps({"answer": "unknown", "evidence": ""}),
    )
    out = await responder(fake_llm).respond(ctx("is it waterproof?"))
    assert (out.backend, out.answer) == ("llm", "unknown")
    assert "not in the product information word for word" in json.dumps(fake_llm.requests[1]["messages"])


async def test_invented_quotes_after_every_retry_fall_back_to_the_rules_qa(fake_llm: FakeLlm) -> None:
    wrong = json.dumps({"answer": "yes", "evidence": "Fully waterproof shell."})
    fake_llm.answer(wrong, wrong)
    trace = LlmTurnLog.begin()
    out = await responder(fake_llm).respond(ctx("does it have a hood?"))
    assert out == RULES.compose(ctx("does it have a hood?"))
    assert (out.backend, out.answer, trace.fallbacks) == ("rules", "yes", ["answer: invalid_output"])


async def test_a_server_error_falls_back_to_the_rules_qa(fake_llm: FakeLlm) -> None:
    fake_llm.fail(503)
    trace = LlmTurnLog.begin()
    out = await responder(fake_llm).respond(ctx("does it have a hood?"))
    assert (out.backend, trace.fallbacks) == ("rules", ["answer: server_error"])


async def test_a_stock_question_is_not_sent_to_the_answer_model(fake_llm: FakeLlm) -> None:
    stock = ctx("is it in stock in M?").model_copy(update={"notice": "Yes, size M is in stock."})
    out = await responder(fake_llm).respond(stock)
    assert (out.text, fake_llm.requests) == ("Yes, size M is in stock.", [])
