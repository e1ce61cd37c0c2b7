"""Product types and lexicon derived from the catalog's own products."""

from __future__ import annotations

from app.domain.catalog import Product
from app.guard.coverage import ProductTypes, base


def _product(pid: str, name: str, category: str, path: list[str]) -> Product:
    return Product(id=pid, source="t", sku=pid, name=name, category=category, category_path=path, price=10,
                   description="machine washable")  # fmt: skip


TYPES = ProductTypes.from_products(
    [
        _product("1", "Radiant Tee", "tees", ["Women", "Tops", "Tees"]),
        _product("2", "Jumper - dark blue", "jumpers", ["Men", "Jumpers & Cardigans"]),
        _product("3", "Chelsea Boots (suede)", "boots", ["Women", "Shoes", "Boots"]),
    ],
    "v1",
)


def test_plural_and_singular_meet_but_different_words_do_not() -> None:
    assert base("tires") == "tire" and base("ties") == "tie"
    assert base("dresses") == "dress" and base("boxes") == "box"


def test_types_come_from_names_categories_and_paths() -> None:
    assert TYPES.carries("tee") and TYPES.carries("jumper") and TYPES.carries("cardigans")
    assert TYPES.carries("boots") and not TYPES.carries("suede")


def test_descriptions_are_not_part_of_the_lexicon() -> None:
    assert not TYPES.knows("machine")


def test_type_coverage_levels() -> None:
    assert TYPES.type_coverage("tee", "tees") == 1.0
    assert TYPES.type_coverage("skates", "fitness equipment") == 0.5
    assert TYPES.type_coverage("boot", None) == 1.0
    assert TYPES.type_coverage("radiant", None) == 0.5
    assert TYPES.type_coverage(None, None) == 0.5
    assert TYPES.type_coverage("fillets", None) == 0.0


def test_lexical_coverage_is_the_share_of_known_content_words() -> None:
    assert TYPES.lexical_coverage("dark blue jumper") == 1.0
    assert TYPES.lexical_coverage("espresso machine") == 0.0
    assert TYPES.lexical_coverage("") == 1.0


def test_the_version_changes_with_the_catalog() -> None:
    other = ProductTypes.from_products([_product("9", "Garden Hose", "hoses", ["Garden"])], "v2")
    assert other.version != TYPES.version and other.carries("hose") and not TYPES.carries("hose")


def _coloured(pid: str, name: str, category: str, color: str) -> Product:
    return Product(id=pid, source="t", sku=pid, name=name, category=category, price=10, colors=[color])


STORE = ProductTypes.from_products(
    [
        _coloured("1", "Summer Dress", "dresses", "lemon"),
        _coloured("2", "Wrap Dress", "dresses", "brown"),
        _coloured("3", "Analog Watch", "watches", "black"),
        _coloured("4", "Sport Watch", "watches", "silver"),
        _coloured("5", "Bucket Hat", "hats", "navy"),
        _coloured("6", "Sun Hat", "hats", "beige"),
    ],
    "v3",
)


def test_a_closed_compound_ending_in_a_type_is_that_type() -> None:
    assert STORE.type_word("sundresses") == "dress" and STORE.carries("sunhat")


def test_a_compound_needs_a_word_before_the_type() -> None:
    assert not STORE.carries("what") and not STORE.carries("chat")


def test_a_compound_type_is_a_known_word() -> None:
    assert STORE.lexical_coverage("floral sundress") == 0.5


def test_a_colour_after_a_store_type_is_not_the_head() -> None:
    assert STORE.phrase_head("summer dress brown") == "dress"


def test_a_colour_after_another_noun_is_the_head() -> None:
    assert STORE.phrase_head("shoe polish brown") == "brown"


def test_a_colour_word_after_a_function_word_is_the_noun() -> None:
    assert STORE.phrase_head("bag of lemons") == "lemon"


def test_a_phrase_of_colour_words_keeps_its_last() -> None:
    assert STORE.phrase_head("navy") == "navy"


def test_a_type_that_modifies_another_head_is_a_modifier() -> None:
    assert STORE.type_as_modifier("watch battery") and STORE.type_as_modifier("watch strap black")


def test_a_type_head_with_modifiers_is_not_a_modifier() -> None:
    assert not STORE.type_as_modifier("lemon summer dress") and not STORE.type_as_modifier("watch black")
