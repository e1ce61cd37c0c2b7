"""Properties of the rules parser that must hold for *any* message, not just the golden ones."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.catalog.vocabulary import load_vocabulary
from app.domain.turn import ConversationState, ShoppingTurn
from app.pipeline.extract.rules import RulesExtractor
from app.pipeline.extract.slots import find_prices

VOCAB = load_vocabulary()
PARSER = RulesExtractor(VOCAB, ["Luma", "Oddmolly", "Tigress Enterprises"])
STATE = ConversationState(conversation_id="c_prop")

SHOP_WORDS = [
    *VOCAB.product_types, *VOCAB.colors, *VOCAB.materials, *VOCAB.sizes, *VOCAB.genders,
    "under", "over", "between", "and", "less", "than", "more", "cheaper", "below", "above", "size",
    "in", "not", "any", "colour", "price", "$", "€", "usd", "dollars", "-", "to", "k", "%", "the",
    "second", "one", "add", "cart", "checkout", "compare", "hello", "no", "actually",
]  # fmt: skip
NUMBERS = st.one_of(
    st.integers(min_value=-10, max_value=100_000).map(str),
    st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda f: f"{f:.2f}"),
    st.integers(min_value=0, max_value=999).map(lambda n: f"${n}"),
)
SHOPPING_TEXT = st.lists(st.one_of(st.sampled_from(SHOP_WORDS), NUMBERS), max_size=14).map(" ".join)
ANY_TEXT = st.one_of(st.text(max_size=300), SHOPPING_TEXT)
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(ANY_TEXT)
def test_the_parser_never_raises_and_always_returns_a_turn(message: str) -> None:
    assert isinstance(PARSER.parse(message, STATE), ShoppingTurn)


@PROPS
@given(ANY_TEXT)
def test_price_min_is_never_above_price_max(message: str) -> None:
    f = PARSER.parse(message, STATE).filters
    if f.price_min is not None and f.price_max is not None:
        assert f.price_min <= f.price_max


@PROPS
@given(ANY_TEXT)
def test_extracted_prices_are_never_negative(message: str) -> None:
    found = find_prices(message)
    assert all(v is None or v >= 0 for v in (found.price_min, found.price_max))


@PROPS
@given(ANY_TEXT)
def test_extracted_colours_sizes_materials_and_types_are_in_the_vocabulary(message: str) -> None:
    f = PARSER.parse(message, STATE).filters
    assert f.color is None or f.color in VOCAB.colors
    assert f.size is None or f.size in VOCAB.sizes
    assert f.material is None or f.material in VOCAB.materials
    assert f.category is None or f.category in VOCAB.product_types
    assert f.gender is None or f.gender in VOCAB.genders


@PROPS
@given(st.integers(min_value=1, max_value=5000), st.integers(min_value=1, max_value=5000))
def test_a_stated_price_range_comes_out_ordered_whatever_order_it_was_said_in(a: int, b: int) -> None:
    f = PARSER.parse(f"hoodies between ${a} and ${b}", STATE).filters
    if f.price_min is not None and f.price_max is not None:
        assert (f.price_min, f.price_max) == (min(a, b), max(a, b))
