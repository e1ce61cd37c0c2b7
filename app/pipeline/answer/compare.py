"""Compare shown products on the attribute the shopper asks about ("which one is cheaper / warmer /
waterproof"). Price and rating are compared as numbers; any other attribute is decided by the
product-QA rule (``qa.answer``): the one product whose own text says ``yes`` wins, with that text
as the reason. When none or several do, there is no pick (the reply says the information doesn't
say), never a guess.
"""

from __future__ import annotations

import re

from app.domain.catalog import Product
from app.pipeline.answer.qa import answer
from app.pipeline.answer.semantic import SemanticArm

_CHEAP = re.compile(r"\b(cheap|cheaper|cheapest|less expensive|affordable|lower price|budget)\b", re.I)
_DEAR = re.compile(r"\b(pricier|priciest|more expensive|most expensive|dearer)\b", re.I)
_RATED = re.compile(r"\b(best|better|higher|highest|top)[ -]rated\b|\breviews?\b|\brating\b", re.I)


def compare(
    question: str,
    products: list[Product],
    colours: set[str],
    sizes: set[str],
    semantic: SemanticArm | None = None,
) -> tuple[Product, str] | None:
    if _CHEAP.search(question):
        p = min(products, key=lambda x: x.price)
        return p, f"it is the least expensive, at ${p.price:,.2f}."
    if _DEAR.search(question):
        p = max(products, key=lambda x: x.price)
        return p, f"it is the most expensive, at ${p.price:,.2f}."
    if _RATED.search(question):
        rated = [p for p in products if p.rating is not None]
        if rated:
            p = max(rated, key=lambda x: (x.rating or 0.0, x.review_count))
            return p, f"it is rated {p.rating:.1f}/5 from {p.review_count} reviews."
        return None
    yes = [
        (p, a)
        for p in products
        if (a := answer(question, p, colours, sizes, semantic=semantic)).verdict == "yes"
    ]
    if len(yes) == 1 and yes[0][1].evidence:
        return yes[0][0], f'its product information says "{yes[0][1].evidence}".'
    return None
