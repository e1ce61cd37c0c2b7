"""Where the store's own words occur in a shopper message: product types, colours, materials,
genders and brands, with their character spans, plus a conservative typo corrector.

``Vocabulary`` answers "which canonical terms are in this text"; the extractor also needs *where*
(to drop them from the free-text query, to tell "jersey dress" from the material jersey, to see
"not black") so this module builds span-returning patterns from the same ``taxonomy.json``
tables. Matching rules are the vocabulary's: case-insensitive, longest synonym first, bounded so
"tee" never matches inside "steel".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.catalog.vocabulary import Vocabulary
from app.pipeline.extract.word_lists import FILLER, ORDINALS, PROTECTED, WORD_NUMBERS

KINDS = ("type", "color", "material", "gender")

#: Brand words too ordinary to stand alone for their brand ("champion", "crystal").
_ALIAS_DENY = frozenset({"champion", "crystal", "low", "tide", "media", "active", "curvy", "mama", "mom"})

#: Non-catalog words the corrector may also restore ("cheeper" → "cheaper").
_KEYWORDS = frozenset({"cheaper", "checkout", "expensive", "compare", "difference", "between"})

_NEGATION = re.compile(r"(?:\bnot|\bno|\bexcept|\bwithout|\bbut|\bnon|\bother than)\s+(?:in\s+|a\s+)?$")

#: Contexts in which a product-type word is not a product ("top rated", "short sleeve", "2 pack").
_TYPE_GUARDS: dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]] = {
    # word: (pattern the text *before* must not match, pattern the text *after* must not match)
    "top": (
        re.compile(r"\bon\s+(?:the\s+)?$"),
        re.compile(r"^\s*(?:rated|quality|notch|brands?|sellers?|picks?|choice|of|\d)"),
    ),
    "tops": (None, re.compile(r"^\s*(?:rated|quality|notch|brands?|sellers?|picks?)")),
    "short": (
        re.compile(r"\b(?:too|bit|little|very|so|quite|kinda|run|runs)\s+$"),
        re.compile(r"^\s*-?\s*sleeve"),
    ),
    "pack": (re.compile(r"\d\s*-?\s*$"), re.compile(r"^\s+of\b")),
    "watch": (re.compile(r"\b(?:i|to|you|we|they|can|will|gonna|and)\s+$"), None),
    "ring": (None, re.compile(r"^\s+(?:me|you|us)\b")),
}


@dataclass(frozen=True)
class Hit:
    """One vocabulary term found in the (normalised) message."""

    canon: str
    start: int
    end: int

    def inside(self, other: Hit) -> bool:
        return other.start <= self.start and self.end <= other.end and self != other


def _alternation(phrases: Iterable[str]) -> re.Pattern[str]:
    alts = sorted({p.lower() for p in phrases if p}, key=len, reverse=True)
    body = "|".join(re.escape(a) for a in alts)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])")


def _osa(a: str, b: str) -> int:
    """Optimal-string-alignment distance: edits, counting a swap of neighbours ("jakcet") as one."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _budget(word: str) -> int:
    """Edits a word of this length may carry: none below five letters, two from nine."""
    return 0 if len(word) < 5 else (1 if len(word) < 9 else 2)


def _plausible_slip(typed: str, target: str) -> bool:
    """An extra letter in a short word is a typo only when it doubles its neighbour ("hoodiee",
    "jeanss"); otherwise the typed word is usually another word ("plants" is not "pants")."""
    if len(typed) <= len(target) or len(typed) >= 9:
        return True
    return any(
        typed[i] == typed[i - 1] and typed[:i] + typed[i + 1 :] == target for i in range(1, len(typed))
    )


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


class Lexicon:
    """Span-level matching of the store vocabulary and brand list over normalised text."""

    def __init__(self, vocab: Vocabulary, brands: Sequence[str]) -> None:
        tables = {
            "type": vocab.product_types,
            "color": vocab.colors,
            "material": vocab.materials,
            "gender": vocab.genders,
        }
        self._lookup: dict[str, dict[str, str]] = {}
        self._patterns: dict[str, re.Pattern[str]] = {}
        for kind, table in tables.items():
            lookup = {syn.lower(): canon for canon, syns in table.items() for syn in [canon, *syns]}
            self._lookup[kind] = lookup
            self._patterns[kind] = _alternation(lookup)
        self._brands = self._brand_table([b.strip() for b in brands if b and b.strip()])
        self._brand_pattern = _alternation(self._brands) if self._brands else None
        self._build_corrector(vocab)

    @staticmethod
    def _brand_table(brands: list[str]) -> dict[str, str]:
        table = {b.lower(): b for b in brands}
        by_first: dict[str, list[str]] = {}
        for b in brands:
            by_first.setdefault(b.split()[0].lower(), []).append(b)
        for first, group in by_first.items():
            if len(first) >= 7 and first not in _ALIAS_DENY and first not in table:
                table[first] = min(group, key=len)
        return table

    # ----------------------------------------------------------------- finding terms
    def find(self, kind: str, text: str) -> list[Hit]:
        """Every ``kind`` term in ``text`` with its span, in order; type words in a non-product
        context ("top rated", "2 pack") are skipped."""
        hits: list[Hit] = []
        for m in self._patterns[kind].finditer(text):
            word = m.group(0)
            if kind == "type" and word in _TYPE_GUARDS:
                before, after = _TYPE_GUARDS[word]
                if (before and before.search(text[: m.start()])) or (after and after.search(text[m.end() :])):
                    continue
            hits.append(Hit(self._lookup[kind][word], m.start(), m.end()))
        return hits

    def brand(self, text: str) -> Hit | None:
        """The first brand named in ``text`` (longest spelling wins: "tigress enterprises curvy")."""
        if self._brand_pattern is None:
            return None
        m = self._brand_pattern.search(text)
        return Hit(self._brands[m.group(0)], m.start(), m.end()) if m else None

    @staticmethod
    def negated(text: str, hit: Hit) -> bool:
        """True for "not black", "no leather", "anything but red", "other than wool"."""
        return bool(_NEGATION.search(text[max(0, hit.start - 20) : hit.start]))

    # ----------------------------------------------------------------- typo correction
    def _build_corrector(self, vocab: Vocabulary) -> None:
        targets: set[str] = set(_KEYWORDS)
        known: set[str] = set(PROTECTED) | set(FILLER) | set(ORDINALS) | set(WORD_NUMBERS)
        for lookup in self._lookup.values():
            for phrase in lookup:
                known.update(re.findall(r"[a-z]+", phrase))
                if phrase.isalpha() and len(phrase) >= 5:
                    # only whole one-word terms ("light" alone is no colour) of five letters or
                    # more: a four-letter target is one edit from too many other words
                    # ("tires" → "ties", "tents" → "tees", "belly" → "bell")
                    targets.add(phrase)
        for word in vocab.size_words:
            known.update(word.split())
        for name in self._brands:
            for tok in name.split():
                known.add(tok)
                if len(tok) >= 7 and tok not in _ALIAS_DENY:
                    targets.add(tok)
        self._known = frozenset(known | targets)
        self._index: dict[str, set[str]] = {}
        for t in targets:
            for variant in _deletes(t, max(1, _budget(t))):
                self._index.setdefault(variant, set()).add(t)
        self._cache: dict[str, str] = {}

    def correct_word(self, word: str) -> str:
        """The catalog word ``word`` is a likely misspelling of, or ``word`` itself.

        Only words of five letters or more that are not themselves known are touched; the closest
        target within one edit (two from nine letters) wins, and a tie between different targets
        leaves the word alone rather than guess."""
        if word in self._cache:
            return self._cache[word]
        fixed = word
        budget = _budget(word)
        if budget and word.isalpha() and word not in self._known:
            found: dict[str, int] = {}
            for variant in _deletes(word, budget):
                for t in self._index.get(variant, ()):
                    if t not in found:
                        d = _osa(word, t)
                        if d <= min(budget, max(1, _budget(t))) and _plausible_slip(word, t):
                            found[t] = d
            if found:
                best = min(found.values())
                ties = [t for t, d in found.items() if d == best]
                same_start = [t for t in ties if t[0] == word[0]] or ties
                if len({self._canon_of(t) for t in same_start}) == 1:
                    fixed = sorted(same_start)[0]
        self._cache[word] = fixed
        return fixed

    def _canon_of(self, word: str) -> str:
        for kind in KINDS:
            if word in self._lookup[kind]:
                return f"{kind}:{self._lookup[kind][word]}"
        return word

    def correct(self, text: str) -> str:
        return re.sub(r"[a-z]+", lambda m: self.correct_word(m.group(0)), text)
