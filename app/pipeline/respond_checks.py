"""Positions and superlatives in a generated reply, checked against the list the shopper sees.

A small model named products by the wrong position ("the second one" for the third) and called a
product "the cheapest" when it was not. The shopper then says "add the second one" and gets another
product. ``order_problems`` finds, in each sentence of a reply:

* an ordinal ("the second one", "the last option", "#3", "number 2", "option 4") next to a listed
  product's name: the name must be at that position of the list;
* a numbered list item ("2. Ariel Roll Sleeve Sweatshirt"): the number must be that product's
  position — "the second one" resolves against the shown order, so the reply's numbers must match it;
* a superlative ("the cheapest", "the most expensive", "the best rated") next to a listed name: that
  product must have the lowest price / the highest price / the highest rating of the list.

An ordinal or superlative is paired with the listed name nearest to it in the same sentence; a
sentence that names no listed product is not checked (there is nothing to contradict).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import BaseModel

WORD_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "last": -1,
}  # fmt: skip
_ORDINAL = re.compile(
    r"\bthe\s+(?P<w>" + "|".join(WORD_ORDINALS) + r")\b(?!\s+(?:time|step|thing|of all|place))"
    r"|(?:#|\bnumber\s+|\bno\.\s*|\boption\s+|\bitem\s+)(?P<n>[1-9])\b",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"^\s*(?:\*\*)?(\d{1,2})[.)]\s+(.+)$", re.MULTILINE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CHEAPEST = re.compile(
    r"\b(?:cheapest|least expensive|lowest[- ]priced|lowest price|most affordable|best value|"
    r"(?:the )?(?:most )?budget[- ]friendly(?:est)?)\b",
    re.IGNORECASE,
)
_DEAREST = re.compile(
    r"\b(?:most expensive|priciest|highest[- ]priced|highest price|dearest|most premium)\b", re.IGNORECASE
)
_BEST_RATED = re.compile(
    r"\b(?:best[- ]rated|highest[- ]rated|top[- ]rated|best[- ]reviewed|most popular)\b", re.IGNORECASE
)


class ListedProduct(BaseModel):
    """A product of the shown list as the checks need it: its 1-based position and what ranks it."""

    position: int
    name: str
    price: float
    rating: float | None = None


def _nearest(names: list[tuple[int, int, ListedProduct]], start: int, end: int) -> ListedProduct | None:
    if not names:
        return None

    def distance(n: tuple[int, int, ListedProduct]) -> int:
        return 0 if n[0] <= start < n[1] else min(abs(n[0] - end), abs(start - n[1]))

    return min(names, key=distance)[2]


def _names_in(sentence: str, listed: list[ListedProduct]) -> list[tuple[int, int, ListedProduct]]:
    low = sentence.casefold()
    found: list[tuple[int, int, ListedProduct]] = []
    for p in sorted(listed, key=lambda x: len(x.name), reverse=True):
        for m in re.finditer(re.escape(p.name.casefold()), low):
            if not any(s <= m.start() < e for s, e, _ in found):
                found.append((m.start(), m.end(), p))
    return found


def _superlative(
    pattern: re.Pattern[str],
    sentence: str,
    names: list[tuple[int, int, ListedProduct]],
    winners: set[str],
    what: str,
) -> list[str]:
    problems = []
    for m in pattern.finditer(sentence):
        named = _nearest(names, m.start(), m.end())
        if named is not None and winners and named.name not in winners:
            problems.append(
                f"calls the {named.name} '{m.group(0)}', but {what} is the {' / '.join(sorted(winners))}"
            )
    return problems


def _winners(
    listed: list[ListedProduct], key: Callable[[ListedProduct], float | None], best: str
) -> set[str]:
    values = [(p, v) for p in listed if (v := key(p)) is not None]
    if len(values) < 2:
        return set()
    target = min(v for _, v in values) if best == "min" else max(v for _, v in values)
    return {p.name for p, v in values if abs(v - target) < 1e-9}


def order_problems(text: str, listed: list[ListedProduct]) -> list[str]:
    """What ``text`` says about positions and superlatives that the list contradicts (see above)."""
    if not listed:
        return []
    n = len(listed)
    problems: list[str] = []
    for m in _NUMBERED.finditer(text):
        names = _names_in(m.group(2), listed)
        if names and names[0][2].position != int(m.group(1)):
            p = names[0][2]
            problems.append(f"numbers the {p.name} {m.group(1)}, but it is number {p.position} of the list")
    cheapest = _winners(listed, lambda p: p.price, "min")
    dearest = _winners(listed, lambda p: p.price, "max")
    best_rated = _winners(listed, lambda p: p.rating, "max")
    for sentence in _SENTENCE.split(text):
        names = _names_in(sentence, listed)
        if not names:
            continue
        for m in _ORDINAL.finditer(sentence):
            word = (m.group("w") or "").lower()
            pos = WORD_ORDINALS[word] if word else int(m.group("n"))
            pos = n if pos == -1 else pos
            named = _nearest(names, m.start(), m.end())
            if named is not None and named.position != pos:
                problems.append(
                    f"calls the {named.name} '{m.group(0).strip()}', but it is number {named.position} "
                    f"of the {n} listed"
                )
        problems += _superlative(_CHEAPEST, sentence, names, cheapest, "the cheapest")
        problems += _superlative(_DEAREST, sentence, names, dearest, "the most expensive")
        problems += _superlative(_BEST_RATED, sentence, names, best_rated, "the best rated")
    return problems
