"""Query and listing text for the ranking features: content words, and what distinguishes the
products of *one candidate list* (feature list ``f4``, issue 16).

``terms_of`` normalises a query and a product field the same way (lower-cased, a trailing "s"
stripped, stop words dropped), so a consistent stem matters more than a correct one.

``f2``'s field-wise overlap weighted every query word equally, and the dev ablation showed it cost
NDCG: "jacket" is in every jacket's name, so the feature split lists on words that say nothing about
the need. ``ListStats`` weights each query word by how rare it is *among the names in this list*
(an IDF over the candidate list): in a list of jackets "jacket" weighs 0 and "bomber", "windbreaker"
or "quilted" decide. The same list statistics give the query's head word (the last query word any
listed name carries: "hoodie" in "mens hoodies") and how many listed products share a name (five
identical "Hoodie — $22.67" listings are each other's twins).
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.domain.catalog import Product

MISSING = -1.0
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "get",
        "got",
        "have",
        "i",
        "im",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "need",
        "of",
        "on",
        "or",
        "so",
        "some",
        "something",
        "stuff",
        "that",
        "the",
        "this",
        "to",
        "under",
        "over",
        "with",
        "want",
        "looking",
        "buy",
        "size",
        "sizes",
        "dollars",
        "usd",
        "eur",
        "womens",
        "mens",
        "women",
        "men",
        "woman",
        "man",
        "ladies",
        "guys",
    ]
)
#: A Kibana boilerplate description ("<name> by <brand> ... Available in <colours>") is at most this
#: much longer than the name; it says nothing the other fields do not.
BOILERPLATE_EXTRA = 120


@functools.lru_cache(maxsize=16384)
def ordered_terms(text: str) -> tuple[str, ...]:
    """Content words of ``text`` in order of first appearance (see ``terms_of``); cached, because
    training reads the same descriptions for every list a product appears in."""
    out: dict[str, None] = {}
    for tok in re.findall(r"[a-z]+", text.lower()):
        if len(tok) < 3 or tok in STOPWORDS:
            continue
        if tok.endswith("s") and not tok.endswith("ss") and len(tok) > 3:
            tok = tok[:-1]
        out[tok] = None
    return tuple(out)


def terms_of(text: str) -> frozenset[str]:
    """Content words of ``text``, lower-cased, crudely singularised by a trailing "s" ("hoodies" →
    "hoodie", as "Hoodie" in a name), numbers and stop words dropped."""
    return frozenset(ordered_terms(text))


def overlap(query: frozenset[str], field_terms: frozenset[str]) -> float:
    """Share of the query's content words found in a product field; -1.0 when the query has none."""
    if not query:
        return MISSING
    return len(query & field_terms) / len(query)


def name_key(name: str) -> str:
    """A listing's name as compared for twins: lower-cased, whitespace collapsed."""
    return " ".join(name.lower().split())


def has_real_description(p: Product) -> bool:
    """A description beyond the empty or boilerplate one (judging guideline 6)."""
    desc = " ".join(p.description.split())
    return bool(desc) and not (desc.startswith(p.name) and len(desc) < len(p.name) + BOILERPLATE_EXTRA)


def info_total(p: Product) -> float:
    """What a shopper can decide from, 0-3: a real description, listed sizes, reviews."""
    return float(has_real_description(p)) + float(bool(p.sizes)) + float(p.review_count > 0)


def need_fields(p: Product) -> tuple[frozenset[str], frozenset[str]]:
    """(name + product type, description + attributes) term sets, the two fields ``f4`` matches."""
    attrs = " ".join(
        [*p.category_path, *p.materials, *p.colors] + [v for vals in p.attributes.values() for v in vals]
    )
    return terms_of(f"{p.name} {p.category or ''}"), terms_of(f"{p.description} {attrs}")


@dataclass(frozen=True)
class ListStats:
    """List-level statistics of one query's candidate list (see the module docstring)."""

    name_weights: Mapping[str, float] = field(default_factory=dict)
    text_weights: Mapping[str, float] = field(default_factory=dict)
    head: str | None = None
    twins: Mapping[str, int] = field(default_factory=dict)


def idf_weights(terms: Sequence[str], fields: Sequence[frozenset[str]]) -> dict[str, float]:
    """``log((n + 1) / (df + 1))`` of each query term found in at least one of the ``n`` fields:
    0 for a word every listed product carries, largest for a word only one carries."""
    n = len(fields)
    out = {}
    for t in terms:
        df = sum(t in f for f in fields)
        if df:
            out[t] = math.log((n + 1) / (df + 1))
    return out


def list_stats(
    query: str, fields: Sequence[tuple[frozenset[str], frozenset[str]]], names: Sequence[str]
) -> ListStats:
    """``ListStats`` of a candidate list, from each listed product's ``need_fields`` and name."""
    terms = ordered_terms(query)
    name_fields = [f[0] for f in fields]
    name_w = idf_weights(terms, name_fields)
    return ListStats(
        name_weights=name_w,
        text_weights=idf_weights(terms, [f[1] for f in fields]),
        head=next((t for t in reversed(terms) if t in name_w), None),
        twins=Counter(name_key(n) for n in names),
    )


def listing_of(query: str, products: Sequence[Product]) -> ListStats:
    """``list_stats`` from the products themselves (the specification path)."""
    return list_stats(query, [need_fields(p) for p in products], [p.name for p in products])


def weighted_match(weights: Mapping[str, float], terms: frozenset[str]) -> float:
    """Share of the query's weight (``idf_weights``) a product field carries; -1.0 when no query
    word distinguishes the listed products (total weight 0)."""
    total = sum(weights.values())
    if total <= 0:
        return MISSING
    return sum(w for t, w in weights.items() if t in terms) / total


def head_match(head: str | None, name_terms: frozenset[str]) -> float:
    """1.0 the product's name or type carries the query's head word, 0.0 not, -1.0 no head word."""
    if head is None:
        return MISSING
    return float(head in name_terms)
