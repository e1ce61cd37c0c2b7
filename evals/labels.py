"""The vocabulary of classification evals: backends, label sets, one result row, one turn's context.

Labels, not scores, with Arize Phoenix's label names, so a label means the same thing whichever
backend produced it and rates, confusion matrices and Cohen's kappa are well defined.
``not_applicable`` is written when an evaluator has nothing to judge (relevance with no products
shown, intent with no golden answer): the row exists, so "every turn has every label" stays
checkable, and rates are computed over applicable rows only.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from app.domain.catalog import Product
from app.domain.turn import Intent, TurnRecord

NOT_APPLICABLE = "not_applicable"


class Backend(StrEnum):
    CODE = "CODE"
    LLM = "LLM"
    CLASSIFIER = "CLASSIFIER"


#: evaluator name → its (positive, negative) labels; the first is the "problem" class where one is.
LABELS: dict[str, tuple[str, str]] = {
    "hallucination": ("hallucinated", "grounded"),
    "relevance": ("irrelevant", "relevant"),
    "refusal": ("refused", "answered"),
    "intent": ("incorrect", "correct"),
    "toxicity": ("toxic", "non-toxic"),
    "friction": ("friction", "no_friction"),
}


class Expected(BaseModel):
    """What a golden conversation says about one turn."""

    intent: Intent | None = None
    refuse: bool | None = None


class TurnContext(BaseModel):
    """Everything an evaluator may look at for one logged turn."""

    record: TurnRecord
    shown: list[Product] = Field(default_factory=list, description="The shown products, in order.")
    history: list[TurnRecord] = Field(default_factory=list, description="Earlier turns, oldest first.")
    ratings: list[str] = Field(default_factory=list, description="Feedback ratings on this turn.")
    expected: Expected | None = None


class EvalResult(BaseModel):
    turn_id: str
    evaluator: str
    evaluator_version: str
    backend: Backend
    label: str
    explanation: str
    created_at: datetime | None = None
