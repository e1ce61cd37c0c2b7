"""Product references: by name (exact, partial, misspelt), SKU, position, attribute, pronoun."""

from app.domain.catalog import Product, Variant
from app.domain.turn import ConversationState
from app.pipeline.references import (
    NameIndex,
    by_attribute,
    by_other,
    by_position,
    by_pronoun,
    by_shown_name,
    without_pointers,
)


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


WHOLE_NAMES = NameIndex(
    [
        product("magento:MSH01", "Cobalt CoolTech Fitness Short"),
        product("magento:MSH08", "Orestes Fitness Short"),
        product("magento:24-MG01", "Endurance Watch"),
        product("magento:MT01", "Endurance Tee"),
        product("magento:24-WG084", "Sprite Foam Yoga Brick"),
        product("magento:24-WG088", "Sprite Foam Roller"),
        product("magento:MH12", "Ajax Full-Zip Sweatshirt"),
        product("magento:MH99", "Mint Full Zip Hoodie"),
        product("kibana:a-sandals", "Walking sandals", brand="Zorro"),
    ],
    ["cobalt", "cooltech", "short", "watch", "tee", "foam", "brick", "sweatshirt", "hoodie", "sandals"],
)


def test_a_whole_name_of_common_and_store_words_resolves() -> None:
    assert WHOLE_NAMES.resolve("Cobalt CoolTech Fitness Short: is the inseam 7 inches?") == "magento:MSH01"


def test_a_whole_name_written_out_beats_a_shared_brand_word() -> None:
    assert WHOLE_NAMES.resolve("sprite foam yoga brick") == "magento:24-WG084"


def test_a_two_word_whole_name_needs_the_before_it() -> None:
    assert (WHOLE_NAMES.by_phrase("walking sandals"), WHOLE_NAMES.by_phrase("the walking sandals")) == (
        None,
        "kibana:a-sandals",
    )


def test_a_two_word_whole_name_resolves_after_the() -> None:
    assert WHOLE_NAMES.resolve("does the Endurance Watch do heart rate") == "magento:24-MG01"


def test_a_hyphenated_name_word_matches_its_parts_written_apart() -> None:
    assert WHOLE_NAMES.resolve("and the Ajax full zip, any cotton in that one?") == "magento:MH12"


def test_the_other_one_is_the_shown_product_not_in_focus() -> None:
    state = ConversationState(
        conversation_id="c", focus="magento:MJ10", last_results=["magento:MJ09", "magento:MJ10"]
    )
    assert by_other("hm no, the other one", state) == "magento:MJ09"


def test_a_name_word_only_one_shown_product_has_picks_it() -> None:
    hoodie = product("kibana:h", "Always Forward - Hoodie", category="hoodies")
    sweat = product("kibana:s", "Always Forward - Sweatshirt", category="hoodies")
    assert by_shown_name("show me the hoodie again", [hoodie, sweat]) == "kibana:h"


def test_a_version_of_another_type_is_the_same_named_product_of_that_type() -> None:
    family = NameIndex(
        [
            product("kibana:h", "Always Forward - Hoodie", brand="Elitelligence", category="hoodies"),
            product("kibana:s", "Always Forward - Sweatshirt", brand="Elitelligence", category="sweatshirts"),
            product("kibana:o", "Active - Sweatshirt", brand="Pyramidustries", category="sweatshirts"),
        ],
        ["hoodie", "sweatshirt"],
    )
    assert family.sibling("kibana:h", "sweatshirts") == "kibana:s"


def test_the_words_that_pick_a_product_are_not_part_of_the_question() -> None:
    assert (
        without_pointers("and the cheaper one - does the second one have a hood?")
        == "and - does have a hood?"
    )


def test_least_expensive_picks_the_cheapest_shown() -> None:
    shown = [product("magento:A", "A Jacket", price=84.0), product("magento:B", "B Jacket", price=60.0)]
    assert by_attribute("show me the least expensive one", shown) == "magento:B"


SHARED = NameIndex(
    [
        product("kibana:lt-shirt", "Formal shirt", brand="Low Tide Media"),
        product("kibana:oc-shirt", "Formal shirt", brand="Oceanavigations"),
        product("kibana:oc-slim", "SUPER SLIM - Formal shirt", brand="Oceanavigations"),
    ],
    ["shirt", "white"],
)


def test_a_name_several_products_carry_names_a_type_not_one_of_them() -> None:
    assert SHARED.by_name("a formal white shirt") is None


def test_a_shared_name_with_its_brand_names_that_product() -> None:
    assert SHARED.by_name("the Low Tide Media formal shirt") == "kibana:lt-shirt"
