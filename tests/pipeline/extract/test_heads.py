"""The requested head: the last noun of the first noun phrase."""

from __future__ import annotations

from app.pipeline.extract.heads import request_phrase, requested_head


def test_the_head_is_the_last_word_of_the_first_phrase() -> None:
    head = requested_head("fresh salmon fillets for dinner", [], [])
    assert head is not None and head.word == "fillets" and head.phrase == "fresh salmon fillets"


def test_a_preposition_ends_the_phrase() -> None:
    head = requested_head("a rack for my shoes", [], [])
    assert head is not None and head.word == "rack"


def test_describing_words_alone_have_no_head() -> None:
    assert requested_head("navy blue", [], [(0, 4), (5, 9)]) is None


def test_a_pro_form_is_a_refinement_not_a_head() -> None:
    assert requested_head("the salmon one", [], [(4, 10)]) is None


def test_taken_words_are_skipped() -> None:
    head = requested_head("espresso machine under $200", [(17, 27)], [])
    assert head is not None and head.word == "machine" and head.covers(0) and not head.covers(17)


def test_the_request_phrase_is_the_first_noun_phrase_with_its_modifiers() -> None:
    assert request_phrase("mint chocolate ice cream") == "mint chocolate ice cream"
    assert request_phrase("espresso machine under $200") == "espresso machine"
    assert request_phrase("a salmon pink dress for a wedding") == "salmon pink dress"


def test_a_pro_form_has_no_request_phrase_and_a_bare_colour_is_its_own() -> None:
    assert request_phrase("the salmon one") is None
    assert request_phrase("something in black") is None
    assert request_phrase("in black") == "black"  # already in the search text: the guard reuses its vector


def test_a_colour_word_after_a_described_noun_ends_a_compound_noun() -> None:
    # "mint" and "chocolate" describe "ice", so "cream" is the end of "ice cream", not a colour.
    head = requested_head("mint chocolate ice cream", [], [(0, 4), (5, 14), (19, 24)])
    assert head is not None and head.word == "cream" and head.phrase == "mint chocolate ice cream"


def test_a_colour_after_a_plain_adjective_stays_a_colour() -> None:
    assert requested_head("bright red", [], [(7, 10)]) is None
