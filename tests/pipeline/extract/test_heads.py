"""The requested head: the last noun of the first noun phrase."""

from __future__ import annotations

from app.pipeline.extract.heads import requested_head


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
