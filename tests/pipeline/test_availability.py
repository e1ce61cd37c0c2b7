"""Availability read from the inventory: the ranking candidates' ``in_stock`` mark and the answer
to "is it in stock in M?"."""

from __future__ import annotations

from collections.abc import Sequence

from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product, Variant
from app.domain.turn import Candidate, Filters
from app.pipeline.availability import stock_answer, with_stock

HOODIE = Product(
    id="t:h",
    source="t",
    sku="H",
    name="Hera Hoodie",
    price=40.0,
    variants=[
        Variant(sku="H-M-Black", size="M", color="Black"),
        Variant(sku="H-L-Black", size="L", color="Black"),
        Variant(sku="H-M-Blue", size="M", color="Blue"),
    ],
)
BAG = Product(id="t:b", source="t", sku="B", name="Bag", price=20.0)
CATALOG = CatalogSnapshot([HOODIE, BAG], version="v")
CANDS = [Candidate(product_id="t:h", retrieval_rank=1), Candidate(product_id="t:b", retrieval_rank=2)]


def lookup_of(stock: dict[str, int]):  # type: ignore[no-untyped-def]
    def lookup(skus: Sequence[str]) -> dict[str, int]:
        return {s: stock[s] for s in skus if s in stock}

    return lookup


def marks(filters: Filters, stock: dict[str, int]) -> list[bool | None]:
    return [c.in_stock for c in with_stock(CANDS, CATALOG, filters, lookup_of(stock))]


def test_a_sold_out_asked_size_marks_the_product_out_of_stock_though_other_sizes_are_left() -> None:
    stock = {"H-M-Black": 0, "H-M-Blue": 0, "H-L-Black": 7, "B": 3}
    assert marks(Filters(size="M"), stock) == [False, True]
    assert marks(Filters(size="L"), stock) == [True, True]


def test_without_an_asked_variant_any_variant_left_counts() -> None:
    assert marks(Filters(), {"H-M-Black": 0, "H-M-Blue": 0, "H-L-Black": 1, "B": 0}) == [True, False]


def test_size_and_colour_together_pick_one_variant() -> None:
    stock = {"H-M-Black": 0, "H-M-Blue": 2}
    assert marks(Filters(size="m", color="black"), stock) == [False, True]
    assert marks(Filters(size="M", color="blue"), stock) == [True, True]


def test_untracked_skus_count_as_in_stock_and_a_size_the_product_lacks_is_unknown() -> None:
    assert marks(Filters(size="XL"), {}) == [None, True]


def test_the_stock_answer_names_the_sold_out_size_and_what_is_left() -> None:
    lookup = lookup_of({"H-M-Black": 0, "H-M-Blue": 0, "H-L-Black": 4})
    assert stock_answer([HOODIE], "M", None, lookup) == (
        "No — the Hera Hoodie is sold out in M. Still available: L / Black."
    )
    assert stock_answer([HOODIE], "L", None, lookup) == "Yes — the Hera Hoodie is in stock in L: L / Black."
