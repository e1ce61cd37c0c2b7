"""Checkout and cancellation: a cart becomes an order exactly once, and never sells what is not there.

**Exactly once per key.** A double click, a client retry after a timeout, or the chat's "checkout"
re-sent all carry the same idempotency key; the unique constraint on ``orders.idempotency_key``
makes the second insert fail, its transaction (and its stock reservation) rolls back, and we return
the first order instead of creating another.

**Never oversell.** Placing an order is one transaction: for each line, in SKU order (so two
checkouts never wait on each other's rows in opposite orders), a conditional
``UPDATE inventory SET qty = qty - n WHERE sku = :sku AND qty >= n``. The database evaluates the
condition on the row it locks, so of N concurrent checkouts for the last k units exactly k
updates match, on PostgreSQL (row lock, re-check after the lock under READ COMMITTED) and SQLite
(one writer at a time). A line whose update matches no row is a ``SoldOut``: the transaction
rolls back and nothing is reserved. The write comes first in the transaction on purpose: on SQLite
a transaction that reads first and writes later can fail with "database is locked" instead of
waiting. The ``CHECK (qty >= 0)`` constraint is the last line of defence.

**Prices are the catalog's at checkout.** Each line's price is re-read from the ``products`` table
inside the same transaction; a line whose price moved since it was added is a ``PriceChanged``
(rolled back, nothing reserved), and the caller asks the shopper to confirm the new price.

**Cancellation** is one conditional update, ``placed → cancelled`` within the cancel window, that
gives the stock back in the same transaction; a second cancel matches no row, so stock is never
restored twice.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.catalog.inventory import InventoryStore
from app.domain.order import Order, OrderStatus, PriceChange, Shortage
from app.domain.turn import CartLine, ConversationState
from app.storage.schema import inventory, orders, products


class CheckoutRefused(Exception):
    """The cart cannot be placed as it is; nothing was reserved."""


class PriceChanged(CheckoutRefused):
    def __init__(self, changes: list[PriceChange]) -> None:
        moved = "; ".join(f"{c.name} {c.old_price:.2f} → {c.new_price:.2f}" for c in changes)
        super().__init__(
            f"the price changed since it was added to the cart ({moved}); check out again to confirm"
        )
        self.changes = changes


class SoldOut(CheckoutRefused):
    def __init__(self, shortages: list[Shortage]) -> None:
        names = ", ".join(s.name for s in shortages)
        super().__init__(f"not enough stock for: {names}")
        self.shortages = shortages


class QuantityLimit(CheckoutRefused):
    def __init__(self, line: CartLine, limit: int) -> None:
        super().__init__(
            f"at most {limit} of one item per order; the cart has {line.quantity} of {line.name}"
        )
        self.line = line
        self.limit = limit


class CancelRefused(Exception):
    """Why an order could not be cancelled: ``reason`` is not_found, already_cancelled or too_late."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def line_price(doc: dict[str, object], sku: str) -> float:
    """A SKU's current price from a product document: the variant's own price, else the product's."""
    for v in doc.get("variants") or []:  # type: ignore[attr-defined]
        if v.get("sku") == sku and v.get("price") is not None:
            return float(v["price"])
    return float(doc["price"])  # type: ignore[arg-type]


class OrderService:
    def __init__(
        self,
        engine: Engine,
        currency: str,
        max_quantity: int = 10,
        cancel_window: timedelta = timedelta(minutes=30),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        stock_cache_s: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.currency = currency
        self.max_quantity = max_quantity
        self.cancel_window = cancel_window
        self.clock = clock
        self.stock_cache_s = stock_cache_s
        self.monotonic = monotonic
        self._levels: dict[str, int] | None = None
        self._levels_at = 0.0
        self._refresh = threading.Lock()

    def _by_key(self, key: str) -> Order | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(orders).where(orders.c.idempotency_key == key)).mappings().first()
        return _to_order(row) if row is not None else None

    def place(self, state: ConversationState, idempotency_key: str) -> Order | None:
        """The order for this key: the existing one if the key was seen, else a new one from the cart
        (``None`` when the cart is empty and no order exists for the key). Raises ``PriceChanged``,
        ``SoldOut`` or ``QuantityLimit`` when the cart cannot be placed; nothing is reserved then."""
        existing = self._by_key(idempotency_key)
        if existing is not None or not state.cart:
            return existing
        for line in state.cart:
            if line.quantity > self.max_quantity:
                raise QuantityLimit(line, self.max_quantity)
        order = Order(
            order_id="ord_" + uuid.uuid4().hex[:12],
            conversation_id=state.conversation_id,
            created_at=self.clock(),
            lines=state.cart,
            total=round(sum(line.unit_price * line.quantity for line in state.cart), 2),
            currency=self.currency,
        )
        try:
            with self.engine.begin() as conn:
                _reserve(conn, state.cart)
                _check_prices(conn, state.cart)
                conn.execute(
                    insert(orders).values(
                        order_id=order.order_id,
                        conversation_id=order.conversation_id,
                        idempotency_key=idempotency_key,
                        created_at=order.created_at,
                        total=order.total,
                        currency=order.currency,
                        lines=[line.model_dump() for line in order.lines],
                        status=OrderStatus.placed.value,
                    )
                )
        except IntegrityError:  # a concurrent request with the same key won the race; ours rolled back
            found = self._by_key(idempotency_key)
            if found is None:
                raise
            return found
        return order

    def cancel(self, conversation_id: str, order_id: str) -> Order:
        """Cancel a placed order of this conversation within the window and restore its stock."""
        now = self.clock()
        with self.engine.begin() as conn:
            done = conn.execute(
                update(orders)
                .where(
                    orders.c.order_id == order_id,
                    orders.c.conversation_id == conversation_id,
                    orders.c.status == OrderStatus.placed.value,
                    orders.c.created_at >= now - self.cancel_window,
                )
                .values(status=OrderStatus.cancelled.value, cancelled_at=now)
            )
            if done.rowcount == 1:
                row = conn.execute(select(orders).where(orders.c.order_id == order_id)).mappings().one()
                order = _to_order(row)
                for line in sorted(order.lines, key=lambda x: x.sku):
                    conn.execute(
                        update(inventory)
                        .where(inventory.c.sku == line.sku)
                        .values(qty=inventory.c.qty + line.quantity, updated_at=now)
                    )
                return order
        found = self.get(conversation_id, order_id)
        if found is None:
            raise CancelRefused("not_found", f"no order {order_id} in this conversation")
        if found.status is OrderStatus.cancelled:
            raise CancelRefused("already_cancelled", f"order {order_id} is already cancelled")
        minutes = int(self.cancel_window.total_seconds() // 60)
        raise CancelRefused(
            "too_late", f"order {order_id} can no longer be cancelled: the window is {minutes} minutes"
        )

    def get(self, conversation_id: str, order_id: str) -> Order | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(orders).where(
                        orders.c.order_id == order_id, orders.c.conversation_id == conversation_id
                    )
                )
                .mappings()
                .first()
            )
        return _to_order(row) if row is not None else None

    def available(self, skus: Sequence[str]) -> dict[str, int]:
        """Units on hand for the tracked SKUs among ``skus`` (untracked SKUs are absent)."""
        return InventoryStore(self.engine).available(skus)

    def available_recent(self, skus: Sequence[str]) -> dict[str, int]:
        """``available`` as of at most ``stock_cache_s`` ago: one read of every stock level per worker
        per interval instead of an ``IN`` query over ~700 SKUs in every search turn (3–5 ms of the
        rank stage in the load test). For ranking and the in-stock fence only: a variant sold out
        within the interval may still be shown, and adding it or checking out reads live stock."""
        if self.stock_cache_s <= 0:
            return self.available(skus)
        levels = self._levels
        if levels is None or self.monotonic() - self._levels_at > self.stock_cache_s:
            levels = self._refreshed_levels()
        return {sku: levels[sku] for sku in skus if sku in levels}

    def _refreshed_levels(self) -> dict[str, int]:
        """Every stock level, read by one thread at a time: the search turns in flight whose copy
        expired at the same moment wait for one read of the table instead of each making their
        own (under load every worker thread did, each reading all ~9,000 rows)."""
        with self._refresh:
            levels = self._levels
            now = self.monotonic()
            if levels is None or now - self._levels_at > self.stock_cache_s:
                levels = InventoryStore(self.engine).levels()
                self._levels, self._levels_at = levels, now
            return levels

    def cancellable_until(self, order: Order) -> datetime:
        return order.created_at + self.cancel_window

    def for_conversation(self, conversation_id: str) -> list[Order]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(orders)
                .where(orders.c.conversation_id == conversation_id)
                .order_by(orders.c.created_at)
            ).mappings()
            return [_to_order(r) for r in rows]


def _reserve(conn: Connection, cart: list[CartLine]) -> None:
    """Take each line's units from stock, or raise ``SoldOut`` (the caller's transaction rolls back)."""
    wanted: dict[str, int] = {}
    names: dict[str, str] = {}
    for line in cart:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
        names[line.sku] = line.name
    short: list[Shortage] = []
    for sku in sorted(wanted):
        n = wanted[sku]
        taken = conn.execute(
            update(inventory)
            .where(inventory.c.sku == sku, inventory.c.qty >= n)
            .values(qty=inventory.c.qty - n)
        )
        if taken.rowcount == 1:
            continue
        have = conn.execute(select(inventory.c.qty).where(inventory.c.sku == sku)).scalar_one_or_none()
        if have is not None:  # tracked and short; an untracked SKU (no row) is not limited
            short.append(Shortage(sku=sku, name=names[sku], requested=n, available=int(have)))
    if short:
        raise SoldOut(short)


def _check_prices(conn: Connection, cart: list[CartLine]) -> None:
    ids = sorted({line.product_id for line in cart})
    docs = dict(conn.execute(select(products.c.id, products.c.doc).where(products.c.id.in_(ids))).all())
    changes = []
    for line in cart:
        doc = docs.get(line.product_id)
        if doc is None:
            continue  # a product gone from the catalog keeps the price the shopper accepted
        now = line_price(doc, line.sku)
        if abs(now - line.unit_price) >= 0.005:
            changes.append(
                PriceChange(sku=line.sku, name=line.name, old_price=line.unit_price, new_price=now)
            )
    if changes:
        raise PriceChanged(changes)


def _to_order(row: RowMapping) -> Order:
    fields = (
        "order_id",
        "conversation_id",
        "created_at",
        "lines",
        "total",
        "currency",
        "status",
        "cancelled_at",
    )
    doc = {k: row[k] for k in fields}
    for k in ("created_at", "cancelled_at"):  # SQLite gives naive datetimes back
        if doc[k] is not None and doc[k].tzinfo is None:
            doc[k] = doc[k].replace(tzinfo=UTC)
    return Order.model_validate(doc)
