"""The label vocabulary of classification evals: backends, label sets and one result row.

It lives in the domain because three layers speak it: the evaluators that write labels
(``evals/``), the review read model that filters and counts them (``app/review/``) and the
console that shows them (``ui/``). None of them may import another's internals, so the words they
share sit at the bottom.

Labels, not scores, with Arize Phoenix's label names, so a label means the same thing whichever
backend produced it and rates, confusion matrices and Cohen's kappa are well defined.
``not_applicable`` is written when an evaluator has nothing to judge (relevance with no products
shown, intent with no golden answer): the row exists, so "every turn has every label" stays
checkable, and rates are computed over applicable rows only.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

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


class EvalResult(BaseModel):
    turn_id: str
    evaluator: str
    evaluator_version: str
    backend: Backend
    label: str
    explanation: str
    created_at: datetime | None = None
