"""Needs, gifts and occasions: the request is searched as its need, widened with the catalog's own
activity/climate values by meaning (real MiniLM encoder), and no frame word is the head noun."""

import pytest

from app.domain.catalog import Product
from app.domain.turn import Filters, Intent, ShoppingTurn
from app.index.embedder import Encoder
from app.pipeline.needs import NeedReader, asks_what_to_wear, attribute_values, has_need_frame, need_words

GEAR = [
    Product(id="a", source="magento", sku="A", name="Pack", price=10.0, attributes={"activity": ["Hiking", "Gym"]}),
    Product(id="b", source="magento", sku="B", name="Coat", price=10.0, attributes={"climate": ["Cold", "Rainy"]}),
]  # fmt: skip


@pytest.fixture(scope="module")
def reader() -> NeedReader:
    return NeedReader(Encoder(threads=1), attribute_values(GEAR))


def test_the_catalog_values_are_the_activity_and_climate_pairs() -> None:
    assert attribute_values(GEAR) == [
        ("activity", "gym"),
        ("activity", "hiking"),
        ("climate", "cold"),
        ("climate", "rainy"),
    ]


@pytest.mark.parametrize(
    "message",
    [
        "gift for my dad who likes camping",
        "my wife wants to start going to the gym",
        "she's really into yoga",
    ],
)
def test_a_gift_or_person_frame_is_a_need(message: str) -> None:
    assert has_need_frame(message)


def test_a_plain_search_has_no_need_frame() -> None:
    assert not has_need_frame("black hoodies under $50")


def test_frame_words_leave_the_need() -> None:
    assert need_words("christmas gift brother really into watches") == ["watches"]


def test_a_need_is_widened_with_the_nearest_catalog_value(reader: NeedReader) -> None:
    turn = reader.read(
        "gift for my dad who likes camping",
        ShoppingTurn(intent=Intent.search, query="gift who likes camping", head="gift"),
    )
    assert (turn.query, turn.head) == ("camping hiking", None)


def test_the_guard_judges_a_need_as_the_need_not_as_a_type_phrase(reader: NeedReader) -> None:
    turn = reader.read(
        "gift for my dad who likes camping",
        ShoppingTurn(intent=Intent.search, query="gift who likes camping", head="gift", phrase="gift"),
    )
    assert (turn.phrase, turn.need) == (None, True)


def test_a_frame_around_something_no_catalog_need_is_near_is_left_to_the_guard(reader: NeedReader) -> None:
    typed = ShoppingTurn(
        intent=Intent.search, query="gift wife espresso machine", head="gift", phrase="a gift"
    )
    turn = reader.read("a gift for my wife: an espresso machine", typed)
    assert (turn.query, turn.need) == ("gift wife espresso machine", False)


def test_a_frame_around_a_product_is_judged_by_the_product_not_the_frame_noun(reader: NeedReader) -> None:
    typed = ShoppingTurn(
        intent=Intent.search, query="gift wife espresso machine", head="gift", phrase="a gift"
    )
    turn = reader.read("a gift for my wife: an espresso machine", typed)
    assert (turn.head, turn.phrase) == ("machine", "espresso machine")


def test_a_need_without_a_frame_word_is_a_need(reader: NeedReader) -> None:
    typed = ShoppingTurn(intent=Intent.search, query="long walks snow", head="walks", phrase="long walks")
    turn = reader.read("long walks in the snow", typed)
    assert (turn.need, turn.head, turn.phrase) == (True, None, None)


def test_a_product_of_no_store_type_without_a_frame_is_not_a_need(reader: NeedReader) -> None:
    typed = ShoppingTurn(
        intent=Intent.search, query="espresso machine", head="machine", phrase="espresso machine"
    )
    assert reader.read("espresso machine", typed) == typed


def test_a_question_to_an_assistant_is_not_a_need(reader: NeedReader) -> None:
    typed = ShoppingTurn(intent=Intent.search, query="chance rain", head="rain", phrase="chance")
    assert reader.read("what's the chance of rain", typed) == typed


def test_a_climate_need_says_climate_as_the_catalog_text_does(reader: NeedReader) -> None:
    turn = reader.read(
        "my boyfriend is always freezing", ShoppingTurn(intent=Intent.search, query="always freezing")
    )
    assert turn.query == "freezing cold climate"


def test_a_request_without_a_frame_is_left_alone(reader: NeedReader) -> None:
    turn = ShoppingTurn(intent=Intent.search, query="hoodies", filters=Filters(category="hoodies"))
    assert reader.read("black hoodies", turn) == turn


def test_what_to_wear_asks_for_clothing() -> None:
    assert asks_what_to_wear("got a job interview on monday, what should I wear")


def test_a_request_whose_head_is_an_activity_is_a_need(reader: NeedReader) -> None:
    turn = ShoppingTurn(intent=Intent.search, query="hiking summer", head="hiking")
    assert reader.read("hiking in the summer, what's good", turn).head is None


def test_a_product_the_store_lacks_keeps_its_head(reader: NeedReader) -> None:
    turn = ShoppingTurn(intent=Intent.search, query="winter tyres", head="tyres")
    assert reader.read("winter tyres", turn) == turn


def test_a_head_the_type_phrase_goes_on_past_is_not_an_activity(reader: NeedReader) -> None:
    typed = ShoppingTurn(
        intent=Intent.search, query="mint chocolate ice", head="ice", phrase="mint chocolate ice cream"
    )
    assert reader.read("mint chocolate ice cream", typed) == typed
