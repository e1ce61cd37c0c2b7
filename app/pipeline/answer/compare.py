"""Compare shown products on the attribute the shopper asks about ("which one is cheaper / warmer /
waterproof"). Price and rating are compared as numbers. A comparative on a measure ("which has the
longer inseam", "which is heavier") compares the numbers each product's own text states for it,
in one unit, when every product states exactly one. Any other attribute is decided by the
product-QA rule (``qa.answer``) on the question with its comparative in base form ("warmer" → is it
warm?): the one product whose own text says ``yes`` wins, with that text as the reason. When none or
several do, there is no pick (the reply says the information doesn't say), never a guess.
"""

from __future__ import annotations

import re

from app.domain.catalog import Product
from app.pipeline.answer.facts import unit
from app.pipeline.answer.lexicon import NUM, STOP
from app.pipeline.answer.qa import answer
from app.pipeline.answer.semantic import SemanticArm
from app.pipeline.answer.words import stem, stems

_CHEAP = re.compile(r"\b(cheap|cheaper|cheapest|less expensive|affordable|lower price|budget)\b", re.I)
_DEAR = re.compile(r"\b(pricier|priciest|more expensive|most expensive|dearer)\b", re.I)
_RATED = re.compile(r"\b(best|better|higher|highest|top)[ -]rated\b|\breviews?\b|\brating\b", re.I)


#: Comparatives → (base form, +1 for the larger number wins / -1 for the smaller).
COMPARATIVES: dict[str, tuple[str, int]] = {
    "longer": ("long", 1), "longest": ("long", 1), "shorter": ("short", -1), "shortest": ("short", -1),
    "bigger": ("big", 1), "biggest": ("big", 1), "larger": ("large", 1), "largest": ("large", 1),
    "smaller": ("small", -1), "smallest": ("small", -1), "heavier": ("heavy", 1), "heaviest": ("heavy", 1),
    "lighter": ("light", -1), "lightest": ("light", -1), "wider": ("wide", 1), "taller": ("tall", 1),
    "warmer": ("warm", 1), "warmest": ("warm", 1), "cooler": ("cool", 1), "softer": ("soft", 1),
    "thicker": ("thick", 1), "thinner": ("thin", -1), "looser": ("loose", 1), "tighter": ("tight", 1),
    "roomier": ("roomy", 1), "stretchier": ("stretchy", 1),
}  # fmt: skip
_WORD = re.compile(r"[a-z]+")


def _measured(question: str, products: list[Product], sign: int) -> tuple[Product, str] | None:
    """'which has the longer inseam': each product's one stated number for the thing asked about
    (a span sharing a content word with the question), same unit; the larger (or smaller) wins."""
    about = {stem(w) for w in _WORD.findall(question.lower()) if w not in STOP and w not in COMPARATIVES}
    about -= {stem(w) for p in products for w in _WORD.findall(p.name.lower())}
    values: list[tuple[float, Product, str]] = []
    units: set[str | None] = set()
    for p in products:
        stated = [
            (float(n), unit(u), span)
            for span in [*(p.description or "").splitlines()]
            for n, u in NUM.findall(span)
            if about & stems(NUM.sub(" ", span))
        ]
        if len({(v, u) for v, u, _ in stated}) != 1:
            return None  # not stated, or stated several times: no comparison on a guess
        values.append((stated[0][0], p, stated[0][2]))
        units.add(stated[0][1])
    if len(units) != 1:
        return None
    value, p, span = max(values, key=lambda x: sign * x[0])
    if sum(1 for v, _, _ in values if v == value) > 1:
        return None
    return p, f'its product information says "{span}".'


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
    asked = [COMPARATIVES[w] for w in _WORD.findall(question.lower()) if w in COMPARATIVES]
    if asked:
        found = _measured(question, products, asked[0][1])
        if found is not None:
            return found
        question = re.sub(
            r"\b(" + "|".join(COMPARATIVES) + r")\b", lambda m: COMPARATIVES[m.group(1)][0], question.lower()
        )
    question = re.sub(r"\b(?:more|most)\s+", "", question)  # "the more waterproof one"
    yes = [
        (p, a)
        for p in products
        if (a := answer(question, p, colours, sizes, semantic=semantic)).verdict == "yes"
    ]
    if len(yes) == 1 and yes[0][1].evidence:
        return yes[0][0], f'its product information says "{yes[0][1].evidence}".'
    return _by_name(question, products) if not yes else None


def _by_name(question: str, products: list[Product]) -> tuple[Product, str] | None:
    """'which of these is the insulated one?': the one product whose *name* has the word asked."""
    asked = {stem(w) for w in _WORD.findall(question.lower()) if w not in STOP and len(w) > 3}
    having = [p for p in products if asked & stems(p.name)]
    shared = set.intersection(*(stems(p.name) for p in products)) if products else set()
    if len(having) == 1 and asked & stems(having[0].name) - shared:
        return having[0], f'its name says so: "{having[0].name}".'
    return None
