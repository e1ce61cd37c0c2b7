"""Product references: by name (exact, partial, misspelt), SKU, position, attribute, pronoun."""

from app.domain.catalog import Product, Variant
from app.domain.turn import ConversationState
from app.pipeline.references import NameIndex, by_attribute, by_position, by_pronoun


def product(pid: str, name: str, price: float = 50.0, brand: str = "Luma", **kw: object) -> Product:
    return Product.model_validate(
        dict(id=pid, source="magento", sku=pid.split(":")[1], name=name, price=price, brand=brand, **kw)
    )


CATALOG = [
    product("magento:MH01", "Mars HeatTech Pullover", variants=[Variant(sku="MH01-M-Black")]),
    product("magento:MJ09", "Taurus Elements Shell"),
    product("magento:MJ10", "Kenobi Trail Jacket"),
    product("magento:MJ11", "Montana Wind Jacket", colors=["Blue"]),
    product("kibana:g-sun", "Sunglasses", brand="Gnomehouse"),
    product("kibana:p-sun", "Sunglasses", brand="Pyramidustries"),
]
STOP = ["jacket", "pullover", "sunglasses", "black", "blue", "shell"]
INDEX = NameIndex(CATALOG, STOP)


def test_a_full_name_resolves() -> None:
    assert INDEX.resolve("Does the Mars HeatTech Pullover have a hood?") == "magento:MH01"


def test_a_partial_name_resolves() -> None:
    assert INDEX.resolve("the kenobi jacket") == "magento:MJ10"


def test_a_misspelt_name_resolves() -> None:
    assert INDEX.resolve("is the Tauruss Elemnts shell waterproof") == "magento:MJ09"


def test_a_variant_sku_resolves_to_its_product() -> None:
    assert INDEX.resolve("the tag says MH01-M-Black") == "magento:MH01"


def test_brand_plus_full_name_resolves_a_same_named_product() -> None:
    assert INDEX.resolve("the Gnomehouse sunglasses") == "kibana:g-sun"


def test_store_words_alone_name_nothing() -> None:
    assert INDEX.resolve("black jacket") is None


def test_position_and_last() -> None:
    shown = ["a", "b", "c"]
    assert (by_position("the second one", shown), by_position("the last one", shown)) == ("b", "c")


def test_attribute_among_shown_picks_the_cheaper() -> None:
    assert by_attribute("the cheaper one", [CATALOG[0], product("magento:X", "X", price=10.0)]) == "magento:X"


def test_pronoun_is_the_product_in_focus() -> None:
    state = ConversationState(conversation_id="c", focus="magento:MJ10", last_results=["a", "b"])
    assert by_pronoun("does it have pockets?", state) == "magento:MJ10"
