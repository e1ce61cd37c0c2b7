"""LLM calls as OpenInference LLM spans: the real extractor and responder over the scripted
OpenAI-compatible server, traced by ``openinference-instrumentation-openai`` as
``app.telemetry.instrument_llm`` installs it, with the prompt version ``app/llm/client.py`` sets.
The token counts must be the ones the server reported in ``usage``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.catalog.vocabulary import load_vocabulary
from app.domain.turn import ConversationState, Intent, ShoppingTurn
from app.pipeline.extract.llm import LlmExtractor
from app.pipeline.extract.rules import RulesExtractor
from app.pipeline.respond import ResponseContext, RulesResponder
from app.pipeline.respond_llm import LlmResponder
from app.telemetry import Kind, install_memory_exporter, instrument_llm, span
from tests.llm import fake_server
from tests.llm.fake_server import FakeLlm, Scripted
from tests.pipeline.test_respond_llm import ARIEL, GOOD, MONA

fake_llm_server = fake_server.fake_llm_server  # the scripted server's fixtures, used by name
fake_llm = fake_server.fake_llm

MODEL = "fake-model-2026-01-01"


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    from openinference.instrumentation.openai import OpenAIInstrumentor

    memory = install_memory_exporter()
    instrument_llm()
    yield memory
    OpenAIInstrumentor().uninstrument()  # the rest of the session's LLM tests run uninstrumented


def llm_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [
        s
        for s in exporter.get_finished_spans()
        if (s.attributes or {}).get("openinference.span.kind") == "LLM"
    ]


async def test_an_llm_extraction_is_an_llm_span_with_model_prompt_version_and_usage(
    fake_llm: FakeLlm, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    fake_llm.script.append(
        Scripted(
            content=json.dumps({"intent": "search", "query": "hoodies"}),
            prompt_tokens=321,
            completion_tokens=17,
        )
    )
    vocab = load_vocabulary()
    ex = LlmExtractor(fake_llm.client(), vocab, ["Luma"], RulesExtractor(vocab, ["Luma"]))
    with span("extract", Kind.CHAIN) as parent:
        turn = await ex.extract("black hoodies", ConversationState(conversation_id="c"))
    assert turn.backend == "llm"
    [llm] = llm_spans(exporter)
    attrs = llm.attributes or {}
    assert attrs["llm.model_name"] == MODEL
    assert attrs["llm.prompt_template.version"] == ex.prompt.version
    assert attrs["llm.prompt_template.template"] == "extract"
    assert (
        attrs["llm.token_count.prompt"],
        attrs["llm.token_count.completion"],
        attrs["llm.token_count.total"],
    ) == (321, 17, 338)
    assert llm.parent is not None and llm.parent.span_id == parent.get_span_context().span_id


async def test_a_re_ask_is_one_llm_span_per_request_each_with_its_own_usage(
    fake_llm: FakeLlm, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    fake_llm.script += [
        Scripted(content='{"intent": "search", "query": ', prompt_tokens=200, completion_tokens=5),
        Scripted(content='{"intent": "search", "query": "jackets"}', prompt_tokens=260, completion_tokens=9),
    ]
    vocab = load_vocabulary()
    ex = LlmExtractor(fake_llm.client(), vocab, ["Luma"], RulesExtractor(vocab, ["Luma"]))
    await ex.extract("jackets", ConversationState(conversation_id="c"))
    spans = sorted(llm_spans(exporter), key=lambda s: s.start_time or 0)
    assert [(s.attributes or {})["llm.token_count.total"] for s in spans] == [205, 269]
    assert {(s.attributes or {})["llm.prompt_template.version"] for s in spans} == {ex.prompt.version}


async def test_an_llm_reply_is_an_llm_span_with_the_respond_prompt_version(
    fake_llm: FakeLlm, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    fake_llm.script.append(
        Scripted(content=json.dumps({"text": GOOD}), prompt_tokens=640, completion_tokens=42)
    )
    names = [MONA.name, ARIEL.name]
    responder = LlmResponder(fake_llm.client(max_retries=0), RulesResponder(), load_vocabulary(), names)
    ctx = ResponseContext(
        turn=ShoppingTurn(intent=Intent.search, query="hoodies"),
        state=ConversationState(conversation_id="c", query="hoodies"),
        products=[MONA, ARIEL],
    )
    reply = await responder.respond(ctx)
    assert reply.text == GOOD
    [llm] = llm_spans(exporter)
    attrs = llm.attributes or {}
    assert (attrs["llm.model_name"], attrs["llm.prompt_template.version"]) == (
        MODEL,
        responder.prompt.version,
    )
    assert (attrs["llm.token_count.prompt"], attrs["llm.token_count.completion"]) == (640, 42)
    assert attrs["llm.token_count.total"] == 682
