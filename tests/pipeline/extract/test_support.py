"""The checks on an LLM extraction: unsupported values dropped, prices read by the rules parser, and
the merge where the rules parser's confident reading stands."""

from __future__ import annotations

from app.catalog.vocabulary import load_vocabulary
from app.domain.turn import ConversationState, Filters, Intent, ShoppingTurn
from app.pipeline.extract.rules import RulesExtractor
from app.pipeline.extract.support import (
    SupportChecker,
    amounts,
    check_support,
    merge_turns,
    rules_confident,
)

RULES = RulesExtractor(load_vocabulary(), ["Luma", "Tigress Enterprises"])
CHECKER = SupportChecker(RULES)
EMPTY = ConversationState(conversation_id="c")


def checked(
    message: str, llm: ShoppingTurn, state: ConversationState = EMPTY
) -> tuple[ShoppingTurn, list[str]]:
    out = check_support(llm, RULES.parse(message, state), message, state, CHECKER)
    return out.turn, out.corrections


def merged(
    message: str, llm: ShoppingTurn, state: ConversationState = EMPTY
) -> tuple[ShoppingTurn, list[str]]:
    rules = RULES.parse(message, state)
    out = merge_turns(check_support(llm, rules, message, state, CHECKER), rules, message, state, CHECKER)
    return out.turn, out.corrections


def search(**filters: object) -> ShoppingTurn:
    return ShoppingTurn(intent=Intent.search, query="hoodies", filters=Filters(**filters), backend="llm")  # type: ignore[arg-type]


def test_values_the_message_states_are_kept() -> None:
    turn, notes = checked("black hoodies for men", search(category="hoodies", color="black", gender="men"))
    assert (turn.filters, notes) == (Filters(category="hoodies", color="black", gender="men"), [])


def test_a_gender_nobody_asked_for_is_dropped_and_logged() -> None:
    turn, notes = checked("hoodies please", search(category="hoodies", gender="women"))
    assert turn.filters == Filters(category="hoodies")
    assert notes == ["dropped gender='women': not in the message or the remembered search"]


def test_a_colour_size_material_and_brand_nobody_asked_for_are_dropped() -> None:
    llm = search(category="hoodies", color="black", size="M", material="wool", brand="Luma")
    turn, notes = checked("warm hoodies", llm)
    assert turn.filters == Filters(category="hoodies")
    assert len(notes) == 4


def test_a_synonym_in_the_message_supports_the_canonical_value() -> None:
    turn, _ = checked("navy trainers", search(category="sneakers", color="blue"))
    assert turn.filters == Filters(category="sneakers", color="blue")


def test_a_size_word_supports_its_size() -> None:
    turn, _ = checked("hoodies in a small", search(category="hoodies", size="S"))
    assert turn.filters.size == "S"


def test_a_lone_letter_inside_a_word_does_not_support_a_size() -> None:
    turn, _ = checked("I'm after some hoodies", search(category="hoodies", size="M"))
    assert turn.filters.size is None


def test_the_remembered_search_supports_a_repeated_value() -> None:
    state = ConversationState(
        conversation_id="c", query="hoodies", filters=Filters(category="hoodies", color="black")
    )
    llm = ShoppingTurn(intent=Intent.refine, filters=Filters(category="hoodies", color="black", size="M"))
    turn, notes = checked("in M", llm, state)
    assert (turn.filters, notes) == (Filters(category="hoodies", color="black", size="M"), [])


def test_under_80_read_as_a_minimum_becomes_a_maximum() -> None:
    turn, notes = checked("jackets under $80", search(category="jackets", price_min=80.0))
    assert (turn.filters.price_min, turn.filters.price_max) == (None, 80.0)
    assert notes == [
        "price [min 80] → [max 80]: the rules parser's reading of the message's price (direction and "
        "bounds) stands"
    ]


def test_a_price_the_message_never_states_is_dropped() -> None:
    turn, notes = checked("a jacket in size 34", search(category="jackets", price_max=34.0))
    assert turn.filters.price_max is None
    assert notes[-1] == "dropped price_max=34.0: no such amount of money in the message or the search"


def test_cheaper_supports_eight_tenths_of_the_remembered_ceiling() -> None:
    state = ConversationState(conversation_id="c", query="hoodies", filters=Filters(price_max=50.0))
    assert CHECKER.supports("price_max", 40.0, "cheaper ones", Filters(), state)


def test_money_amounts_need_a_money_mark() -> None:
    assert amounts("call 555 0100, budget $1,200 or 30 bucks, 2 pack") == [1200.0, 30.0]


def test_a_position_beyond_the_shown_results_is_dropped() -> None:
    state = ConversationState(conversation_id="c", last_results=["a", "b"])
    llm = ShoppingTurn(intent=Intent.product_question, referenced=[3])
    turn, notes = checked("is the third one warm?", llm, state)
    assert turn.referenced == []
    assert notes == ["dropped references [3]: not among the shown"]


def test_merge_keeps_the_rules_value_of_a_slot_rules_filled() -> None:
    state = ConversationState(
        conversation_id="c", query="hoodies", filters=Filters(category="hoodies", color="black")
    )
    llm = ShoppingTurn(intent=Intent.refine, filters=Filters(color="black"))  # supported by the state
    turn, notes = merged("in gray instead", llm, state)
    assert turn.filters.color == "gray"
    assert notes == ["color 'black' → 'gray': the rules parser read it from the message"]


def test_merge_fills_a_slot_the_model_missed_from_the_rules_reading() -> None:
    turn, _ = merged("black hoodies for men", search(category="hoodies"))
    assert turn.filters == Filters(category="hoodies", color="black", gender="men")


def test_merge_keeps_a_rules_cue_intent() -> None:
    llm = ShoppingTurn(intent=Intent.search, query="order")
    turn, notes = merged("checkout please", llm)
    assert turn.intent is Intent.checkout
    assert notes == ["intent search → checkout: the rules parser's reading stands"]


def test_merge_takes_the_model_intent_where_rules_only_defaulted() -> None:
    state = ConversationState(conversation_id="c", query="jackets", last_results=["a", "b", "c"])
    llm = ShoppingTurn(intent=Intent.product_question, referenced=[2])
    rules = RULES.parse("hmm what about number two there", state)
    assert not rules_confident(rules)
    turn, _ = merged("hmm what about number two there", llm, state)
    assert (turn.intent, turn.referenced) == (Intent.product_question, [2])


def test_merge_never_starts_an_action_on_the_model_reading_alone() -> None:
    turn, _ = merged("nice", ShoppingTurn(intent=Intent.checkout))
    assert turn.intent is not Intent.checkout


def test_merge_adds_the_model_need_words_the_message_says() -> None:
    turn, _ = merged(
        "something for a rainy hike", ShoppingTurn(intent=Intent.search, query="rainy hike jacket")
    )
    assert set(turn.query.split()) >= {"rainy", "hike"}
    assert "jacket" not in turn.query.split()


def test_merge_keeps_the_llm_backend_mark() -> None:
    turn, _ = merged("black hoodies", search(category="hoodies", color="black"))
    assert turn.backend == "llm"


def test_merge_never_turns_a_search_into_out_of_scope() -> None:
    rules = RULES.parse("something for a rainy hike", EMPTY)
    assert (rules.intent, rules_confident(rules)) == (Intent.search, False)
    turn, _ = merged("something for a rainy hike", ShoppingTurn(intent=Intent.out_of_scope))
    assert turn.intent is Intent.search


def test_merge_takes_a_model_question_only_when_something_was_shown() -> None:
    turn, _ = merged("hmm what about number two there", ShoppingTurn(intent=Intent.product_question))
    assert turn.intent is not Intent.product_question


def test_a_brand_inside_another_word_does_not_support_it() -> None:
    assert CHECKER.supports("brand", "Luma", "luma jackets", Filters(), EMPTY)
    assert not CHECKER.supports("brand", "Luma", "illumalight jackets", Filters(), EMPTY)


def test_a_position_stays_when_no_list_is_known() -> None:
    turn, notes = checked(
        "is the second one wool?", ShoppingTurn(intent=Intent.product_question, referenced=[2])
    )
    assert (turn.referenced, notes) == ([2], [])
