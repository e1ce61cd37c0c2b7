"""Properties of the state merge (``app.pipeline.remember.merge``) over generated states and turns."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.catalog.vocabulary import load_vocabulary
from app.domain.turn import SEARCH_INTENTS, ConversationState, Filters, Intent, ShoppingTurn
from app.pipeline.remember import merge

VOCAB = load_vocabulary()
FIELDS = list(Filters.model_fields)
PRICES = st.one_of(st.none(), st.floats(min_value=0, max_value=1000, allow_nan=False))


def maybe(values: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values))


FILTERS = st.builds(
    Filters,
    category=maybe(list(VOCAB.product_types)),
    gender=maybe(list(VOCAB.genders)),
    color=maybe(list(VOCAB.colors)),
    size=maybe(VOCAB.sizes),
    material=maybe(list(VOCAB.materials)),
    brand=maybe(["Luma", "Oddmolly"]),
    price_min=PRICES,
    price_max=PRICES,
).filter(lambda f: f.price_min is None or f.price_max is None or f.price_min <= f.price_max)
QUERY = st.lists(st.sampled_from(["hoodie", "warm", "black", "jacket", "soft", "cheaper"]), max_size=4).map(
    " ".join
)
STATES = st.builds(
    ConversationState,
    conversation_id=st.just("c_prop"),
    query=QUERY,
    filters=FILTERS,
    turns=st.integers(min_value=0, max_value=50),
)
TURNS = st.builds(
    ShoppingTurn,
    intent=st.sampled_from(list(Intent)),
    query=QUERY,
    filters=FILTERS,
    replace_filters=st.booleans(),
    cleared=st.lists(st.sampled_from(FIELDS), unique=True, max_size=3),
)
NON_SEARCH = TURNS.filter(
    lambda t: t.intent not in SEARCH_INTENTS or t.intent in (Intent.compare, Intent.product_question)
)
PROPS = settings(max_examples=400, deadline=None)


@PROPS
@given(STATES, TURNS)
def test_merge_counts_the_turn_and_never_mutates_its_input(
    state: ConversationState, turn: ShoppingTurn
) -> None:
    snapshot = state.model_dump()
    after = merge(state, turn)
    assert after.turns == state.turns + 1
    assert state.model_dump() == snapshot


@PROPS
@given(STATES, NON_SEARCH)
def test_turns_that_are_not_searches_leave_query_and_filters_alone(
    state: ConversationState, turn: ShoppingTurn
) -> None:
    after = merge(state, turn)
    assert (after.query, after.filters) == (state.query, state.filters)


@PROPS
@given(STATES, NON_SEARCH)
def test_merging_a_non_search_turn_twice_is_the_same_as_once(
    state: ConversationState, turn: ShoppingTurn
) -> None:
    once, twice = merge(state, turn), merge(merge(state, turn), turn)
    assert twice.model_dump(exclude={"turns"}) == once.model_dump(exclude={"turns"})


@PROPS
@given(STATES, TURNS.filter(lambda t: t.intent in (Intent.search, Intent.refine)))
def test_cleared_fields_are_none_unless_the_same_turn_sets_them(
    state: ConversationState, turn: ShoppingTurn
) -> None:
    after = merge(state, turn)
    for name in turn.cleared:
        assert getattr(after.filters, name) == getattr(turn.filters, name)


@PROPS
@given(STATES, TURNS.filter(lambda t: t.intent in (Intent.search, Intent.refine)))
def test_a_value_the_turn_sets_is_the_value_remembered(state: ConversationState, turn: ShoppingTurn) -> None:
    after = merge(state, turn)
    for name, value in turn.filters.model_dump(exclude_none=True).items():
        assert getattr(after.filters, name) == value


@PROPS
@given(STATES, TURNS)
def test_the_remembered_price_range_is_never_inverted(state: ConversationState, turn: ShoppingTurn) -> None:
    f = merge(state, turn).filters
    assert f.price_min is None or f.price_max is None or f.price_min <= f.price_max
