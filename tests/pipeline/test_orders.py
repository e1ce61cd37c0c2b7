"""Checkout and cancellation on both SQL backends: stock is reserved atomically, prices are re-read,
the idempotency key still means one order, and a cancellation gives stock back exactly once."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from app.catalog.inventory import InventoryStore, StockRow
from app.catalog.store import CatalogStore
from app.domain.catalog import Product, Variant
from app.domain.order import OrderStatus
from app.domain.turn import CartLine, ConversationState
from app.pipeline.orders import CancelRefused, OrderService, PriceChanged, QuantityLimit, SoldOut
from app.storage.db import create_schema, make_engine
from app.storage.schema import orders


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    create_schema(engine)
    return engine


def hoodie(price: float = 50.0) -> Product:
    """A product with unique SKUs, so tests sharing the session's PostgreSQL database never meet."""
    tag = uuid.uuid4().hex[:8]
    return Product(
        id=f"test:H{tag}",
        source="test",
        sku=f"H{tag}",
        name="Test Hoodie",
        price=price,
        sizes=["M", "L"],
        colors=["Black"],
        variants=[
            Variant(sku=f"H{tag}-M-Black", size="M", color="Black"),
            Variant(sku=f"H{tag}-L-Black", size="L", color="Black", price=price + 5),
        ],
    )


def stocked(engine: Engine, product: Product, qty: dict[str, int]) -> None:
    CatalogStore(engine).upsert([product])
    InventoryStore(engine).ingest([StockRow(sku=s, qty=n) for s, n in qty.items()], [product])


def cart(
    product: Product, size: str = "M", quantity: int = 1, price: float | None = None
) -> ConversationState:
    v = next(v for v in product.variants if v.size == size)
    line = CartLine(
        product_id=product.id,
        name=product.name,
        sku=v.sku,
        size=size,
        color="Black",
        quantity=quantity,
        unit_price=price if price is not None else (v.price or product.price),
    )
    return ConversationState(conversation_id="c_" + uuid.uuid4().hex, cart=[line])


def stock(engine: Engine, sku: str) -> int:
    return InventoryStore(engine).available([sku])[sku]


def test_placing_an_order_takes_its_units_from_stock(engine: Engine) -> None:
    p = hoodie()
    stocked(engine, p, {p.variants[0].sku: 3})
    order = OrderService(engine, "USD").place(cart(p, quantity=2), "key-" + uuid.uuid4().hex)
    assert order is not None and order.status is OrderStatus.placed and order.total == 100.0
    assert stock(engine, p.variants[0].sku) == 1


def test_a_line_with_fewer_units_left_than_asked_is_sold_out_and_reserves_nothing(engine: Engine) -> None:
    p = hoodie()
    m, lsku = p.variants[0].sku, p.variants[1].sku
    stocked(engine, p, {m: 5, lsku: 1})
    state = cart(p, quantity=1)
    state.cart.append(cart(p, size="L", quantity=2).cart[0])
    with pytest.raises(SoldOut) as refused:
        OrderService(engine, "USD").place(state, "key-" + uuid.uuid4().hex)
    assert [(s.sku, s.requested, s.available) for s in refused.value.shortages] == [(lsku, 2, 1)]
    assert (stock(engine, m), stock(engine, lsku)) == (5, 1)  # the M line's reservation rolled back


def test_a_price_changed_since_the_cart_is_refused_with_old_and_new_price(engine: Engine) -> None:
    p = hoodie(price=50.0)
    stocked(engine, p, {p.variants[0].sku: 5})
    state = cart(p, price=45.0)  # added when it cost 45
    with pytest.raises(PriceChanged) as refused:
        OrderService(engine, "USD").place(state, "key-" + uuid.uuid4().hex)
    change = refused.value.changes[0]
    assert (change.sku, change.old_price, change.new_price) == (p.variants[0].sku, 45.0, 50.0)
    assert stock(engine, p.variants[0].sku) == 5


def test_the_variant_price_is_the_one_re_read(engine: Engine) -> None:
    p = hoodie(price=50.0)  # L costs 55
    stocked(engine, p, {p.variants[1].sku: 5})
    order = OrderService(engine, "USD").place(cart(p, size="L"), "key-" + uuid.uuid4().hex)
    assert order is not None and order.total == 55.0


def test_more_than_the_per_item_limit_is_refused(engine: Engine) -> None:
    p = hoodie()
    stocked(engine, p, {p.variants[0].sku: 50})
    with pytest.raises(QuantityLimit):
        OrderService(engine, "USD", max_quantity=3).place(cart(p, quantity=4), "key-" + uuid.uuid4().hex)
    assert stock(engine, p.variants[0].sku) == 50


def test_the_same_idempotency_key_is_one_order_and_one_reservation(engine: Engine) -> None:
    p = hoodie()
    stocked(engine, p, {p.variants[0].sku: 5})
    service, state, key = OrderService(engine, "USD"), cart(p), "key-" + uuid.uuid4().hex
    first, second = service.place(state, key), service.place(state, key)
    assert first is not None and second is not None and first.order_id == second.order_id
    assert stock(engine, p.variants[0].sku) == 4


def test_concurrent_checkouts_for_the_last_units_never_oversell(engine: Engine) -> None:
    p = hoodie()
    sku = p.variants[0].sku
    stocked(engine, p, {sku: 3})
    service = OrderService(engine, "USD")

    def attempt(_: int) -> str:
        try:
            return "placed" if service.place(cart(p), "key-" + uuid.uuid4().hex) else "none"
        except SoldOut:
            return "sold_out"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(24)))
    assert results.count("placed") == 3 and results.count("sold_out") == 21
    assert stock(engine, sku) == 0


def test_cancelling_restores_the_stock_once(engine: Engine) -> None:
    p = hoodie()
    sku = p.variants[0].sku
    stocked(engine, p, {sku: 2})
    service, state = OrderService(engine, "USD"), cart(p, quantity=2)
    order = service.place(state, "key-" + uuid.uuid4().hex)
    assert order is not None and stock(engine, sku) == 0
    cancelled = service.cancel(state.conversation_id, order.order_id)
    assert cancelled.status is OrderStatus.cancelled and cancelled.cancelled_at is not None
    assert stock(engine, sku) == 2
    with pytest.raises(CancelRefused) as again:
        service.cancel(state.conversation_id, order.order_id)
    assert again.value.reason == "already_cancelled"
    assert stock(engine, sku) == 2


def test_an_order_cannot_be_cancelled_after_the_window(engine: Engine) -> None:
    p = hoodie()
    stocked(engine, p, {p.variants[0].sku: 2})
    clock = Clock()
    service, state = OrderService(engine, "USD", cancel_window=timedelta(minutes=30), clock=clock), cart(p)
    order = service.place(state, "key-" + uuid.uuid4().hex)
    assert order is not None
    clock.now += timedelta(minutes=31)
    with pytest.raises(CancelRefused) as late:
        service.cancel(state.conversation_id, order.order_id)
    assert late.value.reason == "too_late"
    assert service.get(state.conversation_id, order.order_id).status is OrderStatus.placed  # type: ignore[union-attr]


def test_another_conversation_cannot_cancel_the_order(engine: Engine) -> None:
    p = hoodie()
    stocked(engine, p, {p.variants[0].sku: 2})
    service, state = OrderService(engine, "USD"), cart(p)
    order = service.place(state, "key-" + uuid.uuid4().hex)
    assert order is not None
    with pytest.raises(CancelRefused) as refused:
        service.cancel("c_someone_else", order.order_id)
    assert refused.value.reason == "not_found"


def test_an_untracked_sku_is_not_limited(engine: Engine) -> None:
    p = hoodie()
    CatalogStore(engine).upsert([p])  # no inventory rows
    order = OrderService(engine, "USD").place(cart(p, quantity=3), "key-" + uuid.uuid4().hex)
    assert order is not None
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(orders).where(orders.c.order_id == order.order_id))
        assert n.scalar_one() == 1


def test_ranking_reads_stock_at_most_the_cache_interval_old_and_the_cart_reads_it_live(
    engine: Engine,
) -> None:
    p = hoodie()
    stocked(engine, p, {p.variants[0].sku: 3, p.variants[1].sku: 1})
    clock = [100.0]
    service = OrderService(engine, "USD", stock_cache_s=2.0, monotonic=lambda: clock[0])
    sku = p.variants[1].sku
    assert service.available_recent([sku]) == {sku: 1}
    service.place(cart(p, size="L"), "key-" + uuid.uuid4().hex)  # the last L is sold
    assert service.available([sku]) == {sku: 0}  # live
    assert service.available_recent([sku]) == {sku: 1}  # within the interval: the cached level
    clock[0] += 2.5
    assert service.available_recent([sku]) == {sku: 0}  # refreshed after it


def test_threads_whose_stock_copy_expired_together_read_the_table_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = hoodie()
    stocked(engine, p, {p.variants[0].sku: 3})
    reads: list[int] = []
    real = InventoryStore.levels

    def counted(self: InventoryStore) -> dict[str, int]:
        reads.append(1)
        return real(self)

    monkeypatch.setattr(InventoryStore, "levels", counted)
    service = OrderService(engine, "USD", stock_cache_s=60.0)
    sku = p.variants[0].sku
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: service.available_recent([sku]), range(32)))
    assert got == [{sku: 3}] * 32
    assert len(reads) == 1
