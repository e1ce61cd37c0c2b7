"""Checkout: turn a conversation's cart into an order, exactly once per idempotency key.

A double click, a client retry after a timeout, or the chat's "checkout" re-sent all carry the same
key; the unique constraint on ``orders.idempotency_key`` makes the second insert fail and we return
the first order instead of creating another.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Engine, RowMapping, insert, select
from sqlalchemy.exc import IntegrityError

from app.domain.order import Order
from app.domain.turn import ConversationState
from app.pipeline.cart import cart_total
from app.storage.schema import orders


class OrderService:
    def __init__(self, engine: Engine, currency: str) -> None:
        self.engine = engine
        self.currency = currency

    def _by_key(self, key: str) -> Order | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(orders).where(orders.c.idempotency_key == key)).mappings().first()
        return _to_order(row) if row is not None else None

    def place(self, state: ConversationState, idempotency_key: str) -> Order | None:
        """The order for this key: the existing one if the key was seen, else a new one from the cart
        (``None`` when the cart is empty and no order exists for the key)."""
        existing = self._by_key(idempotency_key)
        if existing is not None or not state.cart:
            return existing
        order = Order(
            order_id="ord_" + uuid.uuid4().hex[:12],
            conversation_id=state.conversation_id,
            created_at=datetime.now(UTC),
            lines=state.cart,
            total=cart_total(state),
            currency=self.currency,
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(orders).values(
                        order_id=order.order_id,
                        conversation_id=order.conversation_id,
                        idempotency_key=idempotency_key,
                        created_at=order.created_at,
                        total=order.total,
                        currency=order.currency,
                        lines=[line.model_dump() for line in order.lines],
                    )
                )
        except IntegrityError:  # a concurrent request with the same key won the race
            return self._by_key(idempotency_key)
        return order

    def for_conversation(self, conversation_id: str) -> list[Order]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(orders)
                .where(orders.c.conversation_id == conversation_id)
                .order_by(orders.c.created_at)
            ).mappings()
            return [_to_order(r) for r in rows]


def _to_order(row: RowMapping) -> Order:
    fields = ("order_id", "conversation_id", "created_at", "lines", "total", "currency")
    return Order.model_validate({k: row[k] for k in fields})
