"""A colour or material word is a filter only when it modifies a product type the store carries
or stands alone as a refinement — for *any* vocabulary word, not just the golden ones.

The out-of-catalog heads are ordinary nouns of other trades ("fillets", "grill", "sofa"); they are
test inputs, the extractor has no such list: it sees only that the head is not a store type.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.catalog.vocabulary import load_vocabulary
from app.domain.turn import ConversationState, Intent
from app.pipeline.extract.rules import RulesExtractor

VOCAB = load_vocabulary()
PARSER = RulesExtractor(VOCAB, ["Luma"])
STATE = ConversationState(conversation_id="c_prop")
PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_TYPE_WORDS = {s.lower() for canon, syns in VOCAB.product_types.items() for s in [canon, *syns]}


def _single_words(table: dict[str, list[str]]) -> list[str]:
    words = {s.lower() for canon, syns in table.items() for s in [canon, *syns]}
    return sorted(w for w in words if re.fullmatch(r"[a-z]{3,}", w) and w not in _TYPE_WORDS)


DESCRIBING = _single_words(VOCAB.colors) + _single_words(VOCAB.materials)
STORE_HEADS = sorted(w for w in _TYPE_WORDS if re.fullmatch(r"[a-z]{4,}", w) and w not in DESCRIBING)
OTHER_HEADS = [
    "fillets", "oil", "grill", "sofa", "machine", "candle", "bush", "mower", "helmet", "tiles",
    "paint", "cupcakes", "lamp", "curtains", "kettle", "vase", "saucepan", "keyboard", "rug", "tea",
]  # fmt: skip


def _is_filter(word: str, turn_filters: dict[str, object]) -> bool:
    return turn_filters.get("color") is not None or turn_filters.get("material") is not None


@PROPS
@given(st.sampled_from(DESCRIBING), st.sampled_from(STORE_HEADS))
def test_a_colour_or_material_before_a_store_type_is_a_filter(word: str, head: str) -> None:
    assume(f"{word} {head}" not in _TYPE_WORDS)  # "denim jeans" is itself a type name of the vocabulary
    turn = PARSER.parse(f"{word} {head}", STATE)
    assert turn.intent is Intent.search
    assert turn.filters.category is not None
    assert _is_filter(word, turn.filters.model_dump())


@PROPS
@given(st.sampled_from(DESCRIBING), st.sampled_from(OTHER_HEADS))
def test_a_colour_or_material_before_another_noun_stays_part_of_the_request(word: str, head: str) -> None:
    turn = PARSER.parse(f"{word} {head}", STATE)
    assert turn.filters.color is None and turn.filters.material is None
    assert turn.query.split()[-1] == head or turn.intent is Intent.out_of_scope
    if turn.intent is Intent.search:
        assert word in turn.query


@PROPS
@given(st.sampled_from(DESCRIBING))
def test_a_colour_or_material_standing_alone_is_a_refinement_filter(word: str) -> None:
    turn = PARSER.parse(f"in {word}", ConversationState(conversation_id="c", query="hoodies"))
    assert _is_filter(word, turn.filters.model_dump())


@PROPS
@given(st.sampled_from(DESCRIBING), st.sampled_from(OTHER_HEADS))
def test_the_type_phrase_the_guard_judges_keeps_the_word_and_its_noun(word: str, head: str) -> None:
    turn = PARSER.parse(f"a {word} {head} please", STATE)
    if turn.intent is Intent.search:
        assert turn.phrase == f"{word} {head}"


@PROPS
@given(st.sampled_from(DESCRIBING), st.sampled_from(STORE_HEADS))
def test_the_type_phrase_of_a_store_type_keeps_its_colour_or_material(word: str, head: str) -> None:
    turn = PARSER.parse(f"{word} {head} under $80", STATE)
    assert turn.phrase == f"{word} {head}"
