"""What the LLM did during one turn: calls, tokens, cost, latency, fallbacks and versions.

The pipeline opens a ``LlmTurnLog`` at the start of each turn (a context variable, so concurrent
turns in one worker never mix); the LLM extractor and responder append to the current trace, and
the pipeline copies it into the ``TurnRecord`` (``usage``, ``fallbacks``, ``versions``). Code that
runs outside a turn (the evals) finds no trace and records nothing — accounting never changes what
a component returns.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel, Field


class LlmCall(BaseModel):
    """One ``create`` call through instructor (re-asks included) for one stage."""

    stage: str
    model: str
    prompt_version: str
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    ok: bool = True
    error: str | None = None


class LlmTurnLog(BaseModel):
    """The LLM activity of one turn (not a tracing span: OpenTelemetry spans are ``app.telemetry``)."""

    calls: list[LlmCall] = Field(default_factory=list)
    fallbacks: list[str] = Field(default_factory=list, description="'<stage>: <reason>' per fallback.")
    versions: dict[str, str] = Field(default_factory=dict)
    corrections: list[str] = Field(
        default_factory=list,
        description="'<stage>: <what>' per model output the checks dropped or replaced (unsupported "
        "filter values, a price read against the rules parser, a wrong position).",
    )

    @classmethod
    def begin(cls) -> LlmTurnLog:
        """Start the trace of a new turn in the current context and return it."""
        trace = cls()
        _current.set(trace)
        return trace

    def usage(self) -> dict[str, Any]:
        """The ``TurnRecord.usage`` summary; empty when the turn made no LLM call."""
        if not self.calls:
            return {}
        return {
            "prompt_tokens": sum(c.prompt_tokens for c in self.calls),
            "completion_tokens": sum(c.completion_tokens for c in self.calls),
            "cost_usd": round(sum(c.cost_usd for c in self.calls), 8),
            "calls": [c.model_dump() for c in self.calls],
        }


_current: ContextVar[LlmTurnLog | None] = ContextVar("ctp_turn_trace", default=None)


def current_trace() -> LlmTurnLog | None:
    return _current.get()


def record_call(call: LlmCall) -> None:
    if (trace := _current.get()) is not None:
        trace.calls.append(call)


def record_fallback(stage: str, reason: str) -> None:
    if (trace := _current.get()) is not None:
        trace.fallbacks.append(f"{stage}: {reason}")


def record_corrections(stage: str, corrections: list[str]) -> None:
    if (trace := _current.get()) is not None:
        trace.corrections += [f"{stage}: {c}" for c in corrections]


def record_versions(**versions: str) -> None:
    if (trace := _current.get()) is not None:
        trace.versions.update(versions)
