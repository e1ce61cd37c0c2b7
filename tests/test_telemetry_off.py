"""With tracing off, the span helpers do no work: no redaction, no attribute formatting."""

from __future__ import annotations

import pytest
from opentelemetry import trace

import app.telemetry as telemetry


def test_helpers_on_a_span_that_does_not_record_never_redact(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(telemetry, "redact", lambda text: (calls.append(text), (text, []))[1])
    off = trace.NonRecordingSpan(trace.INVALID_SPAN_CONTEXT)
    telemetry.record_text_output(off, "call +1 415 555 0100")
    telemetry.record_json_output(off, {"query": "jo@example.com"})
    telemetry.record_embedding(off, "m", "jo@example.com")
    telemetry.record_retrieval(off, "jo@example.com", [])
    telemetry.record_guard(off, None)
    assert calls == []


def test_a_recording_span_still_gets_the_redacted_text() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    sp = TracerProvider().get_tracer("t").start_span("s")
    telemetry.record_text_output(sp, "write to jo@example.com")
    sp.end()
    assert sp.attributes is not None
    assert sp.attributes["output.value"] == "write to [EMAIL]"
