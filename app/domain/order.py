"""Orders created at checkout."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from app.domain.turn import CartLine


class Order(BaseModel):
    order_id: str
    conversation_id: str
    created_at: datetime
    lines: list[CartLine]
    total: float
    currency: str
