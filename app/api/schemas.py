"""Request and response bodies of the public API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from app.domain.order import Order
from app.domain.turn import CartLine, Filters, ShownProduct

CONVERSATION_ID = r"^[A-Za-z0-9_-]{1,64}$"


class ChatRequest(BaseModel):
    conversation_id: str | None = Field(
        default=None, pattern=CONVERSATION_ID, description="Omit to start a new conversation."
    )
    message: str = Field(min_length=1, description="What the shopper typed (at most 2,000 characters).")

    @field_validator("message")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("message is empty")
        return v


class ChatResponse(BaseModel):
    conversation_id: str
    conversation_token: str | None = Field(
        default=None,
        description="Only when the turn started a conversation: send it as X-Conversation-Token on every "
        "later call about this conversation. It is not stored anywhere in clear text.",
    )
    turn_id: str
    turn_index: int
    reply: str
    products: list[ShownProduct]
    abstained: bool
    intent: str
    filters: Filters
    cart: list[CartLine]
    cart_total: float
    order: Order | None = None
    latency_ms: dict[str, float]


class TranscriptTurn(BaseModel):
    turn_id: str
    turn_index: int
    created_at: datetime
    message: str
    reply: str
    intent: str
    abstained: bool
    product_ids: list[str]
    products: list[ShownProduct] = Field(default_factory=list, description="The shown product cards.")


class Transcript(BaseModel):
    conversation_id: str
    turns: list[TranscriptTurn]
    cart: list[CartLine]
    orders: list[Order]


class ErrorBody(BaseModel):
    detail: str
    errors: list[dict[str, object]] = Field(default_factory=list)


#: What every JSON-body route documents for a body that does not parse (``app.api.faults``).
NOT_JSON_RESPONSE: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not JSON"}
}


class Health(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)
