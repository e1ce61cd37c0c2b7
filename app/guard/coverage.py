"""Product-type and lexical coverage, derived from the catalog itself.

The guard needs to know which product types the store carries and which words its catalog uses,
without anybody writing down what the store does *not* sell. Both come from the products:

* **type words**: the normalised category of every product, the last word of its name (English
  product names end in their type: "Radiant *Tee*", "Jumper - dark blue" is cut at the dash) and
  the last word of every category-path element ("Women > Tops > *Hoodies & Sweatshirts*");
* **lexicon**: every word of names, categories, category paths, colours, materials and attribute
  values. Descriptions are left out on purpose: "machine washable" must not make "espresso
  machine" look covered.

Words are compared in a light singular form (``base``: "tires" → "tire", "dresses" → "dress"), not a
Snowball stem, so two different words never meet ("tire"/"tie", "espresso"/"espadrille"). A closed
compound whose last part is a type word naming ≥ 2 products is that type ("sundress" → dress,
"rainjacket" → jacket, "snowboots" → boot); the part before it must be a word of its own (≥ 3
letters), so "what" is not a "hat".

The **head of a type phrase** is its last word, or the catalog type that trailing colour or material
words follow ("hoodie black" → hoodie). A phrase whose head is not a type but which uses a type word
before it ("*watch* battery", "*shoe* rack", "*bag* of lemons") asks for something else that
involves the store's type (``type_as_modifier``).

``ProductTypes`` is built once per catalog version at build or start-up and stored as a versioned
JSON artifact next to the guard calibration (``<var_dir>/calibration/coverage.json``); a different
catalog produces different types, nothing here is specific to the demo store.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from app.domain.catalog import Product

SCHEMA = 2
#: The shortest type word a compound may end in, and the shortest part before it.
COMPOUND_MIN = 3
_ALPHA = re.compile(r"[a-z]+")
#: Articles and prepositions: never a head, and a colour word after one is a noun ("bag of lemons").
FUNCTION_WORDS = frozenset(["a", "an", "the", "of", "for", "with", "in", "on", "to", "and", "or", "by"])


def base(word: str) -> str:
    """A light singular: strips plural endings only ("boxes" → "box", "tires" → "tire")."""
    w = word.lower()
    if len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def words(text: str) -> list[str]:
    return [base(w) for w in _ALPHA.findall(text.lower()) if len(w) >= 2]


def _name_head(name: str) -> str | None:
    core = re.split(r"\s[-–|]\s|\(", name)[0]
    found = words(core)
    return found[-1] if found else None


class ProductTypes(BaseModel):
    """The artifact: the catalog's product-type words and its lexicon (both in ``base`` form)."""

    schema_version: int = SCHEMA
    version: str
    catalog_version: str
    types: dict[str, int]  # type word → number of products it names
    lexicon: list[str]
    modifiers: list[str] = []  # colour and material words of the products (never types)

    @classmethod
    def from_products(cls, products: Iterable[Product], catalog_version: str) -> ProductTypes:
        types: dict[str, int] = {}
        lexicon: set[str] = set()
        modifiers: set[str] = set()
        for p in products:
            heads = set()
            if p.category:
                heads.update(words(p.category))
            head = _name_head(p.name)
            if head:
                heads.add(head)
            for part in p.category_path:
                found = words(part)
                if found:
                    heads.add(found[-1])
            for h in heads:
                types[h] = types.get(h, 0) + 1
            lexicon.update(heads)
            for text in (p.name, p.category or "", *p.category_path, *p.colors, *p.materials):
                lexicon.update(words(text))
            for values in p.attributes.values():
                for v in values:
                    lexicon.update(words(v))
            for text in (*p.colors, *p.materials):
                modifiers.update(words(text))
        mods = sorted(modifiers - set(types))
        body = json.dumps([sorted(types.items()), sorted(lexicon), mods]).encode()
        version = f"types-{hashlib.sha256(body).hexdigest()[:12]}"
        return cls(
            version=version,
            catalog_version=catalog_version,
            types=types,
            lexicon=sorted(lexicon),
            modifiers=mods,
        )

    def type_word(self, word: str) -> str | None:
        """The catalog type ``word`` names: itself in any form, or the type word a closed compound
        ends in ("sundresses" → dress); ``None`` when it names none."""
        w = base(word)
        if w in self.types:
            return w
        for i in range(COMPOUND_MIN, len(w) - COMPOUND_MIN + 1):
            part = w[i:]
            if self.types.get(part, 0) >= 2:
                return part
        return None

    def carries(self, word: str) -> bool:
        """True when ``word`` (any form, or a closed compound ending in one) names a catalog type."""
        return self.type_word(word) is not None

    def knows(self, word: str) -> bool:
        return base(word) in self._lexicon_set or self.type_word(word) is not None

    def phrase_head(self, phrase: str | None) -> str | None:
        """The last word of ``phrase``, or the catalog type that trailing colour and material words
        follow ("hoodie black" → hoodie). Otherwise a trailing colour word is the noun itself ("ice
        *cream*", "bag of *lemons*"); "shoe polish brown" keeps "brown", and "shoe" still only
        modifies it."""
        found = words(phrase or "")
        if not found:
            return None
        mods = self._modifier_set
        rest = found
        while len(rest) > 1 and rest[-1] in mods and rest[-2] not in FUNCTION_WORDS:
            rest = rest[:-1]
        return rest[-1] if self.carries(rest[-1]) else found[-1]

    def type_as_modifier(self, phrase: str | None) -> bool:
        """A type word of the catalog modifies a head that names no type: "watch battery", "shoe
        rack", "bag of lemons" ask for something else that involves the store's type."""
        head = self.phrase_head(phrase)
        if head is None or self.carries(head):
            return False
        found = words(phrase or "")
        before = found[: len(found) - 1 - found[::-1].index(head)]
        return any(w in self.types and w not in FUNCTION_WORDS for w in before)

    @property
    def _modifier_set(self) -> frozenset[str]:
        cached = self.__dict__.get("_mods")
        if cached is None:
            cached = frozenset(self.modifiers)
            self.__dict__["_mods"] = cached
        return cached

    @property
    def _lexicon_set(self) -> frozenset[str]:
        cached = self.__dict__.get("_lex")
        if cached is None:
            cached = frozenset(self.lexicon)
            self.__dict__["_lex"] = cached
        return cached

    def type_coverage(self, head: str | None, category: str | None) -> float:
        """1 when the request's head word names a product type of the catalog (as the catalog's own
        names and paths spell it); 0.5 when there is no head of its own (a refinement, "in black"),
        the head is a catalog word but not a type, or only a vocabulary synonym maps it to a store
        category ("skates" → fitness equipment, though no product is a skate); 0 when the catalog
        never uses the word."""
        if head is not None and self.carries(head):
            return 1.0
        if head is None or category is not None or self.knows(head):
            return 0.5  # a vocabulary synonym of a store category the catalog never names
        return 0.0

    def lexical_coverage(self, text: str) -> float:
        """Share of the content words of ``text`` the catalog uses (1 when there are none)."""
        found = [w for w in words(text) if len(w) >= 3]
        if not found:
            return 1.0
        return sum(self.knows(w) for w in found) / len(found)


def coverage_path(var_dir: Path) -> Path:
    return var_dir / "calibration" / "coverage.json"


def load_or_build(path: Path, products: Iterable[Product], catalog_version: str) -> ProductTypes:
    """The stored artifact when it was built from this catalog version, else a fresh one (saved)."""
    try:
        stored = ProductTypes.model_validate_json(path.read_text())
        if stored.schema_version == SCHEMA and stored.catalog_version == catalog_version:
            return stored
    except (OSError, ValueError):
        pass
    built = ProductTypes.from_products(products, catalog_version)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(built.model_dump_json())
        tmp.replace(path)
    except OSError:
        pass
    return built
