"""OpenTelemetry tracing with OpenInference attribute names, so traces open in Arize Phoenix.

One CHAIN span per turn, always the *root* of its trace (``session.id`` = conversation id,
``input.value`` = the redacted message, ``output.value`` = the reply), so Phoenix's Traces and
Sessions lists show each turn's message and reply even when an HTTP instrumentor wraps the request;
and a child span per stage: ``stage(timer, name)`` both times the stage for the turn log
(``StageTimer``) and opens a span of the stage's OpenInference kind — GUARDRAIL, RETRIEVER,
RERANKER, EMBEDDING, CHAIN. Retrieved and reranked documents carry their content (name, price,
category, a short description) and metadata; ``extract`` carries its structured output as JSON.

The LLM calls are traced by ``openinference-instrumentation-openai`` (installed by
``setup_tracing``), not by hand: model, messages, token counts; ``app/llm/client.py`` adds the
prompt version with ``using_prompt_template``. Eval labels are not spans: they are posted as
annotations on the turn's span (``app/telemetry/annotations.py``).

Why the OpenTelemetry API directly for the stages: they are ours, the attributes we want (guard
score and threshold, ranker features) are domain facts no instrumentor knows, and the API is a
no-op until a provider is installed, so tracing costs nothing unless an endpoint is configured
(``setup_tracing``) or a test installs an in-memory exporter. Only spans with an OpenInference
kind are exported, so a Phoenix project holds nothing it cannot classify. Texts put on spans are
redacted with ``app.privacy`` (the turn redacts the message on entry; this is the second net).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from openinference.semconv.trace import (
    DocumentAttributes,
    EmbeddingAttributes,
    OpenInferenceSpanKindValues,
    RerankerAttributes,
    SpanAttributes,
)
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, Status, StatusCode

from app.privacy import redact

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from app.catalog.snapshot import CatalogSnapshot
    from app.domain.turn import Candidate, ConversationState, GuardDecision, ShoppingTurn, TurnRecord
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


def _sdk_provider(service_name: str, project: str | None = None) -> TracerProvider:
    """The process's SDK provider, installing one when only the no-op API provider is set. The
    resource names the Phoenix project (``openinference.project.name``)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    attrs = {"service.name": service_name}
    if project:
        attrs[PROJECT_NAME] = project
    provider = TracerProvider(resource=Resource.create(attrs))
    trace.set_tracer_provider(provider)
    return provider


PROJECT_NAME = "openinference.project.name"


def otlp_endpoint(settings: Settings) -> str | None:
    """Where spans go: ``CTP_OTLP_ENDPOINT``, else Phoenix's collector at ``CTP_PHOENIX_URL``;
    nowhere when ``CTP_PHOENIX_ENABLED=false``."""
    if not settings.phoenix_enabled:
        return None
    if settings.otlp_endpoint:
        return settings.otlp_endpoint
    return settings.phoenix_url.rstrip("/") + "/v1/traces" if settings.phoenix_url else None


def kinded_processor(exporter: SpanExporter) -> Any:
    """A batch processor that exports only spans with an OpenInference kind: an HTTP
    instrumentor's or a library's spans stay out of the Phoenix project."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    class KindedBatchProcessor(BatchSpanProcessor):
        def on_end(self, span: ReadableSpan) -> None:
            if (span.attributes or {}).get(KIND):
                super().on_end(span)

    return KindedBatchProcessor(exporter)


def setup_tracing(settings: Settings) -> bool:
    """Export spans by OTLP/HTTP when an endpoint is configured (``otlp_endpoint``); instrument
    the OpenAI client so every LLM call is an LLM span of its turn. Otherwise tracing is a no-op."""
    endpoint = otlp_endpoint(settings)
    if not endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = _sdk_provider(settings.otel_service_name, settings.phoenix_project)
    provider.add_span_processor(kinded_processor(OTLPSpanExporter(endpoint=endpoint)))
    instrument_llm(provider)
    return True


def instrument_llm(provider: TracerProvider | None = None) -> None:
    """Trace every OpenAI-client call as an LLM span (``openinference-instrumentation-openai``):
    model, messages, token counts, and the prompt template and version ``app/llm/client.py`` sets
    with ``using_prompt_template``. Idempotent; ``provider`` defaults to the process's SDK one."""
    from openinference.instrumentation.openai import OpenAIInstrumentor

    instrumentor = OpenAIInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider or _sdk_provider(TRACER_NAME, TRACER_NAME))


def flush_spans(timeout_ms: int = 10_000) -> None:
    """Export the spans still queued (before annotating them, or before a short process exits)."""
    from opentelemetry.sdk.trace import TracerProvider

    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush(timeout_ms)


def install_memory_exporter(
    service_name: str = TRACER_NAME, project: str | None = TRACER_NAME
) -> InMemorySpanExporter:
    """Collect finished spans in memory (tests and ``ctp evals simulate`` count them)."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    _sdk_provider(service_name, project).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def _text(value: str) -> str:
    """``value`` redacted, for a span attribute. Every ``record_*`` helper returns at once when
    its span does not record (tracing off: the no-op span; or sampled out), since the attributes
    would be dropped: redacting and formatting them was over half of a turn's CPU in the load
    test with tracing off (issue 18, docs/performance.md)."""
    return redact(value)[0]


@contextmanager
def span(
    name: str, kind: OpenInferenceSpanKindValues, root: bool = False, **attributes: Any
) -> Iterator[Span]:
    """A span of an OpenInference kind; an exception marks it as an error and propagates.
    ``root`` starts a new trace whatever span is current (an HTTP server span, say)."""
    context = Context() if root else None
    with tracer().start_as_current_span(name, context=context, record_exception=True) as sp:
        sp.set_attribute(KIND, kind.value)
        for key, value in attributes.items():
            if value is not None:
                sp.set_attribute(key, value)
        yield sp


@contextmanager
def turn_span(conversation_id: str, message: str) -> Iterator[Span]:
    """The root CHAIN span of one turn: always a new trace, so the trace's root shows the turn."""
    with span("turn", Kind.CHAIN, root=True, **{SpanAttributes.SESSION_ID: conversation_id}) as sp:
        if sp.is_recording():
            sp.set_attribute(SpanAttributes.INPUT_VALUE, _text(message))
        yield sp


def span_ids(sp: Span) -> tuple[str, str] | None:
    """(trace id, span id) in the hex form Phoenix shows and its client takes; None when tracing
    is off (the no-op span has no valid context)."""
    ctx = sp.get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


def end_turn(sp: Span, record: TurnRecord) -> None:
    """The turn's outcome on its root span: the reply, the turn id, intent and abstention."""
    if not sp.is_recording():
        return
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
    if not sp.is_recording():
        return
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


def _doc(
    prefix: str, i: int, doc_id: str, score: float | None, catalog: CatalogSnapshot | None
) -> dict[str, Any]:
    """One OpenInference document: id, score, and — when the product is in ``catalog`` — its
    content (name, price, category, short description) and metadata as JSON."""
    key = f"{prefix}.{i}"
    attrs: dict[str, Any] = {f"{key}.{DocumentAttributes.DOCUMENT_ID}": doc_id}
    if score is not None:
        attrs[f"{key}.{DocumentAttributes.DOCUMENT_SCORE}"] = float(score)
    product = catalog.get(doc_id) if catalog is not None else None
    if product is not None:
        blurb = " ".join(product.description.split())[:160]
        attrs[f"{key}.{DocumentAttributes.DOCUMENT_CONTENT}"] = (
            f"{product.name} — {product.price:.2f} {product.currency}, {product.category or 'uncategorised'}."
            + (f" {blurb}" if blurb else "")
        )
        meta = {
            "category": product.category,
            "brand": product.brand,
            "gender": product.gender,
            "price": product.price,
            "currency": product.currency,
            "colors": product.colors[:8],
            "rating": product.rating,
            "source": product.source,
        }
        attrs[f"{key}.{DocumentAttributes.DOCUMENT_METADATA}"] = json.dumps(meta, sort_keys=True)
    return attrs


def record_retrieval(
    sp: Span,
    query: str,
    candidates: Sequence[Candidate],
    catalog: CatalogSnapshot | None = None,
    limit: int = 20,
) -> None:
    """``retrieval.documents.{i}.document.*`` for the first ``limit`` candidates."""
    if not sp.is_recording():
        return
    sp.set_attribute(SpanAttributes.INPUT_VALUE, _text(query))
    sp.set_attribute("retrieval.count", len(candidates))
    for i, c in enumerate(candidates[:limit]):
        score = c.fused_score if c.fused_score is not None else c.dense_score
        sp.set_attributes(_doc(SpanAttributes.RETRIEVAL_DOCUMENTS, i, c.product_id, score, catalog))


def record_rerank(
    sp: Span,
    ranked: Sequence[Candidate],
    model: str,
    top_k: int,
    catalog: CatalogSnapshot | None = None,
    limit: int = 20,
) -> None:
    """``reranker.output_documents.{i}.document.*`` in ranked order."""
    if not sp.is_recording():
        return
    sp.set_attribute(RerankerAttributes.RERANKER_MODEL_NAME, model)
    sp.set_attribute(RerankerAttributes.RERANKER_TOP_K, top_k)
    for i, c in enumerate(ranked[:limit]):
        sp.set_attributes(
            _doc(RerankerAttributes.RERANKER_OUTPUT_DOCUMENTS, i, c.product_id, c.rank_score, catalog)
        )


def record_json_output(sp: Span, value: Any) -> None:
    """A stage's structured output as JSON (``output.value`` + mime type)."""
    if not sp.is_recording():
        return
    sp.set_attribute(
        SpanAttributes.OUTPUT_VALUE, _text(value if isinstance(value, str) else json.dumps(value))
    )
    sp.set_attribute(SpanAttributes.OUTPUT_MIME_TYPE, "application/json")


def record_extraction(sp: Span, message: str, turn: ShoppingTurn) -> None:
    if not sp.is_recording():
        return
    sp.set_attribute(SpanAttributes.INPUT_VALUE, _text(message))
    record_json_output(sp, turn.model_dump_json(exclude_none=True))


def record_state(sp: Span, state: ConversationState) -> None:
    """What the remember stage made of the conversation: the remembered query and filters."""
    if not sp.is_recording():
        return
    record_json_output(
        sp, {"query": state.query, "filters": state.filters.model_dump(mode="json", exclude_none=True)}
    )


def record_embedding(sp: Span, model: str, text: str) -> None:
    if not sp.is_recording():
        return
    sp.set_attribute(SpanAttributes.EMBEDDING_MODEL_NAME, model)
    sp.set_attribute(
        f"{SpanAttributes.EMBEDDING_EMBEDDINGS}.0.{EmbeddingAttributes.EMBEDDING_TEXT}", _text(text)
    )


def record_text_output(sp: Span, text: str) -> None:
    if not sp.is_recording():
        return
    sp.set_attribute(SpanAttributes.OUTPUT_VALUE, _text(text))


def record_error(sp: Span, exc: BaseException) -> None:
    sp.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
