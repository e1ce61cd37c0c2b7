"""What an evaluator is given: one logged turn with its context, and the golden expectation.

The label vocabulary itself (backends, label sets, result rows) is ``app.domain.labels``; this
module holds only the evaluator-side inputs.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.domain.catalog import Product
from app.domain.turn import Intent, TurnRecord


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
