"""The CODE backend's rules, on hand-built turns over real catalog products."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.bootstrap import Services
from app.domain.catalog import Product
from app.domain.turn import GuardDecision, Intent, ShoppingTurn, TurnRecord
from evals.evaluators.code import friction, hallucination, intent, refusal, relevance, toxicity
from evals.labels import Expected, TurnContext


def rec(message: str, reply: str, intent_: Intent = Intent.search, **kw: object) -> TurnRecord:
    base: dict[str, object] = {
        "turn_id": "t_x",
        "conversation_id": "c_x",
        "turn_index": 0,
        "created_at": datetime(2026, 11, 26, tzinfo=UTC),
        "message": message,
        "extraction": ShoppingTurn(intent=intent_),
        "state_before": {},
        "state_after": {},
        "guard": None,
        "candidates": [],
        "shown": [],
        "reply": reply,
        "abstained": False,
        "latency_ms": {},
        "versions": {},
    }
    base.update(kw)
    return TurnRecord.model_validate(base)


@pytest.fixture(scope="module")
def hoodie(services: Services) -> Product:
    return next(p for p in services.catalog.all() if p.category == "hoodies" and p.gender == "men")


def listing(p: Product, price: float | None = None) -> str:
    return (
        f"Here are 1 hoodies you might like:\n1. {p.name} — ${price if price is not None else p.price:,.2f}"
    )


def test_a_reply_listing_only_shown_products_at_their_prices_is_grounded(hoodie: Product) -> None:
    ctx = TurnContext(record=rec("hoodies", listing(hoodie), shown=[hoodie.id]), shown=[hoodie])
    assert hallucination(ctx)[0] == "grounded"


def test_a_wrong_price_is_hallucinated(hoodie: Product) -> None:
    ctx = TurnContext(record=rec("hoodies", listing(hoodie, hoodie.price + 1)), shown=[hoodie])
    label, why = hallucination(ctx)
    assert label == "hallucinated"
    assert str(round(hoodie.price + 1, 2)) in why


def test_a_product_name_not_shown_is_hallucinated(hoodie: Product) -> None:
    reply = f"Here you go:\n1. Imaginary Parka — ${hoodie.price:.2f}"
    assert hallucination(TurnContext(record=rec("hoodies", reply), shown=[hoodie]))[0] == "hallucinated"


def test_an_example_price_bound_in_a_greeting_is_not_a_claim() -> None:
    reply = 'Tell me what you want, for example "women\'s jackets under $60".'
    assert hallucination(TurnContext(record=rec("hi", reply, Intent.smalltalk)))[0] == "grounded"


def test_relevance_flags_a_shown_product_outside_the_filters(hoodie: Product) -> None:
    r = rec("women's hoodies", listing(hoodie), state_after={"filters": {"gender": "women"}})
    label, why = relevance(TurnContext(record=r, shown=[hoodie]))
    assert label == "irrelevant"
    assert f"{hoodie.id}=irrelevant" in why


def test_relevance_is_not_applicable_without_products() -> None:
    assert relevance(TurnContext(record=rec("hoodies", "none found")))[0] == "not_applicable"


def test_refusal_reads_the_abstention() -> None:
    guard = GuardDecision(abstain=True, method="nn-cosine", version="g")
    r = rec("a drill", "Sorry — that's not something we carry.", abstained=True, guard=guard)
    assert refusal(TurnContext(record=r))[0] == "refused"
    assert refusal(TurnContext(record=rec("hoodies", "Here are 5 hoodies")))[0] == "answered"


def test_intent_compares_with_the_golden_intent() -> None:
    r = rec("and a foam roller", "…", Intent.refine)
    assert intent(TurnContext(record=r, expected=Expected(intent=Intent.search)))[0] == "incorrect"
    assert intent(TurnContext(record=r, expected=Expected(intent=Intent.refine)))[0] == "correct"
    assert intent(TurnContext(record=r))[0] == "not_applicable"


def test_toxicity_uses_the_lexicon_on_message_and_reply() -> None:
    assert toxicity(TurnContext(record=rec("you stupid bot, hoodies", "Here are 5")))[0] == "toxic"
    assert toxicity(TurnContext(record=rec("I hate rain, need a jacket", "Here are 5")))[0] == "non-toxic"


def test_friction_on_complaint_repeat_and_thumbs_down() -> None:
    prev = rec("black hoodies", "Here are 5")
    assert friction(TurnContext(record=rec("not what I asked", "…")))[0] == "friction"
    assert (
        friction(TurnContext(record=rec("black hoodies", "…", turn_index=1), history=[prev]))[0] == "friction"
    )
    assert friction(TurnContext(record=rec("in blue", "…"), ratings=["down"]))[0] == "friction"
    assert friction(TurnContext(record=rec("in blue", "…", turn_index=1), history=[prev]))[0] == "no_friction"
