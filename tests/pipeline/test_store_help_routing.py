"""The understand stage's store-help routing with the real policy collection (MiniLM): misspelt
policy words, follow-ups in a store-help exchange, several cued topics, and requests that are not
shopping at all."""

from pathlib import Path

import pytest

from app.catalog.snapshot import CatalogSnapshot
from app.domain.turn import ConversationState, Filters, Intent, ShoppingTurn
from app.index.embedder import Encoder
from app.index.passages import PassageIndex
from app.pipeline.policy_search import PolicySearch, ensure_policy_index
from app.pipeline.references import NameIndex
from app.pipeline.understand import Understander
from app.policy.document import load_policy
from app.policy.router import NOT_COVERED, OUT_OF_REMIT, TOPICS
from app.policy.words import lexicon
from tests.pipeline.test_references import CATALOG, STOP

DOC = load_policy(required=TOPICS)
FRESH = ConversationState(conversation_id="c")


@pytest.fixture(scope="module")
def understander(tmp_path_factory: pytest.TempPathFactory) -> Understander:
    encoder = Encoder(threads=1)
    index = PassageIndex(Path(tmp_path_factory.mktemp("policy")) / "policy")
    ensure_policy_index(DOC, encoder, index)
    words = lexicon(s.text for s in DOC.sections.values())
    search = PolicySearch(encoder, index, lexicon=words)
    return Understander(NameIndex(CATALOG, STOP), CatalogSnapshot(CATALOG, "v1"), search)


def read(u: Understander, message: str, turn: ShoppingTurn, state: ConversationState = FRESH) -> ShoppingTurn:
    return u.understand(message, turn, state)


def test_a_misspelt_policy_word_is_read_as_the_word(understander: Understander) -> None:
    turn = read(
        understander, "how many days do I get to retrun something", ShoppingTurn(intent=Intent.search)
    )
    assert (turn.intent, turn.topic) == (Intent.policy, "returns")


def test_a_catalog_word_is_never_read_as_a_misspelt_policy_word(understander: Understander) -> None:
    search = ShoppingTurn(intent=Intent.search, filters=Filters(category="belts", material="leather"))
    assert read(understander, "need a black belt in real leather", search).intent is Intent.search


def test_a_short_follow_up_stays_on_the_exchanges_topic(understander: Understander) -> None:
    state = FRESH.model_copy(update={"topic": "shipping", "last_intent": Intent.policy})
    turn = read(understander, "is there a faster option", ShoppingTurn(intent=Intent.search), state)
    assert (turn.intent, turn.topic) == (Intent.policy, "shipping")


def test_two_cued_topics_go_to_the_clearly_nearer_one(understander: Understander) -> None:
    turn = read(understander, "can i pay when it arrives, like cash", ShoppingTurn(intent=Intent.search))
    assert turn.topic == "payment"


def test_a_store_question_the_policy_does_not_cover_says_so(understander: Understander) -> None:
    turn = read(
        understander, "do you price match if i find it cheaper elsewhere", ShoppingTurn(intent=Intent.search)
    )
    assert (turn.intent, turn.topic) == (Intent.policy, NOT_COVERED)


def test_a_request_that_is_not_shopping_gets_the_honest_out_of_remit(understander: Understander) -> None:
    turn = read(
        understander, "can you book me a table for two tonight", ShoppingTurn(intent=Intent.out_of_scope)
    )
    assert (turn.intent, turn.topic) == (Intent.out_of_scope, OUT_OF_REMIT)


def test_asking_for_help_with_something_else_is_not_a_question_about_the_assistant(
    understander: Understander,
) -> None:
    turn = read(understander, "can you help me do my taxes", ShoppingTurn(intent=Intent.smalltalk))
    assert (turn.intent, turn.topic) == (Intent.out_of_scope, OUT_OF_REMIT)


def test_asking_for_help_alone_keeps_the_greeting(understander: Understander) -> None:
    assert (
        read(understander, "can you help me?", ShoppingTurn(intent=Intent.smalltalk)).intent
        is Intent.smalltalk
    )


def test_a_follow_up_naming_a_type_the_section_mentions_stays_on_the_topic(
    understander: Understander,
) -> None:
    state = FRESH.model_copy(update={"topic": "returns", "last_intent": Intent.policy})
    swimwear = ShoppingTurn(intent=Intent.search, filters=Filters(category="swimwear"))
    turn = read(understander, "and swimwear?", swimwear, state)
    assert (turn.intent, turn.topic) == (Intent.policy, "returns")


def test_a_follow_up_naming_a_type_the_section_does_not_mention_is_a_search(
    understander: Understander,
) -> None:
    state = FRESH.model_copy(update={"topic": "returns", "last_intent": Intent.policy})
    jackets = ShoppingTurn(intent=Intent.search, filters=Filters(category="jackets"))
    assert read(understander, "and jackets?", jackets, state).intent is Intent.search
