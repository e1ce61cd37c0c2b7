"""Store help by meaning: the policy document's sentences in their own collection, searched with
the real MiniLM encoder (routing paraphrases the cue router has no cue for, and quoting)."""

from pathlib import Path

import pytest

from app.index.embedder import Encoder
from app.index.passages import PassageIndex
from app.pipeline.policy_search import PolicySearch, ensure_policy_index, policy_passages, sentences
from app.policy.document import load_policy
from app.policy.router import TOPICS

DOC = load_policy(required=TOPICS)


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> PolicySearch:
    encoder = Encoder(threads=1)
    index = PassageIndex(Path(tmp_path_factory.mktemp("policy")) / "policy")
    ensure_policy_index(DOC, encoder, index)
    return PolicySearch(encoder, index)


def test_every_sentence_of_every_section_is_a_passage() -> None:
    expected = sum(len(sentences(s.text)) for s in DOC.sections.values())
    assert len(policy_passages(DOC)) == expected


def test_a_second_ensure_with_the_same_document_builds_nothing(search: PolicySearch) -> None:
    assert ensure_policy_index(DOC, search.encoder, search.index) is False  # type: ignore[arg-type]


def test_a_paraphrase_without_a_cue_word_finds_its_section(search: PolicySearch) -> None:
    assert search.topic("how can I check the status of my order")[0] == "order_status"


def test_a_product_search_is_no_store_help_question(search: PolicySearch) -> None:
    assert search.topic("black running shoes for women")[0] is None


def test_a_follow_up_is_held_to_the_lower_bar(search: PolicySearch) -> None:
    message = "can I pay later?"  # nearest sentence between the two bars
    assert (search.topic(message)[0], search.topic(message, follow_up=True)[0]) == (None, "payment")


def test_the_quote_leads_with_the_sentence_that_answers(search: PolicySearch) -> None:
    quoted = search.quote("is return shipping free?", "returns")
    assert any("return postage is free" in s for s in quoted)


def test_a_shoppers_word_finds_the_sentence_in_the_policys_word(search: PolicySearch) -> None:
    assert search.quote("can I swap for a bigger size", "returns") == [
        "Exchanges are handled as a return plus a new order."
    ]


def test_an_inflected_word_finds_its_sentence(search: PolicySearch) -> None:
    quoted = search.quote("is there a fee for cancelling", "order_status")
    assert any("no cancellation fee" in s for s in quoted)


def test_nothing_singled_out_quotes_nothing(search: PolicySearch) -> None:
    assert search.quote("restocking fee?", "returns") == []


def test_of_several_cued_topics_the_first_stands_unless_another_is_clearly_nearer(
    search: PolicySearch,
) -> None:
    assert search.nearest_of("will I have to pay customs fees on top?", ["shipping", "payment"]) == "shipping"
    assert search.nearest_of("can i pay when it arrives, like cash", ["shipping", "payment"]) == "payment"


def test_a_question_about_wearing_an_item_quotes_the_unworn_rule(search: PolicySearch) -> None:
    quoted = search.quote("can I send it back once I've worn it out", "returns")
    assert quoted[0].startswith("You can return any unworn item")


def test_a_question_for_the_email_quotes_the_address(search: PolicySearch) -> None:
    assert search.quote("what's your email", "contact")[0].startswith("Our customer service team")
