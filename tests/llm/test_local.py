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


def test_v1_models_reports_the_alias_as_the_model_id(local_llm_url: str) -> None:
    import httpx

    ids = [m["id"] for m in httpx.get(f"{local_llm_url}/models", timeout=30).json()["data"]]
    assert ids == [MODEL_ALIAS]


async def test_blind_extraction_report_rules_raw_checked_merge(local_llm_url: str) -> None:
    """A report, not a gate: rules and the three LLM modes on every K-th case of the blind split
    (``CTP_TEST_LLM_EVERY``, default 10), printed and written to ``var/reports/llm_blind.json``.
    The one assertion is what the checks exist for: they never add spurious filters."""
    import json

    from evals.extraction import load_cases, run_extraction_eval
    from evals.extraction_cli import ReplayingLlmClient

    every = int(os.environ.get("CTP_TEST_LLM_EVERY", "10"))
    cases = load_cases(REPO_ROOT / "evals" / "golden" / "extraction_blind.jsonl")[::every]
    vocab = load_vocabulary()
    rules = RulesExtractor(vocab, BRANDS)
    config = LlmConfig(base_url=local_llm_url, model=MODEL_ALIAS, timeout_s=600, max_retries=1)
    client = ReplayingLlmClient(LlmClient(config))
    rows = {"rules": await run_extraction_eval(rules, cases)}
    for mode in ("raw", "checked", "merge"):
        trace = LlmTurnLog.begin()
        rows[mode] = await run_extraction_eval(LlmExtractor(client, vocab, BRANDS, rules, mode=mode), cases)
        rows[
            mode
        ].backend = f"llm {mode} ({len(trace.fallbacks)} fallbacks, {len(trace.corrections)} corrections)"
    table = {
        k: {"intent": r.intent_accuracy, "fields": r.field_accuracy, "spurious": r.spurious_rate,
            "exact": r.exact_match, "p50_ms": r.latency_ms_p50, "backend": r.backend}
        for k, r in rows.items()
    }  # fmt: skip
    out = REPO_ROOT / "var" / "reports" / "llm_blind.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"cases": len(cases), "every": every, "rows": table}, indent=2))
    print(json.dumps(table, indent=2))
    assert rows["merge"].spurious_rate <= rows["raw"].spurious_rate
