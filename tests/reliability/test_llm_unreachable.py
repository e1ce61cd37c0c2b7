"""The LLM server is unreachable: the turn completes through the rules extractor, and the turn log
says so (``fallbacks``)."""

from __future__ import annotations

import dataclasses

from app.bootstrap import Services, make_extractor
from app.settings import Settings
from tests.reliability.conftest import app_client
from tests.reliability.servers import free_port


async def test_a_turn_completes_via_rules_when_the_llm_port_is_closed(
    settings: Settings, services: Services
) -> None:
    llm_settings = settings.model_copy(
        update={
            "extractor": "llm",
            "llm_base_url": f"http://127.0.0.1:{free_port()}/v1",
            "llm_timeout_s": 2.0,
        }
    )
    brands = sorted({p.brand for p in services.catalog.all() if p.brand})
    extractor = make_extractor(llm_settings, brands, services.catalog)
    pipeline = dataclasses.replace(services.pipeline, extractor=extractor)
    async with app_client(settings, dataclasses.replace(services, pipeline=pipeline)) as client:
        r = await client.post("/v1/chat", json={"message": "black hoodies under $50"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["intent"], body["filters"]["color"], body["filters"]["price_max"]) == (
        "search",
        "black",
        50.0,
    )
    record = services.logger.get(body["turn_id"])
    assert record is not None
    assert record.fallbacks == ["extract: connection"]
    assert record.versions["extractor"] == "rules"
