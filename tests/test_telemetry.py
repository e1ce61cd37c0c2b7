"""Traces of one real turn: the span tree and the OpenInference attribute names Phoenix reads."""

from __future__ import annotations

import json

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.bootstrap import Services
from app.telemetry import install_memory_exporter, kinded_processor


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


async def test_the_turn_span_is_a_trace_root_even_inside_an_http_span(
    services: Services, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    with trace.get_tracer("http").start_as_current_span("POST /v1/chat"):
        result = await services.pipeline.run("black hoodies")
    spans = by_name(exporter.get_finished_spans())
    assert spans["turn"].parent is None
    assert spans["POST /v1/chat"].context.trace_id != spans["turn"].context.trace_id
    assert result.record.span_id == format(spans["turn"].context.span_id, "016x")
    assert result.record.trace_id == format(spans["turn"].context.trace_id, "032x")


async def test_every_span_of_a_turn_has_an_openinference_kind(
    services: Services, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    await services.pipeline.run("black hoodies under $60")
    kinds = {
        s.name: (s.attributes or {}).get("openinference.span.kind") for s in exporter.get_finished_spans()
    }
    assert None not in kinds.values(), kinds


async def test_documents_carry_content_and_metadata_and_extract_its_json_output(
    services: Services, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    result = await services.pipeline.run("women's running jackets")
    spans = by_name(exporter.get_finished_spans())
    first = services.catalog.get(result.record.candidates[0].product_id)
    assert first is not None
    rank = spans["rank"].attributes
    assert rank["reranker.output_documents.0.document.content"].startswith(
        f"{first.name} — {first.price:.2f}"
    )
    assert json.loads(rank["reranker.output_documents.0.document.metadata"])["category"] == first.category
    assert spans["retrieve"].attributes["retrieval.documents.0.document.content"]
    extract = spans["extract"].attributes
    assert extract["output.mime_type"] == "application/json"
    assert json.loads(extract["output.value"])["intent"] == result.record.extraction.intent.value
    assert spans["embed"].attributes["embedding.model_name"] == services.encoder.version


def test_only_spans_with_an_openinference_kind_are_exported() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter as Memory

    memory = Memory()
    provider = TracerProvider()
    processor = kinded_processor(memory)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("http"):
        pass
    with tracer.start_as_current_span("turn") as sp:
        sp.set_attribute("openinference.span.kind", "CHAIN")
    processor.force_flush()
    assert [s.name for s in memory.get_finished_spans()] == ["turn"]
