"""Store-help words: a shopper's words matched to the policy's (stems, the thesaurus, typos)."""

from app.policy.words import correct, lexicon, stems

KNOWN = lexicon(["You can return any unworn item within 30 days of delivery for a full refund."])


def test_inflections_of_a_word_share_a_stem() -> None:
    assert stems("cancelling") == stems("cancellation") == {"cance"}


def test_function_words_are_no_content() -> None:
    assert stems("can I send it back?") == set()


def test_the_thesaurus_adds_the_policys_word_for_a_shoppers_word() -> None:
    assert stems("can I swap it", thesaurus=True) == {"swap", "excha"}


def test_a_word_one_edit_from_a_policy_word_is_restored() -> None:
    assert correct("how do I retrun this", KNOWN) == "how do I return this"


def test_a_real_word_of_another_vocabulary_is_kept() -> None:
    known = lexicon(["Nothing outside this store, such as the weather."])
    assert correct("a belt in real leather", known, keep=frozenset({"leather"})) == "a belt in real leather"


def test_a_word_near_two_known_words_is_left_alone() -> None:
    assert correct("the bends", frozenset({"bands", "binds"})) == "the bends"


def test_a_misspelt_cue_word_is_restored_though_the_policy_does_not_use_it() -> None:
    assert correct("I'm waiting for a reimubrsement", lexicon([])) == "I'm waiting for a reimbursement"
