"""The Kibana order-history adapter, checked against the real ecommerce.json.gz."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest

from app.catalog.sources.base import SourceBatch
from app.catalog.sources.kibana import (
    KibanaSource,
    iter_orders,
    kibana_product_id,
    line_product_id,
    split_name,
)
from app.domain.catalog import Product

RATE = 1.08


@pytest.fixture(scope="module")
def orders_path(data_dir: Path) -> Path:
    return data_dir / "kibana-ecommerce-orders" / "ecommerce.json.gz"


@pytest.fixture(scope="module")
def raw_lines(orders_path: Path) -> list[dict]:
    """The order lines read straight from the file, independently of the adapter."""
    with gzip.open(orders_path, "rt") as fh:
        return [line for doc in map(json.loads, fh) for line in doc["products"]]


@pytest.fixture(scope="module")
def batch(data_dir: Path) -> SourceBatch:
    return KibanaSource(eur_to_usd=RATE).load(data_dir)


@pytest.fixture(scope="module")
def by_id(batch: SourceBatch) -> dict[str, Product]:
    return {p.id: p for p in batch.products}


def test_order_stream_has_every_order_and_line(orders_path: Path) -> None:
    orders = list(iter_orders(orders_path))
    assert len(orders) == 4675
    assert sum(len(o.lines) for o in orders) == 10087
    first = orders[0].lines[0]
    assert (first.name, first.base_name, first.color_text) == (
        "Basic T-shirt - dark blue/white",
        "Basic T-shirt",
        "dark blue/white",
    )


def test_names_split_at_the_last_dash() -> None:
    assert split_name("3 PACK - Socks - blue") == ("3 PACK - Socks", "blue")
    assert split_name("Ankle boots - black ") == ("Ankle boots", "black")
    assert split_name("Demi-Boots") == ("Demi-Boots", None)


def test_products_group_the_7128_kibana_product_ids(batch: SourceBatch, raw_lines) -> None:
    assert len({line["product_id"] for line in raw_lines}) == 7128
    assert sum(len(p.variants) for p in batch.products) == 7128
    assert len(batch.products) == 994
    assert len({p.id for p in batch.products}) == 994


def test_prices_are_usd_at_the_fixed_rate(batch: SourceBatch, raw_lines) -> None:
    eur = {line["sku"]: line["base_unit_price"] for line in raw_lines}
    for p in batch.products:
        assert p.currency == "USD"
        for v in p.variants:
            assert v.price == round(eur[v.sku] * RATE, 2), v.sku
        assert p.price == round(min(eur[v.sku] for v in p.variants) * RATE, 2), p.id


def test_the_rate_is_a_constructor_argument(data_dir: Path, by_id) -> None:
    at_par = {p.id: p.price for p in KibanaSource(eur_to_usd=1.0).load(data_dir).products}
    pid = "kibana:elitelligence-basic-t-shirt-men-s-clothing"
    assert by_id[pid].price == round(at_par[pid] * RATE, 2)


def test_basic_t_shirt(by_id: dict[str, Product]) -> None:
    p = by_id["kibana:elitelligence-basic-t-shirt-men-s-clothing"]
    assert (p.name, p.brand, p.gender, p.category) == ("Basic T-shirt", "Elitelligence", "men", "tees")
    assert p.category_path == ["Men", "Clothing"]
    assert p.source == "kibana" and p.sku == "elitelligence-basic-t-shirt-men-s-clothing"
    variant = next(v for v in p.variants if v.sku == "ZO0549605496")  # "Basic T-shirt - dark blue/white"
    assert variant.color == "blue"
    assert variant.price == round(11.99 * RATE, 2)


def test_pack_names_keep_their_prefix_and_spellings_merge(by_id: dict[str, Product], raw_lines) -> None:
    socks = by_id["kibana:elitelligence-3-pack-socks-men-s-clothing"]
    assert socks.name == "3 PACK - Socks"
    assert socks.category == "socks"
    # "(3) Pack - Socks - ..." lines of the same brand and category are the same item
    other_spelling = {
        line["sku"]
        for line in raw_lines
        if line["product_name"].startswith("(3) Pack - Socks") and line["manufacturer"] == "Elitelligence"
    }
    assert other_spelling and other_spelling <= {v.sku for v in socks.variants}


def test_every_product_has_brand_gender_colour_and_sales(batch: SourceBatch, raw_lines) -> None:
    assert Counter(p.gender for p in batch.products) == {"women": 608, "men": 386}
    assert sum(p.popularity for p in batch.products) == sum(line["quantity"] for line in raw_lines) == 10091
    for p in batch.products:
        assert p.popularity > 0
        assert p.category_path[0] in ("Women", "Men")
        assert p.category_path[1] in ("Clothing", "Shoes", "Accessories")
        assert p.category
    # 33 product ids have a blank manufacturer; they group into 8 brandless products.
    assert sum(1 for p in batch.products if p.brand is None) == 8
    colours = [v.color for p in batch.products for v in p.variants]
    assert sum(c is not None for c in colours) / len(colours) > 0.95


def test_description_is_derived_from_the_fields(by_id: dict[str, Product]) -> None:
    p = by_id["kibana:elitelligence-basic-t-shirt-men-s-clothing"]
    assert p.description.startswith("Basic T-shirt by Elitelligence in men's clothing. Available in ")
    assert all(c in p.description for c in p.colors)


def test_ids_are_deterministic_slugs(orders_path: Path, by_id) -> None:
    assert kibana_product_id("Jumper", "Oceanavigations", "Women's Clothing") == (
        "kibana:oceanavigations-jumper-women-s-clothing"
    )
    for order in list(iter_orders(orders_path))[:200]:
        for line in order.lines:
            assert line_product_id(line) in by_id


def test_copurchase_links_are_symmetric_order_counts(batch: SourceBatch, orders_path: Path, by_id) -> None:
    weights = {(lk.product_id, lk.linked_id): lk.weight for lk in batch.links}
    assert {lk.kind for lk in batch.links} == {"copurchase"}
    assert all(weights[(b, a)] == w for (a, b), w in weights.items())
    assert all(a in by_id and b in by_id and a != b for a, b in weights)
    pairs: Counter[tuple[str, str]] = Counter()
    for order in iter_orders(orders_path):
        pairs.update(combinations(sorted({line_product_id(line) for line in order.lines}), 2))
    assert len(weights) == 2 * len(pairs) == 11360
    assert all(weights[pair] == n for pair, n in pairs.items())
