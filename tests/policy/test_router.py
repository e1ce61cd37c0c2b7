"""The store-help router: a topic for store-help questions, out_of_remit for what the chat cannot
serve, None for product searches."""

import pytest

from app.policy.document import DEFAULT_POLICY_PATH, load_policy
from app.policy.router import NOT_COVERED, OUT_OF_REMIT, TOPICS, route, routes


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("what's your return policy?", "returns"),
        ("how much is shipping?", "shipping"),
        ("can I pay with PayPal?", "payment"),
        ("where is my order?", "order_status"),
        ("I want to talk to a real person", "contact"),
        ("how do I reset my password", OUT_OF_REMIT),
        ("send me a copy of my invoice", OUT_OF_REMIT),
    ],
)
def test_store_help_questions_get_their_topic(message: str, topic: str) -> None:
    assert route(message) == topic


@pytest.mark.parametrize("message", ["black hoodies under $50", "track pants for men", "a wool scarf"])
def test_product_searches_are_not_store_help(message: str) -> None:
    assert route(message) is None


def test_all_weather_products_are_not_weather_questions() -> None:
    assert route("is the All-Weather tank reflective?") is None


def test_the_demo_policy_has_a_section_for_every_topic() -> None:
    doc = load_policy(DEFAULT_POLICY_PATH, TOPICS)
    assert set(TOPICS) <= set(doc.sections)
    assert "30 days" in doc.sections["returns"].text


def test_a_policy_without_a_routed_topic_fails_at_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "policy.md"
    path.write_text("## Returns <!-- topic: returns -->\nThirty days.\n")
    with pytest.raises(ValueError, match="shipping"):
        load_policy(path, ("returns", "shipping"))


@pytest.mark.parametrize(
    "message", ["hey can i swap a hoodie for a different size", "can I trade these for a bigger pair"]
)
def test_swapping_for_another_size_is_an_exchange(message: str) -> None:
    assert route(message) == "returns"


@pytest.mark.parametrize(
    "message", ["i need help to check the ETA of order [PHONE]", "locating purchase [CARD]"]
)
def test_an_order_number_the_redaction_replaced_still_routes_to_order_status(message: str) -> None:
    assert route(message) == "order_status"


@pytest.mark.parametrize(
    "message",
    [
        "is there a warranty on your stuff",
        "do you price match",
        "any discount codes?",
        "do you do gift wrapping",
    ],
)
def test_a_store_question_the_policy_does_not_cover_is_not_covered(message: str) -> None:
    assert route(message) == NOT_COVERED


def test_a_restocking_fee_is_a_returns_question() -> None:
    assert route("restocking fee?") == "returns"


def test_an_adverb_does_not_hide_how_to_order() -> None:
    assert route("how do i actually buy something from you") == "ordering"


def test_being_between_two_sizes_is_a_sizing_question() -> None:
    assert route("im between a medium and a large, which should i get") == "sizing"


def test_opening_days_are_a_contact_question() -> None:
    assert route("are you guys open on weekends") == "contact"


def test_routes_lists_every_matching_topic_in_priority_order() -> None:
    assert routes("can i pay when it arrives, like cash") == ["shipping", "payment"]


def test_chatting_with_someone_is_a_contact_question() -> None:
    assert route("how to chat with someone?") == "contact"


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("I got these boots and they're way too big", "returns"),
        ("who pays for sending them back", "returns"),
        ("what's the largest size your trousers come in", "sizing"),
        ("how does ordering work", "ordering"),
        ("any shop near Boston I can visit", NOT_COVERED),
    ],
)
def test_store_questions_in_other_words_get_their_topic(message: str, topic: str) -> None:
    assert route(message) == topic
