"""The store vocabulary (``taxonomy.json``) and pure functions that find its terms in text.

Catalog adapters use it to normalise source data (a Kibana "Jumper - dark blue" becomes type
``jumpers``, colour ``blue``); the rules extractor uses the same functions on shopper messages, so a
filter the shopper asks for is always spelled the way the payload index stores it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

TAXONOMY_PATH = Path(__file__).with_name("taxonomy.json")


def _pattern(synonyms: dict[str, str]) -> re.Pattern[str]:
    """One alternation, longest synonym first, bounded so 'tee' does not match inside 'steel'."""
    alts = sorted(synonyms, key=len, reverse=True)
    body = "|".join(re.escape(a) for a in alts)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class Vocabulary:
    product_types: dict[str, list[str]]
    colors: dict[str, list[str]]
    materials: dict[str, list[str]]
    sizes: list[str]
    size_words: dict[str, str]
    genders: dict[str, list[str]]
    _lookup: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)
    _patterns: dict[str, re.Pattern[str]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for kind, table in (
            ("type", self.product_types),
            ("color", self.colors),
            ("material", self.materials),
            ("gender", self.genders),
        ):
            lookup = {syn.lower(): canon for canon, syns in table.items() for syn in [canon, *syns]}
            self._lookup[kind] = lookup
            self._patterns[kind] = _pattern(lookup)

    def _find(self, kind: str, text: str) -> list[str]:
        """Canonical terms of one kind in ``text``, in order of first appearance, without repeats."""
        seen: list[str] = []
        for m in self._patterns[kind].finditer(text):
            canon = self._lookup[kind][m.group(0).lower()]
            if canon not in seen:
                seen.append(canon)
        return seen

    def product_types_in(self, text: str) -> list[str]:
        return self._find("type", text)

    def product_type_of(self, name: str) -> str | None:
        """The product type a product *name* denotes: the last type word wins ("Yoga Strap Bag" is a
        bag, "Jumper dress" is a dress), since English heads come last."""
        matches = list(self._patterns["type"].finditer(name))
        if not matches:
            return None
        return self._lookup["type"][matches[-1].group(0).lower()]

    def colors_in(self, text: str) -> list[str]:
        return self._find("color", text)

    def materials_in(self, text: str) -> list[str]:
        return self._find("material", text)

    def genders_in(self, text: str) -> list[str]:
        return self._find("gender", text)

    def canonical_color(self, value: str) -> str | None:
        found = self.colors_in(value)
        return found[0] if found else None

    def canonical_material(self, value: str) -> str | None:
        found = self.materials_in(value)
        return found[0] if found else None

    def canonical_type(self, value: str) -> str | None:
        return self._lookup["type"].get(value.strip().lower()) or self.product_type_of(value)

    def canonical_size(self, value: str) -> str | None:
        v = value.strip().upper()
        if v in self.sizes:
            return v
        return self.size_words.get(value.strip().lower())


@cache
def load_vocabulary(path: Path = TAXONOMY_PATH) -> Vocabulary:
    raw = json.loads(path.read_text())
    return Vocabulary(
        product_types=raw["product_types"],
        colors=raw["colors"],
        materials=raw["materials"],
        sizes=raw["sizes"],
        size_words=raw["size_words"],
        genders=raw["genders"],
    )
