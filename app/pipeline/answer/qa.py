"""Answer a question about one product from that product's own text, or say it doesn't say.

**Evidence.** A product's text is its description split into sentences, plus one fact per
attribute value (materials, colours, sizes, pattern, climate, style, features, ...). Nothing else:
no other product, no general knowledge. Every ``yes``/``no`` carries the verbatim span it rests on.

**Decision rule** (rules backend), in order:

1. *Variant questions* — a catalog colour or size named in the question: ``yes`` when the product
   has it, ``no`` when the product lists its colours/sizes and that one is not among them
   (evidence: the list), ``unknown`` when the product lists none.
2. *Feature questions* — the question's content words (stop words, the product's name words and
   question verbs removed) are matched against each evidence span by stem (first five letters).
   The span with the most matched stems wins (ties: the shorter span). If it matches at least one
   stem, the answer is ``yes``, or ``no`` when the matched word is negated in the span ("not",
   "no", "non-", "without"), or when the span states an opposite listed in ``OPPOSITES``
   ("snug" for "loose").
3. Otherwise ``unknown``: a feature the text does not mention is not a ``no``.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from app.domain.catalog import Product
from app.pipeline.references import words

STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "it",
        "its",
        "it's",
        "this",
        "that",
        "these",
        "those",
        "does",
        "do",
        "did",
        "doe",
        "can",
        "could",
        "would",
        "will",
        "should",
        "has",
        "have",
        "had",
        "be",
        "been",
        "being",
        "are",
        "was",
        "were",
        "there",
        "their",
        "they",
        "them",
        "of",
        "for",
        "with",
        "in",
        "on",
        "at",
        "to",
        "by",
        "from",
        "and",
        "or",
        "but",
        "if",
        "as",
        "any",
        "some",
        "me",
        "my",
        "i",
        "you",
        "your",
        "we",
        "our",
        "us",
        "what",
        "which",
        "who",
        "how",
        "much",
        "many",
        "very",
        "really",
        "so",
        "too",
        "also",
        "just",
        "come",
        "comes",
        "coming",
        "available",
        "offer",
        "offered",
        "made",
        "make",
        "one",
        "ones",
        "item",
        "product",
        "thing",
        "please",
        "tell",
        "know",
        "like",
        "about",
        "good",
        "ok",
        "okay",
        "get",
        "got",
        "go",
        "use",
        "used",
        "using",
        "wear",
        "worn",
        "want",
        "need",
        "buy",
        "fit",
        "fits",
        "actually",
        "kind",
        "sort",
        "type",
        "bit",
        "lot",
        "something",
        "anything",
    ]
)
OPPOSITES: dict[str, tuple[str, ...]] = {
    "loose": ("snug", "slim", "fitted", "tight", "compression", "form-fitting"),
    "tight": ("loose", "relaxed", "roomy"),
    "heavy": ("light", "lightweight"),
    "heavyweight": ("light", "lightweight"),
    "rubber": ("leather",),
    "plastic": ("leather", "metal", "steel"),
    "long": ("short", "cropped"),
    "short": ("long", "full-length"),
    "included": ("sold separately", "not included"),
}
_NEG = re.compile(r"\b(?:not|no|non|without|never|free of)\b[\s-]*(?:\w+[\s-]+){0,2}$", re.IGNORECASE)
_SENT = re.compile(r"(?<=[.!?•;])\s+|\n+|\s*•\s*")


class Answer(BaseModel):
    verdict: str  # "yes" | "no" | "unknown"
    evidence: str | None = None


def stem(word: str) -> str:
    return word[:5]


def evidence_spans(p: Product) -> list[str]:
    """The product's own text, as the spans an answer may quote."""
    spans = [s.strip() for s in _SENT.split(p.description or "") if len(s.strip()) > 2]
    spans += p.materials
    for values in p.attributes.values():
        spans += values
    return [s for s in dict.fromkeys(spans) if s]


def _variant(question: set[str], p: Product, colours: set[str], sizes: set[str]) -> Answer | None:
    asked_colours = [c for c in colours if c in question]
    if asked_colours:
        have = {c.lower(): c for c in p.colors}
        if not have:
            return Answer(verdict="unknown")
        hit = next((have[c] for c in asked_colours if c in have), None)
        return (
            Answer(verdict="yes", evidence=hit) if hit else Answer(verdict="no", evidence=", ".join(p.colors))
        )
    asked_sizes = [s for s in sizes if s in question]
    if asked_sizes:
        have = {s.lower(): s for s in p.sizes}
        if not have:
            return Answer(verdict="unknown")
        hit = next((have[s] for s in asked_sizes if s in have), None)
        return (
            Answer(verdict="yes", evidence=hit) if hit else Answer(verdict="no", evidence=", ".join(p.sizes))
        )
    return None


def _negated(span: str, word_stem: str) -> bool:
    low = span.lower()
    return any(_NEG.search(low[: m.start()]) for m in re.finditer(r"\b" + re.escape(word_stem), low))


def answer(question: str, p: Product, colours: set[str], sizes: set[str]) -> Answer:
    """The decision rule of the module docstring; ``colours``/``sizes`` are the store's words."""
    tokens = words(question)
    asked = set(tokens)
    found = _variant(asked, p, colours, {s.lower() for s in sizes})
    if found is not None:
        return found
    name = set(words(p.name)) | set(words(p.category or ""))
    content = [t for t in tokens if t not in STOP and t not in name and len(t) > 2]
    if not content:
        return Answer(verdict="unknown")
    stems = {stem(t) for t in content}
    best: tuple[int, int, str] | None = None
    for span in evidence_spans(p):
        span_stems = {stem(w) for w in words(span)}
        n = len(stems & span_stems)
        if n and (best is None or (n, -len(span)) > (best[0], best[1])):
            best = (n, -len(span), span)
    if best is not None:
        span = best[2]
        matched = [t for t in content if stem(t) in {stem(w) for w in words(span)}]
        if any(_negated(span, stem(t)) for t in matched):
            return Answer(verdict="no", evidence=span)
        return Answer(verdict="yes", evidence=span)
    for t in content:
        for opposite in OPPOSITES.get(t, ()):
            for span in evidence_spans(p):
                if re.search(r"\b" + re.escape(opposite) + r"\b", span.lower()):
                    return Answer(verdict="no", evidence=span)
    return Answer(verdict="unknown")
