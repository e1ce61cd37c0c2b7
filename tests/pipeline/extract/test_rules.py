"""The rules extractor on the shopper phrasings it must understand, one behaviour per test.

The brand list is the real one: Kibana manufacturers plus Magento's "Luma", as the catalog store
would return it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from app.catalog.vocabulary import load_vocabulary
from app.domain.turn import ConversationState, Filters, Intent, ShoppingTurn
from app.pipeline.extract.rules import RulesExtractor
from app.pipeline.remember import merge


def catalog_brands(data_dir: Path) -> list[str]:
    brands = {"Luma"}
    with gzip.open(data_dir / "kibana-ecommerce-orders" / "ecommerce.json.gz", "rt") as fh:
        for line in fh:
            if line.strip():
                brands.update(m for m in json.loads(line).get("manufacturer", []) if m)
    return sorted(brands)


@pytest.fixture(scope="module")
def rules(data_dir: Path) -> RulesExtractor:
    return RulesExtractor(load_vocabulary(), catalog_brands(data_dir))


def say(rules: RulesExtractor, message: str, *history: str, shown: int = 0) -> ShoppingTurn:
    """Extract ``message`` after replaying ``history`` through the extractor and ``merge``."""
    state = ConversationState(conversation_id="test")
    for prior in history:
        state = merge(state, rules.parse(prior, state))
    if shown:
        state = state.model_copy(update={"last_results": [f"p{i}" for i in range(shown)]})
    return rules.parse(message, state)


def set_filters(turn: ShoppingTurn) -> dict[str, object]:
    return {k: v for k, v in turn.filters.model_dump().items() if v is not None}


# ---------------------------------------------------------------------------------------------- prices
@pytest.mark.parametrize(
    ("message", "price_min", "price_max"),
    [
        ("hoodies under $50", None, 50),
        ("hoodies below 50", None, 50),
        ("hoodies less than 50 dollars", None, 50),
        ("hoodies less then 50", None, 50),
        ("hoodies up to 40", None, 40),
        ("hoodies max 60", None, 60),
        ("hoodies < 30", None, 30),
        ("hoodies nothing over $90", None, 90),
        ("hoodies not more than 70", None, 70),
        ("hoodies under 19.99", None, 19.99),
        ("hoodies under fifty bucks", None, 50),
        ("hoodies under a hundred", None, 100),
        ("hoodies for 30 bucks", None, 30),
        ("hoodies 40$", None, 40),
        ("hoodies over 100", 100, None),
        ("hoodies more than 20", 20, None),
        ("hoodies at least 20", 20, None),
        ("hoodies 25+", 25, None),
        ("hoodies between 20 and 40", 20, 40),
        ("hoodies from 20 to 40", 20, 40),
        ("hoodies $20-$40", 20, 40),
        ("hoodies 20 to 40 dollars", 20, 40),
        ("hoodies 30-50 usd", 30, 50),
        ("hoodies around 50", 40, 60),
        ("hoodies about $100", 80, 120),
    ],
)
def test_price_phrase(
    rules: RulesExtractor, message: str, price_min: float | None, price_max: float | None
) -> None:
    f = rules.parse(message, ConversationState(conversation_id="t")).filters
    assert (f.price_min, f.price_max) == (price_min, price_max)


@pytest.mark.parametrize(
    "message",
    [
        "55 inch tv",
        "2 pack of white tees",
        "3 pack socks",
        "3 for 2 on tees",
        "mens blazer for my 2025 graduation",
        "65 cm exercise ball",
        "8 foot yoga strap",
        "30% off jackets",
        "jeans size 32",
        "whats 2+2",
        "what about 2 vs 3",
    ],
)
def test_numbers_that_are_not_prices(rules: RulesExtractor, message: str) -> None:
    f = rules.parse(message, ConversationState(conversation_id="t")).filters
    assert (f.price_min, f.price_max) == (None, None)


def test_cheaper_scales_the_remembered_ceiling(rules: RulesExtractor) -> None:
    turn = say(rules, "cheaper", "black boots under $100")
    assert (turn.intent, turn.filters.price_max) == (Intent.refine, 80)


def test_cheaper_without_a_ceiling_leaves_a_marker_not_a_price(rules: RulesExtractor) -> None:
    turn = say(rules, "less expensive ones?", "leather jackets")
    assert (turn.intent, turn.filters.price_max, turn.query) == (Intent.refine, None, "cheaper")


def test_an_explicit_price_beats_cheaper(rules: RulesExtractor) -> None:
    assert say(rules, "cheaper ones under 30", "dresses under 60").filters.price_max == 30


def test_pricier_turns_the_ceiling_into_a_floor(rules: RulesExtractor) -> None:
    turn = say(rules, "show me pricier ones", "watches under 50")
    assert (turn.filters.price_min, turn.cleared) == (50, ["price_max"])


# ---------------------------------------------------------------------------------------------- sizes
@pytest.mark.parametrize(
    ("message", "size"),
    [
        ("hoodie size M", "M"),
        ("hoodie size m please", "M"),
        ("hoodie sz xl", "XL"),
        ("XL hoodie", "XL"),
        ("xs leggings", "XS"),
        ("2xl tee", "XXL"),
        ("womens leggings medium", "M"),
        ("mens sweater extra large", "XL"),
        ("pink hoodie, size small", "S"),
        ("lightweight rain jacket, mens, L", "L"),
        ("jeans waist 32", "32"),
        ("jeans 32 waist", "32"),
        ("mens pants w34", "34"),
    ],
)
def test_size_phrase(rules: RulesExtractor, message: str, size: str) -> None:
    assert rules.parse(message, ConversationState(conversation_id="t")).filters.size == size


def test_a_bare_number_is_a_waist_size_for_bottoms(rules: RulesExtractor) -> None:
    turn = say(rules, "32", "pants for men")
    assert (turn.intent, turn.filters.size) == (Intent.refine, "32")


def test_in_a_large_after_jackets(rules: RulesExtractor) -> None:
    assert say(rules, "do you have it in a large", "jackets").filters.size == "L"


def test_a_size_the_catalog_does_not_carry_is_no_filter(rules: RulesExtractor) -> None:
    assert rules.parse("snow boots size 8", ConversationState(conversation_id="t")).filters.size is None


def test_small_describes_a_bag_not_a_size(rules: RulesExtractor) -> None:
    f = rules.parse("small backpack", ConversationState(conversation_id="t")).filters
    assert (f.category, f.size) == ("bags", None)


# ---------------------------------------------------------------------------------------------- words
@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("navy polo shirt", {"category": "shirts", "color": "blue"}),
        ("grey sweatshirt", {"category": "hoodies", "color": "gray"}),
        ("olive chinos", {"category": "pants", "color": "green"}),
        ("cashmere jumper", {"category": "jumpers", "material": "wool"}),
        ("suede chelsea boots", {"category": "boots", "material": "leather"}),
        ("a denim jacket", {"category": "jackets", "material": "denim"}),
        ("jersey dress in navy", {"category": "dresses", "color": "blue"}),
        ("trainers", {"category": "sneakers"}),
        ("yoga mats", {"category": "fitness equipment"}),
        ("knit beanie", {"category": "hats"}),
        ("top rated running shoes", {"category": "sneakers"}),
        ("short sleeve shirt", {"category": "shirts"}),
        ("stainless steel watch", {"category": "watches", "material": "metal"}),
    ],
)
def test_catalog_words(rules: RulesExtractor, message: str, expected: dict[str, str]) -> None:
    assert set_filters(rules.parse(message, ConversationState(conversation_id="t"))) == expected


@pytest.mark.parametrize(
    ("message", "gender"),
    [
        ("women's jackets", "women"),
        ("womens jackets", "women"),
        ("jackets for men", "men"),
        ("mens jackets", "men"),
        ("ladies jackets", "women"),
        ("a jacket for my husband", "men"),
        ("a jacket for her", "women"),
        ("polos for guys", "men"),
    ],
)
def test_gender_phrase(rules: RulesExtractor, message: str, gender: str) -> None:
    assert rules.parse(message, ConversationState(conversation_id="t")).filters.gender == gender


@pytest.mark.parametrize(
    ("message", "brand"),
    [
        ("Elitelligence t-shirts", "Elitelligence"),
        ("anything from LOW TIDE MEDIA?", "Low Tide Media"),
        ("tigress enterprises curvy dress", "Tigress Enterprises Curvy"),
        ("tigress enterprises dress", "Tigress Enterprises"),
        ("tigress dress", "Tigress Enterprises"),
        ("Pyramidustries active leggings", "Pyramidustries active"),
    ],
)
def test_brand_longest_match_case_insensitive(rules: RulesExtractor, message: str, brand: str) -> None:
    assert rules.parse(message, ConversationState(conversation_id="t")).filters.brand == brand


def test_a_brand_name_is_not_read_as_a_gender(rules: RulesExtractor) -> None:
    f = rules.parse("gnomehouse mom dress", ConversationState(conversation_id="t")).filters
    assert (f.brand, f.gender) == ("Gnomehouse mom", None)


@pytest.mark.parametrize(
    ("message", "category"), [("hoddie", "hoodies"), ("jakcet", "jackets"), ("swetaer", "jumpers")]
)
def test_typos_of_catalog_words_are_corrected(rules: RulesExtractor, message: str, category: str) -> None:
    assert rules.parse(message, ConversationState(conversation_id="t")).filters.category == category


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("thanks", Intent.smalltalk),
        ("what's the weather", Intent.out_of_scope),
        ("bluetooth speakers", Intent.search),
    ],
)
def test_ordinary_words_are_not_corrected_into_catalog_words(
    rules: RulesExtractor, message: str, intent: Intent
) -> None:
    turn = rules.parse(message, ConversationState(conversation_id="t"))
    assert (turn.intent, turn.filters.is_empty()) == (intent, True)


def test_query_keeps_description_and_drops_filter_words(rules: RulesExtractor) -> None:
    turn = rules.parse(
        "show me some warm black hoodies for men under $60", ConversationState(conversation_id="t")
    )
    assert turn.query == "warm hoodies"
    assert set_filters(turn) == {"category": "hoodies", "color": "black", "gender": "men", "price_max": 60}


# ---------------------------------------------------------------------------------------------- intents
@pytest.mark.parametrize(
    ("message", "history", "intent"),
    [
        ("show me hoodies", [], Intent.search),
        ("i need a sofa", [], Intent.search),
        ("in black", ["show me hoodies"], Intent.refine),
        ("under $50", ["show me hoodies"], Intent.refine),
        ("any in wool?", ["mens jumpers"], Intent.refine),
        ("cheaper", ["hoodies"], Intent.refine),
        ("compare the first two", ["hoodies"], Intent.compare),
        ("which is better, 1 or 3", ["hoodies"], Intent.compare),
        ("what's the difference between the second and third", ["hoodies"], Intent.compare),
        ("does the second one come in red?", ["hoodies"], Intent.product_question),
        ("what material is the first one", ["hoodies"], Intent.product_question),
        ("tell me more about #2", ["hoodies"], Intent.product_question),
        ("is it waterproof?", ["jackets"], Intent.product_question),
        ("add the second one to my cart", ["hoodies"], Intent.add_to_cart),
        ("I'll take the first in size M", ["hoodies"], Intent.add_to_cart),
        ("buy it", ["hoodies"], Intent.add_to_cart),
        ("put the first one in my bag", ["backpacks"], Intent.add_to_cart),
        ("checkout", [], Intent.checkout),
        ("I'm ready to pay", [], Intent.checkout),
        ("place my order", [], Intent.checkout),
        ("buy everything in my cart", [], Intent.checkout),
        ("hi", [], Intent.smalltalk),
        ("thanks!", ["hoodies"], Intent.smalltalk),
        ("who are you", [], Intent.smalltalk),
        ("how does this work?", [], Intent.smalltalk),
        ("do you ship to canada?", [], Intent.smalltalk),
        ("what's the weather in Paris", [], Intent.out_of_scope),
        ("book me a flight", [], Intent.out_of_scope),
        ("tell me a joke", [], Intent.out_of_scope),
        ("what's 2+2", [], Intent.out_of_scope),
    ],
)
def test_intent(rules: RulesExtractor, message: str, history: list[str], intent: Intent) -> None:
    assert say(rules, message, *history).intent == intent


def test_check_out_these_boots_is_a_search(rules: RulesExtractor) -> None:
    assert (
        rules.parse("check out these boots", ConversationState(conversation_id="t")).intent == Intent.search
    )


def test_a_product_question_keeps_the_attribute_asked_about(rules: RulesExtractor) -> None:
    turn = say(rules, "does the second one come in red?", "hoodies")
    assert (set_filters(turn), turn.referenced) == ({"color": "red"}, [2])


def test_add_to_cart_carries_only_size_and_colour(rules: RulesExtractor) -> None:
    turn = say(rules, "I'll take the black one in L", "mens hoodies")
    assert turn.filters == Filters(size="L", color="black")


# ---------------------------------------------------------------------------------------------- references
@pytest.mark.parametrize(
    ("message", "referenced"),
    [
        ("tell me about the second one", [2]),
        ("tell me about #3", [3]),
        ("how much is number 4", [4]),
        ("compare the first two", [1, 2]),
        ("pros and cons of the first three", [1, 2, 3]),
        ("is the 2nd better than the 1st?", [2, 1]),
        ("which is better, 1 or 3", [1, 3]),
        ("add the last one to cart", [-1]),
    ],
)
def test_references(rules: RulesExtractor, message: str, referenced: list[int]) -> None:
    assert say(rules, message, "hoodies").referenced == referenced


def test_last_two_resolves_against_what_was_shown(rules: RulesExtractor) -> None:
    assert say(rules, "compare the last two", "hoodies", shown=5).referenced == [4, 5]


def test_a_quantity_is_not_a_reference(rules: RulesExtractor) -> None:
    assert say(rules, "add 2 of the first one", "hoodies").referenced == [1]


# ---------------------------------------------------------------------------------------- replace / clear
@pytest.mark.parametrize("message", ["actually show me jackets", "now I need boots", "what about a backpack"])
def test_a_new_product_type_starts_a_new_search(rules: RulesExtractor, message: str) -> None:
    turn = say(rules, message, "hoodies", "in black")
    assert (turn.intent, turn.replace_filters) == (Intent.search, True)


def test_a_new_need_without_a_known_type_starts_a_new_search(rules: RulesExtractor) -> None:
    turn = say(rules, "now i need a sofa", "hoodies")
    assert (turn.intent, turn.replace_filters, turn.query) == (Intent.search, True, "sofa")


def test_the_same_type_again_narrows(rules: RulesExtractor) -> None:
    turn = say(rules, "black hoodies", "hoodies")
    assert (turn.intent, turn.replace_filters) == (Intent.refine, False)


def test_a_comparative_narrows(rules: RulesExtractor) -> None:
    turn = say(rules, "show me something warmer", "hoodies")
    assert (turn.intent, turn.query) == (Intent.refine, "warmer")


@pytest.mark.parametrize(
    ("message", "cleared"),
    [
        ("any colour is fine", ["color"]),
        ("whatever color", ["color"]),
        ("not black", ["color"]),
        ("any size", ["size"]),
        ("forget the brand", ["brand"]),
        ("anything but leather", ["material"]),
        ("no price limit", ["price_min", "price_max"]),
        ("price doesn't matter", ["price_min", "price_max"]),
    ],
)
def test_clearing(rules: RulesExtractor, message: str, cleared: list[str]) -> None:
    turn = say(rules, message, "Elitelligence black leather hoodies size M under 50")
    assert (turn.intent, turn.cleared) == (Intent.refine, cleared)


def test_start_over_clears_everything(rules: RulesExtractor) -> None:
    turn = say(rules, "start over", "black hoodies")
    assert (turn.intent, turn.replace_filters, len(turn.cleared)) == (Intent.search, True, 8)


# ---------------------------------------------------------------------------------------------- interface
async def test_extract_is_parse_behind_the_async_interface(rules: RulesExtractor) -> None:
    state = ConversationState(conversation_id="t")
    turn = await rules.extract("black hoodies", state)
    assert turn == rules.parse("black hoodies", state)
    assert (rules.name, turn.backend) == ("rules", "rules")


# ------------------------------------------------------------ words in context (issue 14)
def test_a_colour_word_used_as_a_noun_is_not_a_filter(rules: RulesExtractor) -> None:
    turn = say(rules, "fresh salmon fillets")
    assert turn.filters.color is None and turn.query == "fresh salmon fillets"


def test_colour_words_inside_a_compound_noun_are_not_filters(rules: RulesExtractor) -> None:
    turn = say(rules, "mint chocolate ice cream")
    assert turn.filters.color is None and turn.query == "mint chocolate ice cream"


def test_a_colour_word_before_a_store_type_is_a_filter(rules: RulesExtractor) -> None:
    turn = say(rules, "salmon pink dress")
    assert turn.filters.color == "pink" and turn.filters.category == "dresses"


def test_a_colour_after_the_head_phrase_still_refines(rules: RulesExtractor) -> None:
    assert say(rules, "something warm in black").filters.color == "black"


def test_the_salmon_one_is_a_colour_refinement(rules: RulesExtractor) -> None:
    assert say(rules, "the salmon one", "dresses").filters.color == "pink"


def test_tires_are_not_corrected_to_ties(rules: RulesExtractor) -> None:
    assert rules.lexicon.correct_word("tires") == "tires"


def test_a_phone_number_is_not_a_price_range(rules: RulesExtractor) -> None:
    turn = say(rules, "hoodies under $50, call me at 415-555-0199")
    assert (turn.filters.price_min, turn.filters.price_max) == (None, 50.0)


def test_an_extra_letter_makes_another_word_not_a_typo(rules: RulesExtractor) -> None:
    assert rules.lexicon.correct_word("plants") == "plants"
    assert rules.lexicon.correct_word("hoodiee") == "hoodie"


def test_the_turn_names_its_head(rules: RulesExtractor) -> None:
    assert say(rules, "espresso machine under $200").head == "machine"
    assert say(rules, "a knit beanie in grey").head == "beanie"
