"""The Magento Luma adapter, checked against the real sample-data fixtures."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from app.catalog.sources.base import SourceBatch
from app.catalog.sources.magento import MagentoSource, parse_additional_attributes
from app.domain.catalog import Product

MAGENTO = "magento-luma-sample"


@pytest.fixture(scope="module")
def source(data_dir: Path) -> MagentoSource:
    return MagentoSource()


@pytest.fixture(scope="module")
def batch(source: MagentoSource, data_dir: Path) -> SourceBatch:
    return source.load(data_dir)


@pytest.fixture(scope="module")
def by_sku(batch: SourceBatch) -> dict[str, Product]:
    return {p.sku: p for p in batch.products}


def test_yields_the_147_configurable_parents_plus_38_gear_items(batch: SourceBatch) -> None:
    apparel = [p for p in batch.products if p.category_path[0] in ("Men", "Women")]
    gear = [p for p in batch.products if p.category_path[0] == "Gear"]
    assert len(apparel) == 147
    assert sum(len(p.variants) for p in apparel) == 1847  # every simple child is a variant
    # 44 gear rows; the nine Sprite Stasis Ball rows (3 sizes x 3 colours) fold into 3 products.
    assert len(gear) == 38
    assert len(batch.products) == 185
    assert len({p.id for p in batch.products}) == 185


def test_priceless_bundle_and_grouped_products_are_skipped_with_a_reason(
    source: MagentoSource, batch
) -> None:
    assert [s.split(" ")[0] for s in source.skipped] == ["24-WG080", "24-WG085_Group"]
    assert all("no price" in s for s in source.skipped)


def test_chaz_kangeroo_hoodie(by_sku: dict[str, Product]) -> None:
    p = by_sku["MH01"]
    assert p.id == "magento:MH01"
    assert (p.name, p.source, p.brand, p.currency) == ("Chaz Kangeroo Hoodie", "magento", "Luma", "USD")
    assert p.category == "hoodies"
    assert p.category_path == ["Men", "Tops", "Hoodies & Sweatshirts"]
    assert p.gender == "men"
    assert p.price == 52.0
    assert set(p.colors) == {"black", "gray", "orange"}
    assert p.sizes == ["XS", "S", "M", "L", "XL"]
    assert p.materials == ["wool"]
    assert p.attributes["pattern"] == ["color-blocked"]
    assert p.attributes["collections"] == ["eco friendly"]
    assert len(p.variants) == 15
    v = p.variants[0]
    assert (v.sku, v.size, v.color, v.price, v.in_stock) == ("MH01-XS-Black", "XS", "black", 52.0, True)
    assert p.description.startswith("Ideal for cold-weather training")
    assert "Drawstring-adjustable hood." in p.description.splitlines()


def test_category_is_the_vocabulary_type_of_the_leaf_category(batch: SourceBatch) -> None:
    assert Counter(p.category for p in batch.products) == {
        "tanks": 26,  # "Bras & Tanks" and "Tanks"
        "hoodies": 25,
        "pants": 25,
        "tees": 24,
        "shorts": 24,
        "jackets": 23,
        "fitness equipment": 15,
        "bags": 14,
        "watches": 9,
    }


def test_gender_comes_from_the_path_or_the_gear_gender_column(batch: SourceBatch, by_sku) -> None:
    assert Counter(p.gender for p in batch.products) == {"women": 79, "men": 76, "unisex": 16, None: 14}
    assert by_sku["24-MG04"].gender == "men"  # watch: "Men"
    assert by_sku["24-MG03"].gender == "unisex"  # watch: "Men\nWomen\nUnisex"
    assert by_sku["24-MB01"].gender is None  # bags have no gender column


def test_merchandising_paths_never_become_the_category_path(batch: SourceBatch) -> None:
    for p in batch.products:
        assert p.category_path and p.category_path[0] in ("Men", "Women", "Gear")
        assert not {"Default Category", "Collections", "Promotions"} & set(p.category_path)


def test_text_is_clean_of_html_and_trademark_entities(batch: SourceBatch, by_sku) -> None:
    for p in batch.products:
        assert p.description, p.id
        assert "<" not in p.description and "&" not in p.description.replace(" & ", "")
        values = [p.name, *p.materials, *(v for vs in p.attributes.values() for v in vs)]
        assert not [v for v in values if "&" in v or "™" in v or "®" in v], p.id
    assert by_sku["24-UG02"].name == "Pursuit Lumaflex Tone Band"  # was "Lumaflex&trade;"
    assert "1/4 zip" in by_sku["MJ01"].attributes["style"]  # was "&frac14; zip"


def test_materials_are_normalised_and_unknown_ones_kept(by_sku: dict[str, Product]) -> None:
    # raw: "Cocona&reg; performance fabric|Lycra&reg;|Polyester"
    raw = parse_additional_attributes(
        "material=Cocona&reg; performance fabric|Lycra&reg;|Polyester,pattern=Solid"
    )
    assert raw == {"material": "Cocona&reg; performance fabric|Lycra&reg;|Polyester", "pattern": "Solid"}
    lycra = [p for p in by_sku.values() if "spandex" in p.materials]
    assert len(lycra) == 45
    assert by_sku["24-MB02"].materials == ["burlap", "nylon", "polyester"]  # burlap: not in vocabulary
    assert by_sku["WS12"].materials == ["hemp", "cotton", "spandex"]


def test_stasis_balls_fold_into_one_product_per_size_with_colour_variants(by_sku) -> None:
    ball = by_sku["24-WG081"]
    assert ball.name == "Sprite Stasis Ball 55 cm"
    assert ball.category == "fitness equipment"
    assert ball.price == 23.0
    assert [(v.sku, v.color) for v in ball.variants] == [
        ("24-WG081-gray", "gray"),
        ("24-WG081-pink", "pink"),  # the fixture's colour column says "Red"; SKU and url say pink
        ("24-WG081-blue", "blue"),
    ]


def test_special_price_below_list_price_is_the_price(by_sku: dict[str, Product]) -> None:
    tote = by_sku["24-WB05"]  # Savvy Shoulder Tote: price 32, special_price 24
    assert tote.price == 24.0
    assert "sale" in tote.attributes["flags"]
    assert by_sku["24-MB04"].price == 32.0  # special_price equal to price


def _reviews(data_dir: Path) -> list[dict[str, str]]:
    path = data_dir / MAGENTO / "ReviewSampleData/fixtures/products_reviews.csv"
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_ratings_are_the_mean_and_count_of_the_csv_reviews(batch: SourceBatch, by_sku, data_dir) -> None:
    rows = _reviews(data_dir)
    assert len(rows) == 500
    per_sku: dict[str, list[int]] = {}
    for r in rows:
        per_sku.setdefault(r["sku"], []).append(int(r["rating_value"]))
    # Reviews name parent SKUs; every product with reviews in the CSV carries them.
    for p in batch.products:
        values = per_sku.get(p.sku) or per_sku.get(p.sku.removeprefix("24-"), [])
        assert p.review_count == len(values), p.sku
        assert p.rating == (round(sum(values) / len(values), 2) if values else None), p.sku
    assert (by_sku["MJ01"].rating, by_sku["MJ01"].review_count) == (4.5, 2)  # reviews 5, 4
    assert (by_sku["WS12"].rating, by_sku["WS12"].review_count) == (3.0, 3)  # reviews 3, 2, 4
    assert (by_sku["24-WG082"].rating, by_sku["24-WG082"].review_count) == (5.0, 1)  # reviewed as "WG082"
    assert by_sku["MH01"].review_count == 0 and by_sku["MH01"].rating is None
    # 351 of the 500 reviews are of products in the sample, spread over 128 products.
    assert sum(p.review_count for p in batch.products) == 351
    assert sum(1 for p in batch.products if p.review_count) == 128


def test_links_join_existing_products_only(batch: SourceBatch) -> None:
    ids = {p.id for p in batch.products}
    assert batch.links
    for link in batch.links:
        assert link.product_id in ids and link.linked_id in ids
        assert link.product_id != link.linked_id
    keys = [(lk.product_id, lk.linked_id, lk.kind) for lk in batch.links]
    assert len(keys) == len(set(keys))
    assert Counter(lk.kind for lk in batch.links) == {"crosssell": 634, "related": 445, "upsell": 325}


def test_link_cells_are_newline_lists_and_variant_skus_map_to_parents(batch: SourceBatch) -> None:
    related = {lk.linked_id for lk in batch.links if lk.product_id == "magento:WH01" and lk.kind == "related"}
    assert related == {"magento:WP06", "magento:WS02", "magento:WS05", "magento:WP09"}
    cross = {lk.linked_id for lk in batch.links if lk.product_id == "magento:WH01" and lk.kind == "crosssell"}
    # "24-UG06, 24-WG084, 24-UG02, 24-WG083-blue": the blue 75 cm ball is a variant of 24-WG083
    assert cross == {"magento:24-UG06", "magento:24-WG084", "magento:24-UG02", "magento:24-WG083"}
