"""A forced LLM failure mid-conversation, through the API: the turn degrades to rules, no error."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from app.api.main import create_app
from app.bootstrap import Services
from app.catalog.store import CatalogStore
from app.catalog.vocabulary import load_vocabulary
from app.pipeline.extract.llm import LlmExtractor
from app.pipeline.extract.rules import RulesExtractor
from app.settings import Settings
from tests.api.conftest import ShopperTransport, with_lifespan_state
from tests.llm import fake_server
from tests.llm.fake_server import FakeLlm

fake_llm_server = fake_server.fake_llm_server  # the scripted server's fixtures, used by name
fake_llm = fake_server.fake_llm


@pytest.fixture
async def llm_client(
    settings: Settings, services: Services, fake_llm: FakeLlm
) -> AsyncIterator[httpx.AsyncClient]:
    vocab = load_vocabulary()
    brands = CatalogStore(services.engine).brands()
    extractor = LlmExtractor(
        fake_llm.client(max_retries=0), vocab, brands, RulesExtractor(vocab, brands), services.catalog
    )
    svc = dataclasses.replace(services, pipeline=dataclasses.replace(services.pipeline, extractor=extractor))
    app = create_app(settings, services=svc)
    async with app.router.lifespan_context(app) as state:
        transport = ShopperTransport(httpx.ASGITransport(app=with_lifespan_state(app, state or {})))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def test_an_llm_outage_mid_conversation_degrades_to_rules(
    llm_client: httpx.AsyncClient, services: Services, fake_llm: FakeLlm
) -> None:
    fake_llm.answer(json.dumps({"intent": "search", "query": "hoodies", "category": "hoodies"}))
    fake_llm.fail(500)
    first = await llm_client.post("/v1/chat", json={"message": "show me hoodies"})
    assert first.status_code == 200
    second = await llm_client.post(
        "/v1/chat", json={"message": "in black", "conversation_id": first.json()["conversation_id"]}
    )
    assert second.status_code == 200
    assert second.json()["filters"]["category"] == "hoodies"
    assert second.json()["filters"]["color"] == "black"
    assert second.json()["products"]

    ok = services.logger.get(first.json()["turn_id"])
    degraded = services.logger.get(second.json()["turn_id"])
    assert ok is not None and degraded is not None
    assert (ok.extraction.backend, ok.fallbacks) == ("llm", [])
    assert ok.usage["prompt_tokens"] == 100
    assert ok.versions["llm_model"] == "fake-model-2026-01-01"
    assert ok.versions["extract_prompt"].startswith("extract.v1@")
    assert (degraded.extraction.backend, degraded.fallbacks) == ("rules", ["extract: server_error"])
    assert degraded.usage["calls"][0]["error"].startswith("server_error")


async def test_the_extraction_prompt_is_warmed_at_start_up(
    llm_client: httpx.AsyncClient, fake_llm: FakeLlm
) -> None:
    [warm] = fake_llm.requests  # sent by the lifespan, before any shopper
    assert warm["messages"][-1]["content"].endswith("Shopper's message: hello")


async def test_a_filter_nobody_asked_for_is_dropped_and_logged_as_a_correction(
    llm_client: httpx.AsyncClient, services: Services, fake_llm: FakeLlm
) -> None:
    fake_llm.answer(
        json.dumps(
            {
                "intent": "search",
                "query": "hoodies",
                "category": "hoodies",
                "gender": "women",
                "color": "black",
            }
        )
    )
    r = await llm_client.post("/v1/chat", json={"message": "show me hoodies"})
    assert (r.json()["filters"]["category"], r.json()["filters"]["gender"], r.json()["filters"]["color"]) == (
        "hoodies", None, None,
    )  # fmt: skip
    record = services.logger.get(r.json()["turn_id"])
    assert record is not None
    assert record.corrections == [
        "extract: dropped gender='women': not in the message or the remembered search",
        "extract: dropped color='black': not in the message or the remembered search",
    ]
