"""The SQL catalog store, on SQLite and on a real PostgreSQL (the ``db_url`` fixture)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from app.catalog.ingest import load_catalog
from app.catalog.sources.base import ProductLink, SourceBatch
from app.catalog.sources.magento import MagentoSource
from app.catalog.store import CatalogStore, content_hash
from app.storage.db import create_schema, make_engine
from app.storage.schema import product_links, products


@pytest.fixture(scope="module")
def magento(data_dir: Path) -> SourceBatch:
    return MagentoSource().load(data_dir)


@pytest.fixture
def store(db_url: str) -> Iterator[CatalogStore]:
    """An empty catalog. The PostgreSQL database lives for the session, so it is emptied first."""
    engine = make_engine(db_url)
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(delete(product_links))
        conn.execute(delete(products))
    yield CatalogStore(engine)
    engine.dispose()


def test_round_trip(store: CatalogStore, magento: SourceBatch) -> None:
    stats = store.upsert(magento.products)
    assert (stats.inserted, stats.updated, stats.unchanged) == (185, 0, 0)
    assert store.count() == 185
    for p in magento.products[:3] + magento.products[-3:]:
        assert store.get(p.id) == p
    assert store.get("magento:NOPE") is None
    assert [p.id for p in store.all()] == sorted(p.id for p in magento.products)
    assert store.all(source="kibana") == []
    assert store.brands() == ["Luma"]


def test_upsert_is_idempotent_and_rewrites_only_changed_rows(store: CatalogStore, magento) -> None:
    store.upsert(magento.products)
    version = store.catalog_hash()
    again = store.upsert(magento.products)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 185)
    assert store.catalog_hash() == version

    cheaper = magento.products[0].model_copy(update={"price": 1.0})
    stats = store.upsert([cheaper, *magento.products[1:]])
    assert (stats.inserted, stats.updated, stats.unchanged) == (0, 1, 184)
    assert store.get(cheaper.id) == cheaper
    assert store.catalog_hash() != version

    store.upsert(magento.products)  # and back
    assert store.catalog_hash() == version


def test_catalog_hash_is_a_pure_function_of_the_products(store: CatalogStore, magento) -> None:
    """The same catalog has the same version on SQLite and PostgreSQL, whatever the insert order."""
    store.upsert(list(reversed(magento.products)))
    digest = hashlib.sha256()
    for pid, h in sorted((p.id, content_hash(p)) for p in magento.products):
        digest.update(f"{pid}\t{h}\n".encode())
    assert store.catalog_hash() == digest.hexdigest()


def test_get_many_keeps_the_input_order_and_skips_unknown_ids(store: CatalogStore, magento) -> None:
    store.upsert(magento.products)
    ids = ["magento:WS12", "magento:unknown", "magento:MH01", "magento:24-WG081"]
    assert [p.id for p in store.get_many(ids)] == ["magento:WS12", "magento:MH01", "magento:24-WG081"]
    assert store.get_many([]) == []


def test_duplicate_ids_in_one_upsert_are_refused(store: CatalogStore, magento) -> None:
    with pytest.raises(ValueError, match="magento:MH01"):
        store.upsert([magento.products[0], magento.products[0]])


def test_links_are_replaced_not_appended(store: CatalogStore, magento: SourceBatch) -> None:
    store.upsert(magento.products)
    assert store.replace_links(magento.links) == len(magento.links) == 1404
    assert store.replace_links(magento.links) == 1404
    assert store.link_count() == 1404
    related = store.links_for(["magento:WH01"], kinds=["related"])
    assert {lk.linked_id for lk in related} == {
        "magento:WP06",
        "magento:WS02",
        "magento:WS05",
        "magento:WP09",
    }
    both = store.links_for(["magento:WH02", "magento:WH01"])
    assert both[0].product_id == "magento:WH02" and both[-1].product_id == "magento:WH01"
    assert {lk.kind for lk in both} == {"related", "crosssell"}


def test_links_for_orders_by_weight(store: CatalogStore) -> None:
    store.replace_links(
        [
            ProductLink(product_id="a", linked_id="b", kind="copurchase", weight=1),
            ProductLink(product_id="a", linked_id="c", kind="copurchase", weight=5),
        ]
    )
    assert [lk.linked_id for lk in store.links_for(["a"], kinds=["copurchase"])] == ["c", "b"]
    assert store.links_for(["a"], kinds=["related"]) == []


def test_prune_removes_products_no_longer_in_the_catalog(store: CatalogStore, magento) -> None:
    store.upsert(magento.products)
    store.replace_links(magento.links)
    keep = [p.id for p in magento.products if p.id != "magento:WH01"]
    assert store.prune(keep) == 1
    assert store.count() == 184
    assert store.links_for(["magento:WH01"]) == []
    assert all(lk.linked_id != "magento:WH01" for lk in store.links_for(keep))


def test_ingesting_the_full_catalog_stores_every_product_and_brand(
    store: CatalogStore, data_dir: Path
) -> None:
    # How fast the ingest is belongs to `make bench`, not to a timed unit test that fails on a busy box.
    batch = load_catalog(data_dir, ["magento", "kibana"], eur_to_usd=1.08)
    stats = store.upsert(batch.products)
    store.replace_links(batch.links)
    assert stats.inserted == store.count() == 185 + 994
    assert len(store.brands()) == 21  # Luma and the 20 named Kibana manufacturers
