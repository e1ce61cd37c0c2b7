"""Relaxation drops the least important constraint first, the gender late and the type last."""

from app.domain.turn import Filters
from app.pipeline.relax import relaxations


def test_size_goes_first_then_colour_then_price() -> None:
    f = Filters(category="hoodies", gender="men", color="red", size="XXL", price_max=20)
    steps = [dropped for dropped, _ in relaxations(f)]
    assert steps[:3] == [["size"], ["size", "color"], ["size", "color", "price"]]


def test_the_gender_and_then_the_type_go_last() -> None:
    steps = [dropped for dropped, _ in relaxations(Filters(category="belts", gender="women", color="yellow"))]
    assert steps == [["color"], ["color", "gender"], ["color", "gender", "category"]]


def test_a_type_alone_is_the_last_thing_to_relax() -> None:
    assert [dropped for dropped, _ in relaxations(Filters(category="scarves"))] == [["category"]]


def test_nothing_to_relax_without_constraints() -> None:
    assert list(relaxations(Filters())) == []
