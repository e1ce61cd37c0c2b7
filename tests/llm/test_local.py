"""Real extractions through a real local model (opt-in: ``pytest -m llm``).

The session fixture assembles the packaged Qwen2.5-Coder-1.5B GGUF (sha256-verified) and starts
llama.cpp's OpenAI-compatible server in-process on a free port — or uses ``CTP_TEST_LLM_URL`` when
a server (``make llm-local``) is already running. Skipped with the reason when the model parts are
not installed. Expect seconds per extraction on an idle 2-core machine, much more under load.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from app.catalog.vocabulary import load_vocabulary
from app.domain.turn import ConversationState, Filters, Intent
from app.llm.client import LlmClient, LlmConfig
from app.llm.local import (
    MODEL_ALIAS,
    ModelUnavailable,
    assemble_model,
    missing_parts,
    start_server,
    wait_ready,
)
from app.llm.trace import LlmTurnLog
from app.pipeline.extract.llm import LlmExtractor
from app.pipeline.extract.rules import RulesExtractor
from app.settings import REPO_ROOT

pytestmark = pytest.mark.llm
BRANDS = ["Luma"]


@pytest.fixture(scope="session")
def local_llm_url() -> Iterator[str]:
    if url := os.environ.get("CTP_TEST_LLM_URL"):
        yield url
        return
    if missing := missing_parts():
        pytest.skip(f"local model not installed (missing parts {missing}): run `make llm-local` first")
    try:
        model = assemble_model(REPO_ROOT / "var" / "llm" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    except ModelUnavailable as exc:
        pytest.skip(str(exc))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = start_server(model, port=port)
    wait_ready(f"http://127.0.0.1:{port}")
    yield f"http://127.0.0.1:{port}/v1"
    del server


@pytest.fixture(scope="session")
def extractor(local_llm_url: str) -> LlmExtractor:
    config = LlmConfig(base_url=local_llm_url, model=MODEL_ALIAS, timeout_s=600, max_retries=1)
    vocab = load_vocabulary()
    return LlmExtractor(LlmClient(config), vocab, BRANDS, RulesExtractor(vocab, BRANDS))


async def extract(extractor: LlmExtractor, message: str, state: ConversationState | None = None):  # type: ignore[no-untyped-def]
    trace = LlmTurnLog.begin()
    turn = await extractor.extract(message, state or ConversationState(conversation_id="c"))
    assert trace.fallbacks == [], trace.fallbacks  # the model answered; rules did not stand in
    return turn


async def test_a_search_with_colour_and_gender(extractor: LlmExtractor) -> None:
    turn = await extract(extractor, "show me black hoodies for men")
    assert turn.intent is Intent.search
    assert (turn.filters.category, turn.filters.color, turn.filters.gender) == ("hoodies", "black", "men")


async def test_a_price_refinement_of_the_remembered_search(extractor: LlmExtractor) -> None:
    state = ConversationState(conversation_id="c", query="hoodies", filters=Filters(category="hoodies"))
    turn = await extract(extractor, "under $50", state)
    assert turn.intent is Intent.refine
    assert turn.filters.price_max == 50


async def test_checkout(extractor: LlmExtractor) -> None:
    turn = await extract(extractor, "ok, checkout please")
    assert turn.intent is Intent.checkout
    assert turn.filters.is_empty()


def test_model_alias_is_a_one_element_set_when_the_field_is_a_set() -> None:
    from app.llm.local import alias_value

    assert alias_value(set(), "qwen-1.5b") == {"qwen-1.5b"}  # not the set of its characters


def test_model_alias_stays_a_string_when_the_field_is_a_string() -> None:
    from app.llm.local import alias_value

    assert alias_value("", "qwen-1.5b") == "qwen-1.5b"
