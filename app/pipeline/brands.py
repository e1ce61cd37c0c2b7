"""Brands the store does not carry: said, not dropped.

The rules extractor only knows the catalog's own brands, so "Nike running shoes" or "a Patagonia
fleece" searched for running shoes or fleece and said nothing about the brand. ``BrandReader`` finds
the word the shopper put in front of the product type that the store has no use for — a *brand-like
modifier* — so the reply can say "We don't carry Nike" and show the type from the brands it does
carry. Nothing here lists brands the store does not sell: everything is derived from the catalog.

A word is such a modifier when all of these hold:

* it stands right before the product type (or at the start of the product phrase that ends in it:
  "nike *running shoes*"), in a search for a type or material the catalog has;
* no product of the catalog uses it — not in a name, a description, a brand, an attribute value —
  and it is no word of the store vocabulary or of the extractor's word lists (filler, protected
  English words, function words);
* it is not shaped like an ordinary adjective or participle (-y, -ed, -ing, -ish, -ful, -less, -ous,
  -al, -ive, -able, -ic, -er, -est, -ly: "chunky", "ripped", "lifting"), a contraction ("I've"), a
  word of who it is for ("kids", "unisex") or of how good it is ("nice"), nor one edit from a word
  the store knows (a typo: "spors bra").

What it cannot tell apart: a word the catalog never uses that is an ordinary noun used as a modifier
("baseball cap", "board shorts", "christmas jumper"). Those are announced the same way, and the
reply's wording stays true for them: nothing the store carries is by or called that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from app.catalog.vocabulary import Vocabulary
from app.domain.catalog import Product
from app.domain.turn import ShoppingTurn
from app.pipeline.extract.word_lists import FILLER, FUNCTION_WORDS, PROTECTED
from app.policy.words import OneEditIndex
from app.policy.words import wordset as _wordset

_WORD = re.compile(r"[a-z][a-z'&.-]*[a-z]|[a-z]", re.IGNORECASE)
_ADJECTIVE_SHAPE = re.compile(r"(?:y|ed|ing|ish|ful|less|ous|al|ive|able|ible|ic|er|est|ly)$")
_CONTRACTION = re.compile(r"'(?:ve|re|ll|m|d|t)$")
#: Two closed classes of ordinary modifiers that no catalog text need contain: who it is for, and
#: how the shopper rates it. (Word classes, like the genders; not brands.)
_AUDIENCE = _wordset(
    "kids kid children childrens child baby babies toddler toddlers teen teens teenage boys girls unisex adult adults"
)
_EVALUATIVE = _wordset(
    "nice cool cute lovely great decent proper awesome fancy basic simple plain classic smart casual formal new old cheap good best"
)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


class BrandReader:
    def __init__(self, products: Iterable[Product], vocabulary: Vocabulary) -> None:
        known: set[str] = set(FILLER | FUNCTION_WORDS | PROTECTED)
        for p in products:
            values = [p.name, p.description, p.brand or "", *p.materials, *p.colors, *p.sizes]
            values += [v for vs in p.attributes.values() for v in vs]
            for text in values:
                for w in _words(text):
                    known.add(w)
                    known.update(w.split("-"))
        for table in (vocabulary.colors, vocabulary.materials, vocabulary.product_types, vocabulary.genders):
            for canon, synonyms in table.items():
                for phrase in (canon, *synonyms):
                    known.update(_words(phrase))
        known.update(w.lower() for w in vocabulary.sizes)
        self._known = frozenset(known | _AUDIENCE | _EVALUATIVE)
        self._long = OneEditIndex(w for w in self._known if len(w) >= 4)

    def unmatched(self, message: str, turn: ShoppingTurn) -> str | None:
        """The brand-like modifier of the product the message asks for, as the shopper wrote it
        ("Patagonia"), or None."""
        f = turn.filters
        if f.brand is not None or not (f.category or f.material) or not turn.phrase:
            return None
        phrase = _words(turn.phrase)
        if len(phrase) < 2:
            return None
        first = phrase[0]
        if (
            first in self._known
            or len(first) < 3
            or _ADJECTIVE_SHAPE.search(first)
            or _CONTRACTION.search(first)
            or self._misspelt(first)
        ):
            return None
        if any(w not in self._known for w in phrase[1:]):
            return None  # the rest of the phrase is not all the store's words: not "<brand> <type>"
        written = next((w for w in _WORD.findall(message) if w.lower() == first), first)
        return written if written[:1].isupper() else written.capitalize()

    def _misspelt(self, word: str) -> bool:
        """One edit from a word the store knows ("spors" for "sports"): a typo, not a name."""
        return len(word) >= 5 and bool(self._long.near(word))
