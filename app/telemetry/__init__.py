"""OpenTelemetry tracing with OpenInference attribute names, so traces open in Arize Phoenix.

One CHAIN span per turn (``session.id`` = conversation id, ``input.value``/``output.value``), and a
child span per stage: ``stage(timer, name)`` both times the stage for the turn log (``StageTimer``)
and opens a span of the stage's OpenInference kind — GUARDRAIL, RETRIEVER, RERANKER, EMBEDDING,
CHAIN. ``llm_span`` is the helper the LLM backends call around each completion (``llm.model_name``,
``llm.token_count.*``); ``evaluator_span`` wraps one eval label.

Why the OpenTelemetry API directly rather than an auto-instrumentor: the stages are ours, the
attributes we want (guard score and threshold, ranker features) are domain facts no instrumentor
knows, and the API is a no-op until a provider is installed, so tracing costs nothing unless
``CTP_OTLP_ENDPOINT`` is set (``setup_tracing``) or a test installs an in-memory exporter.
Texts put on spans are redacted with ``app.privacy`` first, like the turn log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from openinference.semconv.trace import (
    DocumentAttributes,
    OpenInferenceSpanKindValues,
    RerankerAttributes,
    SpanAttributes,
)
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from app.privacy import redact

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from app.domain.turn import Candidate, GuardDecision, TurnRecord
    from app.settings import Settings
    from app.telemetry.timing import StageTimer

TRACER_NAME = "chat-to-purchase"
KIND = SpanAttributes.OPENINFERENCE_SPAN_KIND
Kind = OpenInferenceSpanKindValues

#: The OpenInference kind of each pipeline stage; anything else is a CHAIN.
STAGE_KINDS: dict[str, OpenInferenceSpanKindValues] = {
    "embed": Kind.EMBEDDING,
    "guard": Kind.GUARDRAIL,
    "retrieve": Kind.RETRIEVER,
    "rank": Kind.RERANKER,
}


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def _sdk_provider(service_name: str) -> TracerProvider:
    """The process's SDK provider, installing one when only the no-op API provider is set."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    trace.set_tracer_provider(provider)
    return provider


def setup_tracing(settings: Settings) -> bool:
    """Export spans by OTLP/HTTP when ``otlp_endpoint`` is set; otherwise leave tracing a no-op."""
    if not settings.otlp_endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = _sdk_provider(settings.otel_service_name)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    return True


def install_memory_exporter(service_name: str = TRACER_NAME) -> InMemorySpanExporter:
    """Collect finished spans in memory (tests and ``ctp evals simulate`` count them)."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    _sdk_provider(service_name).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def _text(value: str) -> str:
    return redact(value)[0]


@contextmanager
def span(name: str, kind: OpenInferenceSpanKindValues, **attributes: Any) -> Iterator[Span]:
    """A span of an OpenInference kind; an exception marks it as an error and propagates."""
    with tracer().start_as_current_span(name, record_exception=True) as sp:
        sp.set_attribute(KIND, kind.value)
        for key, value in attributes.items():
            if value is not None:
                sp.set_attribute(key, value)
        yield sp


@contextmanager
def turn_span(conversation_id: str, message: str) -> Iterator[Span]:
    """The root CHAIN span of one turn."""
    with span(
        "turn",
        Kind.CHAIN,
        **{SpanAttributes.SESSION_ID: conversation_id, SpanAttributes.INPUT_VALUE: _text(message)},
    ) as sp:
        yield sp


def end_turn(sp: Span, record: TurnRecord) -> None:
    """The turn's outcome on its root span: the reply, the turn id, intent and abstention."""
    sp.set_attribute(SpanAttributes.OUTPUT_VALUE, _text(record.reply))
    sp.set_attribute("turn.id", record.turn_id)
    sp.set_attribute("turn.intent", record.extraction.intent.value)
    sp.set_attribute("turn.abstained", record.abstained)
    sp.set_attribute(SpanAttributes.METADATA, json.dumps(record.versions, sort_keys=True))


@contextmanager
def stage(timer: StageTimer, name: str) -> Iterator[Span]:
    """Time a stage for the turn log and trace it as a child span of the turn."""
    with span(name, STAGE_KINDS.get(name, Kind.CHAIN)) as sp, timer(name):
        yield sp


def record_guard(sp: Span, decision: GuardDecision | None) -> None:
    if decision is None:
        sp.set_attribute("guardrail.applied", False)
        return
    sp.set_attribute("guardrail.applied", True)
    sp.set_attribute("guardrail.decision", "abstain" if decision.abstain else "pass")
    sp.set_attribute("guardrail.method", decision.method)
    if decision.score is not None:
        sp.set_attribute("guardrail.score", decision.score)
    if decision.threshold is not None:
        sp.set_attribute("guardrail.threshold", decision.threshold)


def _doc(prefix: str, i: int, doc_id: str, score: float | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {f"{prefix}.{i}.{DocumentAttributes.DOCUMENT_ID}": doc_id}
    if score is not None:
        attrs[f"{prefix}.{i}.{DocumentAttributes.DOCUMENT_SCORE}"] = float(score)
    return attrs


def record_retrieval(sp: Span, query: str, candidates: Sequence[Candidate], limit: int = 20) -> None:
    """``retrieval.documents.{i}.document.id/score`` for the first ``limit`` candidates."""
    sp.set_attribute(SpanAttributes.INPUT_VALUE, _text(query))
    sp.set_attribute("retrieval.count", len(candidates))
    for i, c in enumerate(candidates[:limit]):
        score = c.fused_score if c.fused_score is not None else c.dense_score
        sp.set_attributes(_doc(SpanAttributes.RETRIEVAL_DOCUMENTS, i, c.product_id, score))


def record_rerank(sp: Span, ranked: Sequence[Candidate], model: str, top_k: int, limit: int = 20) -> None:
    """``reranker.output_documents.{i}.document.id/score`` in ranked order."""
    sp.set_attribute(RerankerAttributes.RERANKER_MODEL_NAME, model)
    sp.set_attribute(RerankerAttributes.RERANKER_TOP_K, top_k)
    for i, c in enumerate(ranked[:limit]):
        sp.set_attributes(_doc(RerankerAttributes.RERANKER_OUTPUT_DOCUMENTS, i, c.product_id, c.rank_score))


@contextmanager
def llm_span(model: str, name: str = "llm", prompt_version: str | None = None) -> Iterator[Span]:
    """Wrap one LLM call; call ``record_llm_usage`` on the yielded span when the usage is known."""
    with span(
        name,
        Kind.LLM,
        **{SpanAttributes.LLM_MODEL_NAME: model, SpanAttributes.LLM_PROMPT_TEMPLATE_VERSION: prompt_version},
    ) as sp:
        yield sp


def record_llm_usage(
    sp: Span, prompt_tokens: int, completion_tokens: int, cost_usd: float | None = None
) -> None:
    sp.set_attribute(SpanAttributes.LLM_TOKEN_COUNT_PROMPT, prompt_tokens)
    sp.set_attribute(SpanAttributes.LLM_TOKEN_COUNT_COMPLETION, completion_tokens)
    sp.set_attribute(SpanAttributes.LLM_TOKEN_COUNT_TOTAL, prompt_tokens + completion_tokens)
    if cost_usd is not None:
        sp.set_attribute(SpanAttributes.LLM_COST_TOTAL, cost_usd)


@contextmanager
def evaluator_span(evaluator: str, version: str, backend: str, turn_id: str) -> Iterator[Span]:
    """Wrap one evaluation; ``record_label`` puts the label and explanation on it."""
    with span(
        f"eval.{evaluator}",
        Kind.EVALUATOR,
        **{"eval.name": evaluator, "eval.version": version, "eval.backend": backend, "turn.id": turn_id},
    ) as sp:
        yield sp


def record_label(sp: Span, label: str, explanation: str) -> None:
    sp.set_attribute("eval.label", label)
    sp.set_attribute("eval.explanation", _text(explanation)[:1000])
    sp.set_attribute(SpanAttributes.OUTPUT_VALUE, label)


def record_error(sp: Span, exc: BaseException) -> None:
    sp.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
