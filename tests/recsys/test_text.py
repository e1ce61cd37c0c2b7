"""List-level need features (``recsys.text``): exact values on small lists."""

from __future__ import annotations

import math

from app.domain.catalog import Product
from recsys.text import (
    head_match,
    idf_weights,
    info_total,
    list_stats,
    listing_of,
    need_fields,
    ordered_terms,
    weighted_match,
)


def product(pid: str, name: str, **kw: object) -> Product:
    base: dict[str, object] = {
        "id": pid, "source": "t", "sku": pid, "name": name, "category": "jackets", "gender": "men",
        "brand": "B", "price": 30.0,
    }  # fmt: skip
    return Product.model_validate({**base, **kw})


def test_query_terms_keep_their_order_and_drop_stop_words() -> None:
    assert ordered_terms("mens olive bomber jackets for the winter") == (
        "olive",
        "bomber",
        "jacket",
        "winter",
    )


def test_a_word_every_listed_name_carries_weighs_nothing() -> None:
    fields = [frozenset({"bomber", "jacket"}), frozenset({"winter", "jacket"}), frozenset({"jacket"})]
    assert idf_weights(("bomber", "jacket", "olive"), fields) == {"bomber": math.log(4 / 2), "jacket": 0.0}


def test_weighted_match_is_the_share_of_distinguishing_weight_or_missing() -> None:
    weights = {"bomber": 2.0, "jacket": 0.0, "olive": 1.0}
    assert weighted_match(weights, frozenset({"bomber", "jacket"})) == 2 / 3
    assert weighted_match({"jacket": 0.0}, frozenset({"jacket"})) == -1.0


def test_head_word_is_the_last_query_word_some_listed_name_carries() -> None:
    fields = [need_fields(product("a", "Hoodie")), need_fields(product("b", "Hero Sweatshirt"))]
    stats = list_stats("hoodies for men fleece", fields, ["Hoodie", "Hero Sweatshirt"])
    assert stats.head == "hoodie"
    assert (head_match(stats.head, fields[0][0]), head_match(stats.head, fields[1][0])) == (1.0, 0.0)
    assert head_match(None, fields[0][0]) == -1.0


def test_identical_names_are_counted_as_twins() -> None:
    items = [product("a", "Hoodie"), product("b", " hoodie "), product("c", "Chaz Kangeroo Hoodie")]
    assert dict(listing_of("hoodie", items).twins) == {"hoodie": 2, "chaz kangeroo hoodie": 1}


def test_information_counts_a_real_description_sizes_and_reviews() -> None:
    thin = product("a", "Hoodie", description="Hoodie by B in men's clothing. Available in black.")
    rich = product(
        "b", "Chaz Hoodie", description="Ideal for cold-weather training. " * 6, sizes=["M"], review_count=2
    )
    assert (info_total(thin), info_total(rich)) == (0.0, 3.0)
