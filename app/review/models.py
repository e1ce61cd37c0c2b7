"""The review read model's shapes: the console's filters, what it lists, and one turn in detail.

These are also the bodies of ``/v1/review`` (``app/api/routes/review.py``). Row shapes the console
plots (``LabelCount``, ``Slice``) and a turn's events are ``TypedDict``\\ s: plain JSON objects with
known keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from app.domain.labels import LABELS, NOT_APPLICABLE
from app.domain.turn import ShownProduct

Evaluator = Literal["hallucination", "relevance", "refusal", "intent", "toxicity", "friction"]


class TurnFilters(BaseModel):
    """The console's filters; every one given must hold (AND)."""

    start: datetime | None = None
    end: datetime | None = None
    abstained: bool | None = None
    label: str | None = Field(
        default=None, max_length=32, description="Any evaluator's label, e.g. 'hallucinated'."
    )
    evaluator: Evaluator | None = Field(default=None, description="Restrict ``label`` to one evaluator.")
    feedback: Literal["up", "down", "any", "none"] | None = None
    intent: str | None = Field(default=None, max_length=32)
    min_latency_ms: float | None = Field(default=None, ge=0)
    backend: str | None = Field(default=None, max_length=32, description="Extractor or responder backend.")
    q: str | None = Field(default=None, max_length=200, description="Text in the message or the reply.")


class TurnSummary(BaseModel):
    turn_id: str
    conversation_id: str
    turn_index: int
    created_at: datetime
    message: str
    reply: str
    intent: str
    abstained: bool
    latency_ms: float
    backends: dict[str, str]


class TurnPage(BaseModel):
    total: int
    turns: list[TurnSummary]


class EvalLabel(BaseModel):
    evaluator: str
    label: str
    explanation: str
    backend: str
    evaluator_version: str
    created_at: datetime


class HumanLabelIn(BaseModel):
    evaluator: Evaluator
    label: str = Field(min_length=1, max_length=32)
    note: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _known_label(self) -> HumanLabelIn:
        allowed = (*LABELS[self.evaluator], NOT_APPLICABLE)
        if self.label not in allowed:
            raise ValueError(f"label for {self.evaluator} must be one of: {', '.join(allowed)}")
        return self


class HumanLabel(BaseModel):
    id: int
    turn_id: str
    evaluator: str
    label: str
    note: str
    reviewer: str
    created_at: datetime


class TurnEvent(TypedDict):
    """One ``turn_events`` row of a turn (impression, click, add_to_cart, checkout, feedback)."""

    kind: str
    product_id: str | None
    created_at: str  # ISO 8601
    data: dict[str, object]


class TurnDetail(BaseModel):
    """Everything about one logged turn, as the console's trace view shows it."""

    record: dict[str, object] = Field(description="The logged TurnRecord, whole.")
    shown_products: list[ShownProduct]
    events: list[TurnEvent]
    eval_results: list[EvalLabel]
    human_labels: list[HumanLabel] = Field(description="Newest first: the history of corrections.")
    latest_human: dict[str, str]


class LabelPair(BaseModel):
    turn_id: str
    evaluator: str
    judge: str | None
    human: str | None


class GuardPoint(BaseModel):
    turn_id: str
    score: float
    threshold: float | None
    abstained: bool
    human_refusal: str | None = Field(description="The reviewer's refusal label: refused | answered.")


class LabelCount(TypedDict):
    day: str  # ISO date
    evaluator: str
    label: str
    count: int


class Slice(TypedDict):
    intent: str
    backend: str
    abstained: bool
    latency_ms: float
    feedback: str | None


class Dashboard(BaseModel):
    label_counts: list[LabelCount] = Field(description="{day, evaluator, label, count} of judge labels.")
    pairs: list[LabelPair] = Field(description="Judge vs latest human label, where a human labelled.")
    guard: list[GuardPoint]
    slices: list[Slice] = Field(
        description="One row per turn: intent, backend, abstained, latency, feedback."
    )
    ranker_models: list[dict[str, object]]
    abstention_plot: bool = Field(description="Whether GET /v1/review/abstention.png has a plot to serve.")
