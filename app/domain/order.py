"""Orders created at checkout, and why a checkout can be refused.

An order is ``placed`` or ``cancelled``. Payment is out of scope (README): a payment provider would
add its states (``paid``, ``refunded``) after ``placed`` without changing how an order is placed or
cancelled, because a cancellation is one conditional state change that also gives the stock back.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from app.domain.turn import CartLine


class OrderStatus(StrEnum):
    placed = "placed"
    cancelled = "cancelled"


class Order(BaseModel):
    order_id: str
    conversation_id: str
    created_at: datetime
    lines: list[CartLine]
    total: float
    currency: str
    status: OrderStatus = OrderStatus.placed
    cancelled_at: datetime | None = None


class PriceChange(BaseModel):
    """A cart line whose catalog price moved after it was added."""

    sku: str
    name: str
    old_price: float = Field(description="The price in the cart.")
    new_price: float = Field(description="The catalog's price now.")


class Shortage(BaseModel):
    """A cart line the store cannot fill: ``available`` units are left (0 means sold out)."""

    sku: str
    name: str
    requested: int
    available: int
