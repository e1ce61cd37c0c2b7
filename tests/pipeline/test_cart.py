"""Adding to cart resolves the product, size and colour against the catalog, or asks."""

from __future__ import annotations

from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product, Variant
from app.domain.turn import ConversationState, Filters, Intent, ShoppingTurn
from app.pipeline.cart import add_to_cart, cart_total, resolve_references

HOODIE = Product(
    id="magento:MH01",
    source="magento",
    sku="MH01",
    name="Chaz Kangeroo Hoodie",
    category="hoodies",
    price=52.0,
    colors=["black", "gray"],
    sizes=["S", "M"],
    variants=[
        Variant(sku="MH01-S-Black", size="S", color="black"),
        Variant(sku="MH01-M-Black", size="M", color="black"),
        Variant(sku="MH01-M-Gray", size="M", color="gray"),
    ],
)
BAG = Product(id="magento:24-MB01", source="magento", sku="24-MB01", name="Joust Duffle Bag", price=34.0)
CATALOG = CatalogSnapshot([HOODIE, BAG], version="test")


def add(referenced: list[int], **filters: str) -> ShoppingTurn:
    return ShoppingTurn(intent=Intent.add_to_cart, referenced=referenced, filters=Filters(**filters))


def shown(*ids: str) -> ConversationState:
    return ConversationState(conversation_id="c", last_results=list(ids))


def test_positions_resolve_against_the_last_results() -> None:
    assert resolve_references(add([2]), shown("a", "b", "c")) == ["b"]


def test_minus_one_means_the_last_result() -> None:
    assert resolve_references(add([-1]), shown("a", "b", "c")) == ["c"]


def test_out_of_range_positions_resolve_to_nothing() -> None:
    assert resolve_references(add([7]), shown("a", "b")) == []


def test_a_single_shown_product_needs_no_reference() -> None:
    assert resolve_references(add([]), shown("a")) == ["a"]


def test_adds_the_matching_variant_at_the_catalog_price() -> None:
    state, outcome = add_to_cart(shown(HOODIE.id, BAG.id), add([1], size="M", color="gray"), CATALOG)
    assert outcome.added is not None
    assert (outcome.added.sku, outcome.added.unit_price) == ("MH01-M-Gray", 52.0)
    assert cart_total(state) == 52.0


def test_asks_for_a_size_when_the_product_has_several() -> None:
    state, outcome = add_to_cart(shown(HOODIE.id), add([1], color="black"), CATALOG)
    assert outcome.added is None
    assert outcome.question == "Which size of the Chaz Kangeroo Hoodie? Available: S, M."
    assert state.cart == []


def test_refuses_a_size_the_product_does_not_come_in() -> None:
    _, outcome = add_to_cart(shown(HOODIE.id), add([1], size="XL", color="black"), CATALOG)
    assert outcome.added is None
    assert outcome.question is not None and "Available: S, M" in outcome.question


def test_a_product_without_options_is_added_directly() -> None:
    state, outcome = add_to_cart(shown(HOODIE.id, BAG.id), add([2]), CATALOG)
    assert outcome.added is not None and outcome.added.sku == "24-MB01"
    assert len(state.cart) == 1


def test_asks_which_one_when_nothing_is_referenced() -> None:
    _, outcome = add_to_cart(shown(HOODIE.id, BAG.id), add([]), CATALOG)
    assert outcome.question == "Which one would you like to add? Say a number from 1 to 2."
