"""The generic adapter: a shop's own CSV/JSONL catalog through a column mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.catalog.sources import make_source
from app.catalog.sources.generic import GenericSource, InvalidRowError

MAPPING = {
    "id": "Handle",
    "name": "Title",
    "price": "Price",
    "category": "Type",
    "gender": "For",
    "brand": "Vendor",
    "colors": "Colour",
    "sizes": "Sizes",
    "materials": "Fabric",
    "rating": "Stars",
    "review_count": "Reviews",
    "description": "Body",
}
HEADER = "Handle,Title,Price,Type,For,Vendor,Colour,Sizes,Fabric,Stars,Reviews,Body\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_rows_become_normalised_products(tmp_path: Path) -> None:
    rows = [
        'trail-boot,Trail Boot,89.50,Women > Shoes > Ankle boots,Womens,Acme,Navy|Grey,"s, m",Suede,4.5,12,'
        '"<p>Grippy &amp; warm.</p>"',
        "mug,Enamel Mug,12,Kitchen,,Acme,Teal,,Steel,,,",
    ]
    path = write(tmp_path, "shop.csv", HEADER + "\n".join(rows) + "\n")
    source = GenericSource(path, MAPPING, source_name="shop")
    boot, mug = source.load(tmp_path).products
    assert boot.id == "shop:trail-boot" and boot.source == "shop" and boot.sku == "trail-boot"
    assert (boot.category, boot.category_path) == ("boots", ["Women", "Shoes", "Ankle boots"])
    assert (boot.gender, boot.brand, boot.price) == ("women", "Acme", 89.5)
    assert (boot.colors, boot.sizes, boot.materials) == (["blue", "gray"], ["S", "M"], ["leather"])
    assert (boot.rating, boot.review_count, boot.description) == (4.5, 12, "Grippy & warm.")
    assert (mug.category, mug.colors, mug.materials, mug.rating) == ("kitchen", ["blue"], ["metal"], None)


def test_jsonl_accepts_lists_and_the_format_is_inferred(tmp_path: Path) -> None:
    rows = [
        {"Handle": "t1", "Title": "Linen Shirt", "Price": 40, "Colour": ["White", "Sage"], "For": "men"},
        {"Handle": "t2", "Title": "Unisex Beanie", "Price": "15.00", "Colour": "Mustard", "For": "unisex"},
    ]
    path = write(tmp_path, "shop.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    mapping = {k: MAPPING[k] for k in ("id", "name", "price", "colors", "gender")}
    shirt, beanie = make_source("generic", path=path, mapping=mapping).load(tmp_path).products
    assert (shirt.id, shirt.category, shirt.colors, shirt.gender) == (
        "custom:t1",
        "shirts",
        ["white", "green"],
        "men",
    )
    assert (beanie.category, beanie.price, beanie.colors, beanie.gender) == (
        "hats",
        15.0,
        ["yellow"],
        "unisex",
    )


def test_a_bad_row_raises_naming_its_row_and_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "shop.csv", HEADER + "a,Scarf,20" + "," * 9 + "\nb,Hat,cheap" + "," * 9 + "\n")
    with pytest.raises(InvalidRowError, match=r"row 2 \(line 3 of shop.csv\): price 'cheap' is not a number"):
        GenericSource(path, MAPPING).load(tmp_path)


def test_validation_errors_name_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "shop.jsonl", '{"Handle": "x", "Title": "Sock", "Price": -3}\n')
    with pytest.raises(InvalidRowError, match=r"row 1 .*price: Input should be greater than or equal to 0"):
        GenericSource(path, {"id": "Handle", "name": "Title", "price": "Price"}).load(tmp_path)


def test_skip_invalid_collects_rejected_rows(tmp_path: Path) -> None:
    lines = ['{"Handle": "a", "Title": "Belt", "Price": 9}', "{not json", '{"Handle": "c", "Price": 5}']
    path = write(tmp_path, "shop.jsonl", "\n".join(lines) + "\n")
    source = GenericSource(path, {"id": "Handle", "name": "Title", "price": "Price"}, skip_invalid=True)
    batch = source.load(tmp_path)
    assert [p.id for p in batch.products] == ["custom:a"]
    assert [(r.row, r.line) for r in source.rejected] == [(2, 2), (3, 3)]
    assert "not valid JSON" in source.rejected[0].problem
    assert "no name" in source.rejected[1].problem


def test_mapping_and_header_mistakes_fail_before_any_row(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'id' or 'sku'"):
        GenericSource(tmp_path / "x.csv", {"name": "n", "price": "p"})
    with pytest.raises(ValueError, match="unknown product fields"):
        GenericSource(tmp_path / "x.csv", {"id": "i", "name": "n", "price": "p", "colour": "c"})
    path = write(tmp_path, "shop.csv", "Handle,Title\na,Hat\n")
    with pytest.raises(ValueError, match=r"mapped columns \['Price'\] are not in the header"):
        GenericSource(path, {"id": "Handle", "name": "Title", "price": "Price"}).load(tmp_path)


def test_reads_a_real_csv_nobody_wrote_for_it(data_dir: Path) -> None:
    """Magento's gear file, as a shop export: multi-line cells, HTML descriptions."""
    path = Path("magento-luma-sample/CatalogSampleData/fixtures/SimpleProduct/products_gear_bags.csv")
    mapping = {
        "sku": "sku",
        "name": "name",
        "price": "price",
        "description": "description",
        "materials": "material",
    }
    products = GenericSource(path, mapping, source_name="gear").load(data_dir).products
    assert len(products) == 14
    joust = products[0]
    assert (joust.id, joust.name, joust.price, joust.category) == (
        "gear:24-MB01",
        "Joust Duffle Bag",
        34.0,
        "bags",
    )
    assert joust.materials == ["nylon", "polyester"]
    assert all("<" not in p.description for p in products)
