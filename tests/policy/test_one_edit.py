"""The one-edit index: the words of a vocabulary one edit (OSA) from a word, found without a scan."""

from app.policy.words import OneEditIndex

ONE_EDIT = OneEditIndex(["return", "delivery", "refund", "exchange"])


def test_the_one_edit_index_finds_a_word_with_a_letter_left_out_added_changed_or_swapped() -> None:
    assert [ONE_EDIT.near(w) for w in ("retun", "retuurn", "retorn", "retrun")] == [{"return"}] * 4


def test_the_one_edit_index_finds_nothing_two_edits_away_nor_the_word_itself() -> None:
    assert (ONE_EDIT.near("rterun"), ONE_EDIT.near("return")) == (set(), set())
