"""Positions and superlatives in a generated reply, checked against the shown list."""

from __future__ import annotations

from app.pipeline.respond_checks import ListedProduct, order_problems

LISTED = [
    ListedProduct(position=1, name="Mona Pullover Hoodlie", price=57.0, rating=4.0),
    ListedProduct(position=2, name="Ariel Roll Sleeve Sweatshirt", price=39.0, rating=3.0),
    ListedProduct(position=3, name="Chaz Kangeroo Hoodie", price=52.0, rating=4.5),
]


def test_a_right_ordinal_passes() -> None:
    assert order_problems("The second one, the Ariel Roll Sleeve Sweatshirt, is $39.00.", LISTED) == []


def test_a_wrong_ordinal_is_reported() -> None:
    assert order_problems("The second one, the Chaz Kangeroo Hoodie, is warm.", LISTED) == [
        "calls the Chaz Kangeroo Hoodie 'The second', but it is number 3 of the 3 listed"
    ]


def test_the_last_one_is_the_last_listed() -> None:
    assert order_problems("The last one is the Chaz Kangeroo Hoodie.", LISTED) == []


def test_a_hash_number_is_an_ordinal() -> None:
    assert len(order_problems("Mona Pullover Hoodlie (#2) is lovely.", LISTED)) == 1


def test_an_ordinal_pairs_with_the_nearest_name() -> None:
    text = (
        "The Mona Pullover Hoodlie is the first one and the Ariel Roll Sleeve Sweatshirt is the second one."
    )
    assert order_problems(text, LISTED) == []


def test_the_first_time_is_not_an_ordinal() -> None:
    assert order_problems("For the first time the Chaz Kangeroo Hoodie is here.", LISTED) == []


def test_a_numbered_item_must_carry_its_position() -> None:
    assert order_problems("1. Ariel Roll Sleeve Sweatshirt — $39.00", LISTED) == [
        "numbers the Ariel Roll Sleeve Sweatshirt 1, but it is number 2 of the list"
    ]


def test_the_cheapest_must_have_the_lowest_price() -> None:
    assert order_problems("The cheapest is the Ariel Roll Sleeve Sweatshirt.", LISTED) == []
    assert order_problems("The Mona Pullover Hoodlie is the cheapest.", LISTED) == [
        "calls the Mona Pullover Hoodlie 'cheapest', but the cheapest is the Ariel Roll Sleeve Sweatshirt"
    ]


def test_the_most_expensive_must_have_the_highest_price() -> None:
    assert len(order_problems("The Chaz Kangeroo Hoodie is the most expensive.", LISTED)) == 1


def test_the_best_rated_must_have_the_highest_rating() -> None:
    assert order_problems("The best rated is the Chaz Kangeroo Hoodie.", LISTED) == []
    assert len(order_problems("The best rated is the Mona Pullover Hoodlie.", LISTED)) == 1


def test_a_sentence_without_a_listed_name_is_not_checked() -> None:
    assert order_problems("The second one is the cheapest.", LISTED) == []
