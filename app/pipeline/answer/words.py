"""Word matching of the product-QA rule (``qa``): stems and inflections, a product's own name words
(also misspelt or written apart), negation in a span ("not", "no-", "rather than", "-less") and in
the question itself ("chafe free?"), and the words a question word also means (``SYNONYMS``)."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from difflib import SequenceMatcher

from app.domain.catalog import Product
from app.pipeline.answer.lexicon import COLOUR_WORDS, PART_SAME, SYNONYMS
from app.pipeline.references import FUZZY_RATIO, words

#: Words before a word that deny it ("not waterproof", "rather than the baggy variety", "prevents
#: chafing", "anti-odor", "controls stink").
_NEG = re.compile(
    r"\b(?:not|no|non|without|never|free of|rather than|instead of|anti|prevents?|resists?|controls?|"
    r"eliminates?|reduces?)\b"
    r"[\s-]*(?:\w+[\s-]+){0,2}$",
    re.IGNORECASE,
)
#: Words after a word that deny it ("chafe-free", "odor-resistant", "no-chafe").
_NEG_AFTER = re.compile(r"^\w*[\s-]+(?:free|resistant|proof|wicking)\b(?!\s+of\b)", re.IGNORECASE)
#: Words of a question that deny its own word ("chafe free?", "does it stop smelling?"): a span that
#: denies it too agrees with it.
_ASKS_NEGATED_AFTER = frozenset({"free", "resistant", "proof", "wicking"})
_ASKS_NEGATED_BEFORE = frozenset(
    {"no", "non", "without", "anti", "stop", "stops", "prevent", "prevents", "resist", "resists", "block",
     "blocks", "avoid", "reduce", "control", "controls", "eliminate", "wick", "wicks", "wicking"}
)  # fmt: skip


_INFLECTIONS = frozenset({"s", "es", "ed", "ing", "per", "pers", "pered", "ped", "ping"})


def stem(word: str) -> str:
    return word[:5]


def stems(span: str) -> set[str]:
    """Stems of a span's words, hyphenated words also by part ("Pre-shrunk" → pre, shrun)."""
    out = set()
    for w in words(span):
        out.add(stem(w))
        out.update(stem(part) for part in w.split("-") if len(part) > 2)
    return out


def own_words(p: Product) -> set[str]:
    """The product's name, category and brand words (hyphenated ones also by part): a question
    that names the product does not ask about them."""
    text = f"{p.name} {p.category or ''} {p.brand or ''}"
    return set(words(text)) | {part for w in words(text) for part in w.split("-")}


def part_of(word: str) -> str:
    """One name per part: "straps", "band" → "strap"; "sleeves" → "sleeve"."""
    return PART_SAME.get(word, word.rstrip("s"))


def negated(span: str, word: str) -> bool:
    """The span denies ``word`` (where its stem or a ``SYNONYMS`` reading of it stands): "Not
    waterproof.", "Chafe-free seams.", "Antimicrobial, odor-resistant." for "smell"."""
    low = span.lower()
    places = [
        m.span()
        for m in re.finditer(r"[a-z0-9]+", low)
        if stem(m.group()) == stem(word) or root(m.group()) == root(word)
    ]
    also = SYNONYMS.get(word) or SYNONYMS.get(stem(word))
    if also is not None:
        places += [m.span() for m in also.finditer(low)]
    return any(
        _NEG.search(low[:a])
        or _NEG_AFTER.match(low[b:])
        or (low[a:b].startswith("anti") and not word.startswith("anti"))
        for a, b in places
    )


def is_name_word(token: str, name: set[str], tokens: list[str]) -> bool:
    """A word of the product's name, also misspelt ("fundamentle" for "Fundamental") or written
    apart ("day trip" for "Daytrip"): the question names the product with it, it asks nothing."""
    if token in name:
        return True
    i = tokens.index(token)
    if any(a + b in name for a, b in zip(tokens[max(0, i - 1) : i + 1], tokens[i : i + 2], strict=False)):
        return True
    return len(token) >= 5 and any(
        len(n) >= 5
        and abs(len(n) - len(token)) <= 2
        and token.rstrip("s") != n.rstrip("s")  # "sleeves" asks about the sleeves of a "Sleeve" top
        and SequenceMatcher(None, token, n).ratio() >= FUZZY_RATIO
        for n in name
    )


def asks_negated(word: str, tokens: list[str]) -> str | None:
    """The word of the question that denies ``word`` itself, or None: "chafe free" → "free",
    "does it stop smelling" → "stop", "does it wick sweat" → "wick", "chafe-free" → "free"."""
    for suffix in ("free", "resistant", "proof", "wicking"):
        if word.endswith("-" + suffix):
            return suffix
    i = tokens.index(word)
    after = [t for t in tokens[i + 1 : i + 2] if t in _ASKS_NEGATED_AFTER]
    before = [t for t in tokens[max(0, i - 2) : i] if t in _ASKS_NEGATED_BEFORE]
    found = after or before
    return found[0] if found else None


def privative(word: str, span: str, asked: AbstractSet[str] = frozenset()) -> bool:
    """The span has the word with "-less" ("sleeveless" for "sleeves", "seamless" for "seams"): it
    says the product has none — unless the question asks for the "-less" word itself ("tags at the
    neck drive me nuts - is it tagless?")."""
    if word.endswith("less"):
        return False
    for t in words(span):
        if t.endswith("less") and len(t) > 6 and t not in asked:
            base = t[:-4]
            if stem(base) == stem(word) or root(base) == root(word):
                return True
    return False


def root(word: str) -> str:
    """A word without its inflection ("lined", "lining" → "lin"), for words the 5-letter stem
    misses; three letters at least, else the word itself."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)].rstrip("e")
    return word.rstrip("e") if len(word) > 3 else word


def hit(word: str, span: str) -> bool:
    """``word`` is in ``span`` by stem, or a short word by an inflection ("zip" → "zipper") — but
    not inside a compound ("water" is not "waterproof", "sleeve" is not "sleeveless"), and "light"
    or "dark" before a colour is the colour ("Light blue pants." is not light)."""
    if "-" in word and word in words(span):
        return True
    also = SYNONYMS.get(word) or SYNONYMS.get(stem(word))
    if also is not None and also.search(span):
        return True  # "rain" in "water-repellent exterior"
    if privative(word, span):
        return True  # "sleeveless" answers "sleeves?" (with a no)
    tokens = [t for w in words(span) for t in w.split("-") if t]  # "water-resistant" → water, resistant
    for i, w in enumerate(tokens):
        short, long_ = sorted((word, w), key=len)
        if long_.startswith(short) and len(long_) - len(short) >= 4 and len(short) >= 4:
            continue  # a compound of the word, not the word
        if w in ("light", "dark") and tokens[i + 1 : i + 2] and tokens[i + 1] in COLOUR_WORDS:
            continue
        if (
            stem(w) == stem(word)
            or root(w) == root(word)
            or (len(word) <= 4 and w.startswith(word) and w[len(word) :] in _INFLECTIONS)
        ):
            return True
    return False
