"""Relaxation drops the least important constraint first and never the type or gender."""

from app.domain.turn import Filters
from app.pipeline.relax import relaxations


def test_size_goes_first_then_colour_then_price() -> None:
    f = Filters(category="hoodies", gender="men", color="red", size="XXL", price_max=20)
    steps = [dropped for dropped, _ in relaxations(f)]
    assert steps == [["size"], ["size", "color"], ["size", "color", "price"]]


def test_type_and_gender_are_kept() -> None:
    _, last = list(relaxations(Filters(category="belts", gender="women", color="yellow")))[-1]
    assert (last.category, last.gender, last.color) == ("belts", "women", None)


def test_nothing_to_relax_without_constraints() -> None:
    assert list(relaxations(Filters(category="scarves"))) == []
