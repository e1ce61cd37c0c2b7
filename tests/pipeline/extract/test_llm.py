"""The LLM extractor over a scripted OpenAI-compatible server: the real openai + instructor path."""

from __future__ import annotations

import json

from app.catalog.snapshot import CatalogSnapshot
from app.catalog.vocabulary import load_vocabulary
from app.domain.catalog import Product
from app.domain.turn import ConversationState, Filters, Intent
from app.llm.breaker import CircuitBreaker
from app.llm.trace import LlmTurnLog
from app.pipeline.extract.llm import LlmExtractor
from app.pipeline.extract.rules import RulesExtractor
from tests.llm import fake_server
from tests.llm.fake_server import FakeLlm

fake_llm_server = fake_server.fake_llm_server  # the scripted server's fixtures, used by name
fake_llm = fake_server.fake_llm

BRANDS = ["Luma"]
STATE = ConversationState(conversation_id="c")


def extractor(fake: FakeLlm, catalog: CatalogSnapshot | None = None, **client: object) -> LlmExtractor:
    vocab = load_vocabulary()
    return LlmExtractor(fake.client(**client), vocab, BRANDS, RulesExtractor(vocab, BRANDS), catalog)  # type: ignore[arg-type]


async def test_valid_json_becomes_a_shopping_turn(fake_llm: FakeLlm) -> None:
    fake_llm.answer(
        json.dumps({"intent": "search", "query": "hoodies", "category": "hoodies", "color": "black"})
    )
    turn = await extractor(fake_llm).extract("show me black hoodies", STATE)
    assert (turn.intent, turn.filters.category, turn.filters.color, turn.backend) == (
        Intent.search, "hoodies", "black", "llm",
    )  # fmt: skip


async def test_the_request_uses_the_configured_model_and_temperature_zero(fake_llm: FakeLlm) -> None:
    fake_llm.answer('{"intent": "smalltalk"}')
    await extractor(fake_llm).extract("hi", STATE)
    sent = fake_llm.requests[0]
    assert (sent["model"], sent["temperature"]) == ("fake-model-2026-01-01", 0.0)
    assert "Shopper's message: hi" in sent["messages"][-1]["content"]


async def test_null_strings_and_text_prices_are_normalised(fake_llm: FakeLlm) -> None:
    fake_llm.answer(
        json.dumps(
            {"intent": "refine", "color": "null", "price_max": "$50", "price_min": "55 inch", "size": "null"}
        )
    )
    turn = await extractor(fake_llm).extract("under 50 dollars", STATE)
    assert turn.filters == Filters(price_max=50.0)


async def test_invalid_json_is_re_asked_then_accepted(fake_llm: FakeLlm) -> None:
    fake_llm.answer(
        '{"intent": "search", "query": ', '{"intent": "search", "query": "jackets", "category": "jackets"}'
    )
    trace = LlmTurnLog.begin()
    turn = await extractor(fake_llm).extract("jackets", STATE)
    assert turn.filters.category == "jackets"
    assert len(fake_llm.requests) == 2
    assert trace.fallbacks == []
    assert trace.calls[0].attempts == 2


async def test_the_last_results_are_in_the_prompt_with_their_positions(fake_llm: FakeLlm) -> None:
    products = [
        Product(id="m:1", source="m", sku="1", name="Mona Pullover Hoodlie", price=57.0),
        Product(id="m:2", source="m", sku="2", name="Ariel Roll Sleeve Sweatshirt", price=39.0),
    ]
    state = ConversationState(conversation_id="c", query="hoodies", last_results=["m:1", "m:2"])
    fake_llm.answer('{"intent": "add_to_cart", "referenced": [2], "size": "M"}')
    turn = await extractor(fake_llm, CatalogSnapshot(products, "v")).extract("add the second one in M", state)
    assert turn.referenced == [2]
    prompt = fake_llm.requests[0]["messages"][-1]["content"]
    assert "2. Ariel Roll Sleeve Sweatshirt — $39.00" in prompt


async def test_usage_cost_and_prompt_version_are_traced(fake_llm: FakeLlm) -> None:
    fake_llm.answer('{"intent": "smalltalk"}')
    trace = LlmTurnLog.begin()
    ex = extractor(fake_llm)
    await ex.extract("hello", STATE)
    usage = trace.usage()
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (100, 20)
    assert usage["cost_usd"] == 100 / 1000 * 0.5 + 20 / 1000 * 1.5
    assert trace.versions == {
        "extract_prompt": ex.prompt.version,
        "llm_model": "fake-model-2026-01-01",
        "extract_mode": "merge",
    }
    assert usage["calls"][0]["latency_ms"] > 0


async def test_a_server_error_falls_back_to_rules_with_the_reason(fake_llm: FakeLlm) -> None:
    fake_llm.fail(500)
    trace = LlmTurnLog.begin()
    turn = await extractor(fake_llm).extract("black hoodies for men", STATE)
    assert (turn.backend, turn.filters.category, turn.filters.color) == ("rules", "hoodies", "black")
    assert trace.fallbacks == ["extract: server_error"]
    assert len(fake_llm.requests) == 1  # no blind retries of a 5xx


async def test_a_rate_limit_falls_back_to_rules(fake_llm: FakeLlm) -> None:
    fake_llm.fail(429)
    trace = LlmTurnLog.begin()
    turn = await extractor(fake_llm).extract("jackets", STATE)
    assert turn.backend == "rules"
    assert trace.fallbacks == ["extract: rate_limited"]


async def test_a_slow_server_times_out_and_falls_back(fake_llm: FakeLlm) -> None:
    fake_llm.slow(2.0, '{"intent": "search"}')
    trace = LlmTurnLog.begin()
    turn = await extractor(fake_llm, timeout_s=0.3).extract("jackets", STATE)
    assert turn.backend == "rules"
    assert trace.fallbacks == ["extract: timeout"]


async def test_output_invalid_after_every_retry_falls_back(fake_llm: FakeLlm) -> None:
    fake_llm.answer("not json", "still not json")
    trace = LlmTurnLog.begin()
    turn = await extractor(fake_llm, max_retries=1).extract("jackets", STATE)
    assert turn.backend == "rules"
    assert trace.fallbacks == ["extract: invalid_output"]
    assert len(fake_llm.requests) == 2


async def test_an_open_breaker_skips_the_server(fake_llm: FakeLlm) -> None:
    fake_llm.fail(503, times=2)
    ex = extractor(fake_llm, breaker=CircuitBreaker(threshold=2, cooldown_s=60))
    for _ in range(2):
        await ex.extract("jackets", STATE)
    trace = LlmTurnLog.begin()
    turn = await ex.extract("jackets", STATE)
    assert turn.backend == "rules"
    assert trace.fallbacks == ["extract: circuit_open"]
    assert len(fake_llm.requests) == 2


async def test_raw_mode_keeps_what_the_model_invented(fake_llm: FakeLlm) -> None:
    fake_llm.answer(
        json.dumps({"intent": "search", "query": "hoodies", "category": "hoodies", "gender": "women"})
    )
    vocab = load_vocabulary()
    raw = LlmExtractor(fake_llm.client(), vocab, BRANDS, RulesExtractor(vocab, BRANDS), mode="raw")
    turn = await raw.extract("hoodies", STATE)
    assert turn.filters == Filters(category="hoodies", gender="women")


async def test_merge_mode_drops_an_invented_value_and_records_the_correction(fake_llm: FakeLlm) -> None:
    fake_llm.answer(
        json.dumps({"intent": "search", "query": "hoodies", "category": "hoodies", "gender": "women"})
    )
    trace = LlmTurnLog.begin()
    turn = await extractor(fake_llm).extract("hoodies", STATE)
    assert turn.filters == Filters(category="hoodies")
    assert trace.corrections == [
        "extract: dropped gender='women': not in the message or the remembered search"
    ]
    assert trace.versions["extract_mode"] == "merge"


async def test_under_80_read_as_a_minimum_is_a_maximum(fake_llm: FakeLlm) -> None:
    fake_llm.answer(
        json.dumps({"intent": "search", "query": "jackets", "category": "jackets", "price_min": 80})
    )
    turn = await extractor(fake_llm).extract("jackets under $80", STATE)
    assert (turn.filters.price_min, turn.filters.price_max) == (None, 80.0)


async def test_warm_sends_one_extraction_and_returns_its_seconds(fake_llm: FakeLlm) -> None:
    fake_llm.answer('{"intent": "smalltalk"}')
    seconds = await extractor(fake_llm).warm()
    assert seconds is not None and seconds >= 0
    assert len(fake_llm.requests) == 1


async def test_a_failed_warm_up_returns_none(fake_llm: FakeLlm) -> None:
    fake_llm.fail(503)
    assert await extractor(fake_llm).warm() is None


async def test_every_call_carries_the_configured_seed(fake_llm: FakeLlm) -> None:
    fake_llm.answer('{"intent": "smalltalk"}')
    await extractor(fake_llm).extract("hi", STATE)
    assert fake_llm.requests[0]["seed"] == 0
