"""The inventory feed: read from CSV or JSONL, validated, and ingested idempotently."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from app.catalog.inventory import FeedError, InventoryStore, StockRow, demo_feed, read_feed
from app.domain.catalog import Product, Variant
from app.storage.db import create_schema, make_engine


def product(n_variants: int = 2) -> Product:
    tag = uuid.uuid4().hex[:8]
    variants = [Variant(sku=f"P{tag}-{i}", size=str(i)) for i in range(n_variants)]
    return Product(id=f"test:P{tag}", source="test", sku=f"P{tag}", name="P", price=10, variants=variants)


def test_a_csv_feed_is_read_with_qty_or_quantity(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("sku,qty\nA-1,3\nA-2,0\n")
    (tmp_path / "b.csv").write_text("sku,quantity\nB-1,7\n")
    assert read_feed(tmp_path / "a.csv") == [StockRow(sku="A-1", qty=3), StockRow(sku="A-2", qty=0)]
    assert read_feed(tmp_path / "b.csv") == [StockRow(sku="B-1", qty=7)]


def test_a_jsonl_feed_is_read(tmp_path: Path) -> None:
    (tmp_path / "f.jsonl").write_text('{"sku": "A-1", "qty": 4}\n\n{"sku": "A-2", "quantity": 1}\n')
    assert read_feed(tmp_path / "f.jsonl") == [StockRow(sku="A-1", qty=4), StockRow(sku="A-2", qty=1)]


def test_a_negative_quantity_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("sku,qty\nA-1,3\nA-2,-1\n")
    with pytest.raises(FeedError, match=r"bad.csv:3"):
        read_feed(tmp_path / "bad.csv")


def test_ingesting_the_same_feed_twice_leaves_the_same_stock(db_url: str) -> None:
    engine = make_engine(db_url)
    create_schema(engine)
    p = product()
    rows = [StockRow(sku=p.variants[0].sku, qty=4), StockRow(sku=p.variants[1].sku, qty=0)]
    store = InventoryStore(engine)
    store.ingest(rows, [p])
    first = store.available([v.sku for v in p.variants])
    store.ingest(rows, [p])
    assert (
        store.available([v.sku for v in p.variants]) == first == {p.variants[0].sku: 4, p.variants[1].sku: 0}
    )
    store.ingest([StockRow(sku=p.variants[0].sku, qty=9)], [p])  # a new feed sets, never adds
    assert store.available([p.variants[0].sku]) == {p.variants[0].sku: 9}
    engine.dispose()


def test_a_feed_sku_the_catalog_does_not_sell_is_refused(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    create_schema(engine)
    with pytest.raises(FeedError, match="not in the catalog"):
        InventoryStore(engine).ingest([StockRow(sku="NOPE", qty=1)], [product()])


def test_the_demo_rule_is_seeded_and_sells_some_variants_out() -> None:
    products = [product(10) for _ in range(100)]
    rows = demo_feed(products, seed=17)
    assert rows == demo_feed(products, seed=17)
    sold_out = sum(r.qty == 0 for r in rows) / len(rows)
    assert len(rows) == 1000 and 0.04 < sold_out < 0.14
    assert all(0 <= r.qty <= 40 for r in rows)


def test_the_demo_rule_keeps_a_variant_the_source_marks_out_of_stock_at_zero() -> None:
    p = product(3)
    p.variants[1].in_stock = False
    assert [r.qty for r in demo_feed([p])][1] == 0
