"""``Filters`` translate into the same payload conditions for Qdrant Edge and for qdrant-client."""

from __future__ import annotations

import pytest
import qdrant_edge as qe
from qdrant_client.http import models as qm

from app.domain.turn import Filters
from app.index.filters import Condition, client_filter, conditions, edge_filter


def test_empty_filters_mean_no_filter() -> None:
    assert conditions(Filters()) == []
    assert edge_filter(Filters()) is None
    assert client_filter(Filters()) is None


def test_every_field_maps_to_its_payload_condition() -> None:
    f = Filters(
        category="jackets",
        gender="women",
        color="Black",
        size="m",
        material="Leather",
        brand="Stride",
        price_min=20,
        price_max=80,
    )
    assert conditions(f) == [
        Condition("category", "value", value="jackets"),
        Condition("gender", "any", values=("women", "unisex")),
        Condition("colors", "value", value="black"),
        Condition("sizes", "value", value="M"),
        Condition("materials", "value", value="leather"),
        Condition("brand", "value", value="Stride"),
        Condition("price", "range", gte=20, lte=80),
    ]


def test_unisex_is_not_repeated() -> None:
    assert conditions(Filters(gender="unisex")) == [Condition("gender", "any", values=("unisex",))]


@pytest.mark.parametrize(
    ("filters", "gte", "lte"),
    [
        (Filters(price_min=10), 10, None),
        (Filters(price_max=99.5), None, 99.5),
        (Filters(price_min=0), 0, None),
    ],
)
def test_open_price_ranges(filters: Filters, gte: float | None, lte: float | None) -> None:
    (cond,) = conditions(filters)
    assert (cond.key, cond.gte, cond.lte) == ("price", gte, lte)


def test_edge_filter_structure() -> None:
    flt = edge_filter(Filters(category="boots", gender="men", price_max=150))
    assert isinstance(flt, qe.Filter)
    must = flt.must or []
    assert [c.key for c in must] == ["category", "gender", "price"]  # type: ignore[union-attr]
    category, gender, price = must
    assert isinstance(category, qe.FieldCondition) and isinstance(category.match, qe.MatchValue)
    assert category.match.value == "boots"
    assert isinstance(gender, qe.FieldCondition) and isinstance(gender.match, qe.MatchAny)
    assert list(gender.match.value) == ["men", "unisex"]
    assert isinstance(price, qe.FieldCondition) and isinstance(price.range, qe.RangeFloat)
    assert (price.range.gte, price.range.lte) == (None, 150)


def test_client_filter_structure() -> None:
    flt = client_filter(Filters(category="boots", gender="men", price_max=150))
    assert flt == qm.Filter(
        must=[
            qm.FieldCondition(key="category", match=qm.MatchValue(value="boots")),
            qm.FieldCondition(key="gender", match=qm.MatchAny(any=["men", "unisex"])),
            qm.FieldCondition(key="price", range=qm.Range(gte=None, lte=150)),
        ]
    )
