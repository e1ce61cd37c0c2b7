"""Honest constraint relaxation: when no product meets every constraint, which one to drop.

Constraints are dropped one at a time, least important first, and the first relaxation that finds
products wins; the reply names what was dropped. The order is the one a shop assistant would use:
a size or material the data often cannot check (Kibana products carry neither), then the colour,
the brand, the price, which shoppers state as a hard budget, then the gender ("men's dresses" shows
the dresses we have) and last of all the product type: other types are not "the nearest" products,
they are different ones, so they are only ever shown as alternatives, and the reply says so
(``typefence.py``, ``respond.shows_alternatives``). A relaxation "finds products" only when some are
of the requested type; until then the next constraint goes.
"""

from __future__ import annotations

from collections.abc import Iterator

from app.domain.turn import Filters

RELAX_ORDER: tuple[str, ...] = ("size", "material", "color", "brand", "price", "gender", "category")


def relaxations(filters: Filters) -> Iterator[tuple[list[str], Filters]]:
    """(dropped, relaxed filters), one more constraint dropped each step; nothing when none is set."""
    values = filters.model_dump()
    dropped: list[str] = []
    for name in RELAX_ORDER:
        keys = ("price_min", "price_max") if name == "price" else (name,)
        if all(values[k] is None for k in keys):
            continue
        for k in keys:
            values[k] = None
        dropped.append(name)
        yield list(dropped), Filters(**values)
