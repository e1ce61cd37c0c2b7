"""Traces of one real turn: the span tree and the OpenInference attribute names Phoenix reads."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.bootstrap import Services
from app.telemetry import evaluator_span, install_memory_exporter, llm_span, record_label, record_llm_usage


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    return install_memory_exporter()


def by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {s.name: s for s in spans}


async def test_a_search_turn_has_a_chain_root_and_one_child_per_stage(
    services: Services, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    result = await services.pipeline.run("black hoodies for men, my email is jo@example.com")
    spans = by_name(exporter.get_finished_spans())
    root = spans["turn"]
    assert root.attributes["openinference.span.kind"] == "CHAIN"
    assert root.attributes["session.id"] == result.record.conversation_id
    assert root.attributes["input.value"] == "black hoodies for men, my email is [EMAIL]"
    assert root.attributes["output.value"] == result.record.reply
    assert root.attributes["turn.id"] == result.record.turn_id
    kinds = {
        name: spans[name].attributes["openinference.span.kind"]
        for name in ("extract", "remember", "embed", "guard", "retrieve", "rank", "respond")
    }
    assert kinds == {
        "extract": "CHAIN",
        "remember": "CHAIN",
        "embed": "EMBEDDING",
        "guard": "GUARDRAIL",
        "retrieve": "RETRIEVER",
        "rank": "RERANKER",
        "respond": "CHAIN",
    }
    for name in kinds:
        assert spans[name].parent is not None and spans[name].parent.span_id == root.context.span_id


async def test_retriever_reranker_and_guardrail_spans_carry_their_documents_and_decision(
    services: Services, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    result = await services.pipeline.run("women's running jackets")
    spans = by_name(exporter.get_finished_spans())
    cands = result.record.candidates
    retr = spans["retrieve"].attributes
    assert retr["retrieval.documents.0.document.id"]
    assert isinstance(retr["retrieval.documents.0.document.score"], float)
    rank = spans["rank"].attributes
    assert rank["reranker.output_documents.0.document.id"] == cands[0].product_id
    assert rank["reranker.output_documents.0.document.score"] == cands[0].rank_score
    guard = spans["guard"].attributes
    assert guard["guardrail.decision"] == "pass"
    assert guard["guardrail.score"] == result.record.guard.score
    assert guard["guardrail.threshold"] == result.record.guard.threshold


async def test_an_out_of_scope_turn_records_an_abstaining_guardrail(
    services: Services, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    result = await services.pipeline.run("a cordless drill with two batteries")
    assert result.record.abstained
    spans = by_name(exporter.get_finished_spans())
    assert spans["guard"].attributes["guardrail.decision"] == "abstain"
    assert "retrieve" not in spans


def test_llm_span_helper_sets_model_and_token_counts(exporter: InMemorySpanExporter) -> None:
    exporter.clear()
    with llm_span("gpt-4o-mini", prompt_version="extract@1") as sp:
        record_llm_usage(sp, prompt_tokens=120, completion_tokens=30, cost_usd=0.0001)
    [s] = exporter.get_finished_spans()
    assert s.attributes["openinference.span.kind"] == "LLM"
    assert s.attributes["llm.model_name"] == "gpt-4o-mini"
    assert (
        s.attributes["llm.token_count.prompt"],
        s.attributes["llm.token_count.completion"],
        s.attributes["llm.token_count.total"],
    ) == (120, 30, 150)


def test_evaluator_span_helper_carries_the_label(exporter: InMemorySpanExporter) -> None:
    exporter.clear()
    with evaluator_span("hallucination", "1", "CODE", "t_1") as sp:
        record_label(sp, "grounded", "every name and price is in the shown products")
    [s] = exporter.get_finished_spans()
    assert s.attributes["openinference.span.kind"] == "EVALUATOR"
    assert s.attributes["eval.label"] == "grounded"
    assert s.attributes["turn.id"] == "t_1"
