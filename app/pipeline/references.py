"""Which product a message points at: by name, by SKU, by position, by attribute among the shown
products, or by pronoun. The result is a catalog id, never a search.

**Names.** ``NameIndex`` is built once per catalog. A product name's words are weighted by how rare
they are among all names (idf), so "Mars" or "HeatTech" identify a product and "jacket" or "black"
do not. A message names a product when it contains at least one *distinctive* name word (in at
most ``DISTINCTIVE_DF`` names, and not a store vocabulary word) exactly or within one or two edits
(difflib ratio ≥ ``FUZZY_RATIO``, for words of five letters or more: "abominible", "messanger").
The best product is the one whose matched words carry the most idf; a tie between products of
different names is ambiguous and resolves to nothing (the shopper is asked, not guessed for).
A hyphenated name word also matches its parts written apart ("Ajax full zip" for "Full-Zip").

**Whole names.** A product's whole name written out in order ("sprite foam yoga brick", "Cobalt
CoolTech Fitness Short", "the Endurance Watch") names it even when every word is common or a store
word, provided the name belongs to that product alone and is not made only of store vocabulary
(``PHRASE_MIN_WORDS`` words or more; a two-word name needs one word outside the store's
vocabulary, and "the" before it or the product's brand beside it: "the Endurance Watch", not
"walking sandals"). The longest whole name in the message wins.

**SKUs.** A parent SKU ("MJ09", "24-mb03") or a variant SKU ("MH01-M-Black") resolves to its product.

**Pointers** need the products on screen (``ConversationState.last_results``): ordinals ("the
second one", "the last one"), an attribute that singles one out ("the blue one", "the cheaper
one"), a name word only one of them has ("show me the hoodie again"), "the other one" (of two,
the one not in focus), or a pronoun ("it", "that one") for the product in focus.

**Versions.** "is there a sweatshirt version too?" names the product of that type from the focus
product's brand whose name shares the most words with it ("Always Forward - Hoodie" →
"Always Forward - Sweatshirt").
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from difflib import SequenceMatcher

from app.domain.catalog import Product
from app.domain.turn import ConversationState
from app.pipeline.extract.word_lists import FUNCTION_WORDS

DISTINCTIVE_DF = 6
PHRASE_MIN_WORDS = 2
FUZZY_RATIO = 0.8
MATCH_MEMO = 50_000  # words remembered by ``NameIndex._match`` before the memo starts over
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SKU = re.compile(r"\b[a-z0-9]{2,4}-?[a-z]{0,3}[0-9]{2,3}(?:-[a-z0-9]+)*\b", re.IGNORECASE)
_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "last": -1,
}  # fmt: skip
_PRONOUN = re.compile(r"\b(it|its|it's|this|that|that one|this one|them|they)\b")
_CHEAP = re.compile(
    r"\b(cheap(er|est)|less expensive|least expensive|lower price[ds]?|lowest price[ds]?|lowest[- ]priced"
    r"|more affordable|most affordable)\b"
)
_DEAR = re.compile(
    r"\b(pricier|priciest|more expensive|most expensive|dearer|dearest|higher[- ]priced|highest[- ]priced)\b"
)
_BEST = re.compile(r"\b(best rated|highest rated|top rated|better rated|best reviewed|highest rating)\b")
_OTHER = re.compile(r"\b(?:the|that) other(?: one)?\b|\bthe (?:other|different) one\b")


#: Words that never name a product, however rare in names ("and" in "Fun and flowery dress").
REFERENCE_WORDS = FUNCTION_WORDS | frozenset(
    [
        "compare",
        "fifth",
        "first",
        "fourth",
        "last",
        "less",
        "more",
        "new",
        "next",
        "other",
        "same",
        "second",
        "show",
        "third",
    ]
)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("'", ""))


def flat_words(text: str) -> list[str]:
    """``words`` with hyphenated words split into their parts ("full-zip" → "full", "zip")."""
    return [part for w in words(text) for part in w.split("-") if part]


def joined(tokens: list[str]) -> set[str]:
    """Adjacent words joined by a hyphen, so "full zip" in a message meets "full-zip" in a name."""
    return {f"{a}-{b}" for a, b in itertools.pairwise(tokens)}


class NameIndex:
    """Product names and SKUs of one catalog, for resolving what a message names."""

    def __init__(self, products: Iterable[Product], stop: Iterable[str] = ()) -> None:
        self.products = list(products)
        self.stop = {w.lower() for w in stop} | REFERENCE_WORDS | set(_ORDINALS)
        self.df: dict[str, int] = defaultdict(int)
        self.name_words: dict[str, set[str]] = {}
        self.brand_words: dict[str, set[str]] = {}
        self.by_word: dict[str, set[str]] = defaultdict(set)
        self.sku: dict[str, str] = {}
        for p in self.products:
            ws = set(words(p.name))
            self.name_words[p.id] = ws
            self.brand_words[p.id] = set(words(p.brand)) - ws if p.brand else set()
            for w in ws:
                self.df[w] += 1
                self.by_word[w].add(p.id)
            for w in self.brand_words[p.id]:
                self.by_word[w].add(p.id)
            self.sku[p.sku.lower()] = p.id
            for v in p.variants:
                self.sku.setdefault(v.sku.lower(), p.id)
        n = max(len(self.products), 1)
        self.idf = {w: math.log(1 + n / df) for w, df in self.df.items()}
        brands = {w for ws in self.brand_words.values() for w in ws}
        self.distinctive = {
            w for w, df in self.df.items() if df <= DISTINCTIVE_DF and w not in self.stop and len(w) >= 3
        } | {w for w in brands if w not in self.stop and len(w) >= 4}
        self._by_initial: dict[str, list[tuple[str, Counter[str]]]] = defaultdict(list)
        for w in self.distinctive:
            if len(w) >= 5:
                self._by_initial[w[0]].append((w, Counter(w)))
        self._matches: dict[str, str | None] = {}
        self._by_id: dict[str, Product] = {}
        for p in self.products:
            self._by_id.setdefault(p.id, p)
        self._by_brand_category: dict[tuple[str | None, str | None], list[Product]] = defaultdict(list)
        for p in self.products:
            self._by_brand_category[(p.brand, p.category)].append(p)
        self.names = {p.id: p.name for p in self.products}
        by_phrase: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for p in self.products:
            by_phrase[tuple(flat_words(p.name))].add(p.id)
        self.phrases = {
            phrase: next(iter(ids))
            for phrase, ids in by_phrase.items()
            if len(ids) == 1 and len(phrase) >= PHRASE_MIN_WORDS and self._telling(phrase)
        }
        self._phrase_lengths = sorted({len(ph) for ph in self.phrases}, reverse=True)

    def _telling(self, phrase: tuple[str, ...]) -> bool:
        """A whole name that can name a product: three words or more, or two with one word that is
        not store vocabulary ("Endurance Watch" yes, "Black Jacket" no)."""
        outside = [w for w in phrase if w not in self.stop and not w.isdigit()]
        return bool(outside) and (len(phrase) >= 3 or any(len(w) >= 3 for w in outside))

    def by_phrase(self, message: str) -> str | None:
        """The product whose whole (unique) name the message writes out; the longest name wins."""
        tokens = flat_words(message)
        for n in self._phrase_lengths:
            for i in range(len(tokens) - n + 1):
                pid = self.phrases.get(tuple(tokens[i : i + n]))
                if pid is None:
                    continue
                if (
                    n >= 3
                    or tokens[i - 1 : i] in (["the"], ["that"], ["this"])
                    or (self.brand_words[pid] & set(tokens))
                ):
                    return pid
        return None

    def by_sku(self, message: str) -> str | None:
        for m in _SKU.finditer(message):
            token = m.group(0).lower()
            parts = token.split("-")
            for k in range(len(parts), 0, -1):  # "mh01-m-black" → "mh01-m-black", "mh01-m", "mh01"
                pid = self.sku.get("-".join(parts[:k]))
                if pid is not None:
                    return pid
        return None

    def matched_words(self, message: str) -> set[str]:
        """The distinctive name words the message's words stand for (exactly or misspelt)."""
        return {m for t in words(message) if (m := self._match(t)) is not None}

    def _match(self, word: str) -> str | None:
        """The distinctive name word ``word`` stands for: itself, or a near spelling. Remembered per
        word (the index never changes; a full memo is dropped rather than grown)."""
        if word in self.distinctive:
            return word
        if len(word) < 5 or word in self.stop or word in self.df:
            return None
        try:
            return self._matches[word]
        except KeyError:
            pass
        best = self._near_spelling(word)
        if len(self._matches) >= MATCH_MEMO:
            self._matches.clear()
        self._matches[word] = best
        return best

    def _near_spelling(self, word: str) -> str | None:
        """The distinctive word of the same initial with the highest difflib ratio above
        ``FUZZY_RATIO`` (the first of equals). A candidate whose letters alone cannot reach the best
        ratio so far is skipped: twice the letters two words share over their summed length (difflib's
        ``quick_ratio``) bounds the ratio from above."""
        best, best_ratio = None, FUZZY_RATIO
        letters = Counter(word)
        for cand, cand_letters in self._by_initial.get(word[0], ()):
            if abs(len(cand) - len(word)) > 2:
                continue
            total = len(cand) + len(word)
            if 2.0 * (letters & cand_letters).total() / total <= best_ratio:
                continue
            ratio = SequenceMatcher(None, word, cand).ratio()
            if ratio > best_ratio:
                best, best_ratio = cand, ratio
        return best

    def by_name(self, message: str) -> str | None:
        """The product the message names, or None (nothing named, or ambiguous).

        A product is named when a distinctive word of its own name matches ("Mars", "Kenobi"), or
        when its brand matches and so does every word of its name ("the Gnomehouse sunglasses" for
        a product named "Sunglasses" by Gnomehouse). Among those, the most idf-weighted matched
        words win, fewer unmatched name words breaking ties."""
        tokens = words(message)
        tokens += sorted(joined(tokens) & self.df.keys())
        hits = {m for t in tokens if (m := self._match(t)) is not None}
        if not hits:
            return self.by_phrase(message)
        present = set(tokens) | hits
        scores: dict[str, float] = {}
        for pid in {pid for w in hits for pid in self.by_word[w]}:
            name, brand = self.name_words[pid], self.brand_words[pid]
            matched = name & present
            own = matched & self.distinctive
            full = matched == name and (bool(brand & present) or len(name - self.stop) >= 2)
            if not own and not full:
                continue
            if len(matched | (brand & present)) < 2 and not self._pointed_at(tokens, own):
                continue  # one ordinary word ("water", "party") names nothing unless "the" points
            idf = sum(self.idf.get(w, 0.0) for w in matched) + (2.0 if brand & present else 0.0)
            scores[pid] = idf - 0.3 * len(name - matched)
        if not scores:
            return self.by_phrase(message)
        top = max(scores.values())
        best = [pid for pid, s in scores.items() if s >= top - 1e-9]
        if len({self.names[pid].lower() for pid in best}) > 1:
            return self.by_phrase(message)
        if len(best) > 1 and not any(self.brand_words[pid] & present for pid in best):
            # one name several products carry ("Formal shirt") names a type, not one of them
            return self.by_phrase(message)
        phrase = self.by_phrase(message)
        if (
            phrase is not None
            and phrase not in best
            and len(self.name_words[phrase]) > len(self.name_words[best[0]] & present)
        ):
            return phrase  # the whole name written out beats a partial match of another name
        return sorted(best)[0]

    def _pointed_at(self, tokens: list[str], own: set[str]) -> bool:
        """'the Hyperion one': a lone name word counts when a determiner points at it."""
        for i, t in enumerate(tokens):
            if (t in own or self._match(t) in own) and any(
                w in ("the", "that", "this") for w in tokens[max(0, i - 2) : i]
            ):
                return True
        return False

    def sibling(self, focus: str, category: str) -> str | None:
        """'is there a sweatshirt version too?': the product of ``category`` from the focus product's
        brand whose name shares the most words with the focus product's name (at least one that is
        not a store word); None when there is none or a tie."""
        base = self._by_id.get(focus)
        if base is None:
            return None
        own = self.name_words[focus] - self.stop
        scored = [
            (len(self.name_words[p.id] & own), p.id)
            for p in self._by_brand_category.get((base.brand, category), ())
            if p.id != focus
        ]
        scored = [x for x in scored if x[0] > 0]
        if not scored:
            return None
        top = max(n for n, _ in scored)
        best = [pid for n, pid in scored if n == top]
        return best[0] if len(best) == 1 else None

    def resolve(self, message: str) -> str | None:
        return self.by_sku(message) or self.by_name(message)


#: The words that point at a product on screen ("the second one", "the cheaper one", "that one",
#: "the blue one", "the other one"): they say which product, not what is asked about it.
_POINTER = re.compile(
    r"\b(?:the|that|this)\s+(?:[a-z0-9-]+\s+){0,2}?ones?\b|\b(?:first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)\b",
    re.IGNORECASE,
)


def without_pointers(message: str) -> str:
    """``message`` with the words that pick a product removed, so a question about the picked
    product is read for what it asks ("does the second one have a pocket?" → "does have a pocket?")."""
    text = message.lower()
    for pattern in (_POINTER, _CHEAP, _DEAR, _BEST, _OTHER):
        text = pattern.sub(" ", text)
    return " ".join(text.split())


def ordinal(message: str) -> int | None:
    """1-based position ("the second one"), -1 for "the last one", None when there is none."""
    for w in words(message):
        if w in _ORDINALS:
            return _ORDINALS[w]
    m = re.search(r"\b(?:number|no\.?|#)\s*([1-9])\b", message.lower())
    return int(m.group(1)) if m else None


def by_position(message: str, shown: list[str]) -> str | None:
    pos = ordinal(message)
    if pos is None or not shown:
        return None
    idx = len(shown) - 1 if pos == -1 else pos - 1
    return shown[idx] if 0 <= idx < len(shown) else None


def by_attribute(message: str, shown: list[Product]) -> str | None:
    """The one shown product an attribute singles out: price, rating, or a colour only it has."""
    text = message.lower()
    if len(shown) < 2 or not re.search(r"\b(?:one|ones|the|that|this)\b", text):
        return None  # a bare "cheaper" is a refinement of the search, not a pick
    if _CHEAP.search(text):
        return min(shown, key=lambda p: p.price).id
    if _DEAR.search(text):
        return max(shown, key=lambda p: p.price).id
    if _BEST.search(text):
        return max(shown, key=lambda p: (p.rating or 0.0, p.review_count)).id
    tokens = set(words(text))
    for colour in sorted({c.lower() for p in shown for c in p.colors}):
        if colour in tokens:
            having = [p for p in shown if colour in {c.lower() for c in p.colors}]
            if len(having) == 1:
                return having[0].id
    return None


def by_other(message: str, state: ConversationState) -> str | None:
    """'the other one': of two products on screen, the one not in focus."""
    shown = state.last_results
    if len(shown) != 2 or not _OTHER.search(message.lower()) or state.focus not in shown:
        return None
    return shown[1] if shown[0] == state.focus else shown[0]


def by_shown_name(message: str, shown: list[Product], stop: Iterable[str] = ()) -> str | None:
    """'the hoodie' when exactly one shown product has that word in its name or type, pointed at
    by a determiner ("show me the hoodie again" among a hoodie and a sweatshirt)."""
    if len(shown) < 2:
        return None
    skip = REFERENCE_WORDS | set(_ORDINALS) | set(stop)
    tokens = flat_words(message)
    pointed = [
        {t, t[:-1] if t.endswith("s") else t + "s"}
        for i, t in enumerate(tokens)
        if t not in skip and len(t) >= 3 and {"the", "that", "this"} & set(tokens[max(0, i - 2) : i])
    ]
    for field in ("name", "category"):  # the name first: a sweatshirt may be filed under hoodies
        own = {p.id: set(flat_words(getattr(p, field) or "")) for p in shown}
        for forms in pointed:
            having = [pid for pid, ws in own.items() if ws & forms]
            if len(having) == 1:
                return having[0]
    return None


def by_pronoun(message: str, state: ConversationState) -> str | None:
    """'it' / 'that one': the product in focus, else the only product on screen."""
    if not _PRONOUN.search(message.lower()):
        return None
    if state.focus:
        return state.focus
    return state.last_results[0] if len(state.last_results) == 1 else None
