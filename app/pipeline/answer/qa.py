"""Answer a question about one product from that product's own text, or say it doesn't say.

**Evidence.** A product's text is its description split into sentences, plus one fact per
attribute value (materials, colours, sizes, pattern, climate, style, features, ...). Nothing else:
no other product, no general knowledge. Every ``yes``/``no`` carries the verbatim span it rests on.

**The question** is read for what it asks: the words that pick the product on screen ("the second
one", "the cheaper one", "that one") are dropped (``references.without_pointers``), so are the
product's own name words, also misspelt or written apart ("stark fundamentle hoodie", "day trip"),
and "take the pads out" asks whether they are removable.

**Decision rule** (rules backend), in order:

1. *Variant questions* — a catalog colour or size named in the question: ``yes`` when the product
   has it, ``no`` when the product lists its colours/sizes and that one is not among them
   (evidence: the list), ``unknown`` when the product lists none.
   *Measures* ("is the inseam 7 inches?") compare numbers in the same unit, on a span that names
   what is measured (a span sharing a content word with the question: "5\" inseam."). *Materials*:
   ``yes`` on a span naming the material; ``no`` only on a span that states the whole composition
   ("100% polyester") or the same part in another material — never from a mere mention of another
   material; the span about the part asked ("is the buckle metal?" → "Plastic cinch buckle.") decides
   first. *Open questions* the text states an answer to ("what's it made of?" → the composition;
   "how long is it?", "what's the inseam?" → the span measuring that part or dimension, or the only
   measured span) are ``yes`` quoting it (``facts``).
2. *Feature questions, lexical arm* — the question's content words (stop words, discourse filler,
   the product's name words and question verbs removed) are matched against each evidence span by
   stem (first five letters; a word of four letters or fewer also by inflection: "zip" →
   "zipper"). The span with the most matched words wins; ties are broken by the
   MiniLM arm (the span nearest in meaning), else the shorter span. If it matches at least one
   stem, or by what the question word also means in product text (``lexicon.SYNONYMS``: "rain" →
   "water-repellent", "smell" → "odor"), the answer is ``yes``, or ``no`` when the matched word is
   negated in the span ("not", "no", "non-", "without", "rather than", or "-less": "sleeveless" for
   "sleeves?") — unless the question negates it too ("chafe free?" on "No-chafe seams." is
   ``yes``) — or when it states the opposite of an unmatched word ("Short sleeves." for "are the
   sleeves long?"; "Relaxed fit." for "slim?"). A span matching only a *part* ("Raglan sleeves.") while
   the asked feature is unmatched ("thumbholes") answers ``unknown``, so does a span that misses
   a part the question asks about ("side pockets" on "Grooved sides."; an attribute value is
   about the part its attribute names: "shoulder" of ``strap``), and a span matching
   only a word that needs its head ("free", "resistant": "chafe-free" is not "wrinkle free").
   A climate value ("warm": for warm weather) answers only a question about that weather ("for
   warm weather", "good for rain" → "rainy"), and a
   care instruction ("Machine wash/dry.") only a question about washing. With no matching span, an
   opposite listed in ``OPPOSITES`` ("snug" for "loose") is a ``no`` when stated about the same
   part ("Short sleeves." does not answer "is it long?").
3. *Feature questions, MiniLM arm* (``semantic.SemanticArm``) — when no span shares a word with
   the question, the description clause nearest in meaning answers ``yes`` if it is clearly the
   one (cosine and margin thresholds of ``semantic``) and carries no negation; it never says ``no``,
   never quotes a span rule 2 may not quote for the question (a climate value, a care line), and
   never answers a question that names a material (a material is stated or not said).
4. Otherwise ``unknown``: a feature the text does not mention is not a ``no``.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from app.domain.catalog import Product
from app.pipeline.answer.facts import (
    Answer,
    material,
    measure,
    names_material,
    open_question,
    phrase_opposite,
)
from app.pipeline.answer.lexicon import DEPENDENT, EXTRA_MATERIALS, OPPOSITES, PARTS, STOP
from app.pipeline.answer.semantic import SemanticArm
from app.pipeline.answer.words import (
    asks_negated,
    hit,
    is_name_word,
    negated,
    own_words,
    part_of,
    privative,
    root,
    stem,
)
from app.pipeline.references import without_pointers, words

__all__ = ["Answer", "answer", "evidence_spans", "own_words", "stem", "variant_answer"]

_TAKE_OUT = re.compile(
    r"\b(?:take|pull)\s+(?:(?:the|my|it|them|those|these)\s+)?(\w+\s+)?(?:out|off)\b", re.I
)
_CARE = re.compile(r"\b(?:machine|hand) wash|\b(?:line|tumble|air|hang to|flat to) dry\b|\bdry clean", re.I)
_CARE_QUESTION = re.compile(r"\b(?:wash\w*|clean\w*|care|laundry|laundered|dryer|tumble|iron\w*)\b")
_NEG_WORD = re.compile(r"\b(?:not|no|non|without|never)\b", re.IGNORECASE)
_SENT = re.compile(r"(?<=[.!?•;])\s+|\n+|\s*•\s*")


def evidence_spans(p: Product) -> list[str]:
    """The product's own text, as the spans an answer may quote."""
    spans = [s.strip() for s in _SENT.split(p.description or "") if len(s.strip()) > 2]
    spans += p.materials
    for values in p.attributes.values():
        spans += values
    return [s for s in dict.fromkeys(spans) if s]


def _variant(question: set[str], p: Product, colours: set[str], sizes: set[str]) -> Answer | None:
    for vocabulary, offered in ((colours, p.colors), (sizes, p.sizes)):
        asked = [v for v in vocabulary if v in question]
        if asked:
            return _offered(asked, offered)
    return None


def _offered(asked: list[str], offered: list[str]) -> Answer:
    """Whether the product comes in one of the asked colours (or sizes): yes quoting the one it has,
    no quoting what it has, unknown when it lists none."""
    have = {v.lower(): v for v in offered}
    if not have:
        return Answer(verdict="unknown")
    hit = next((have[v] for v in asked if v in have), None)
    return Answer(verdict="yes", evidence=hit) if hit else Answer(verdict="no", evidence=", ".join(offered))


def variant_answer(question: str, p: Product, colours: set[str], sizes: set[str]) -> Answer | None:
    """Rule 1 alone: whether the product comes in the colour/size the question names (None when it
    names none)."""
    return _variant(set(words(question)), p, colours, {s.lower() for s in sizes})


def _other_part(span: str, asked: set[str]) -> bool:
    """The span is about a part the question does not name ("Short sleeves." says nothing about
    whether the garment is long)."""
    parts = {stem(t) for w in words(span) for t in w.split("-") if t in PARTS}  # "short-sleeve"
    return bool(parts - {stem(w) for w in asked})


def _describes_other_part(span: str, matched: list[str], asked: set[str]) -> bool:
    """A matched word that describes a part the question does not name, right before it: "long" in
    "Long-Sleeve.", "looser" in "looser sleeves", "organizational" in "organizational pockets" (not
    "warm" in "Warm fleece lining."). A word the question asks as it is, and that is no quality
    (no listed opposite), is what the part is for: "phone" in "Cell phone pocket." answers it."""
    tokens = [t for w in words(span) for t in w.split("-") if t]
    asked_parts = {stem(w) for w in asked}
    qualities = {w for k, vs in OPPOSITES.items() for w in (k, *vs)}

    def describes(t: str, m: str) -> bool:
        return stem(t) == stem(m) and (m in qualities or root(t) != root(m))

    for i, t in enumerate(tokens):
        if any(describes(t, m) for m in matched):
            after = tokens[i + 1 : i + 2]
            if any(a in PARTS and stem(a) not in asked_parts for a in after):
                return True
    return False


def answer(
    question: str,
    p: Product,
    colours: set[str],
    sizes: set[str],
    materials: AbstractSet[str] = frozenset(),
    semantic: SemanticArm | None = None,
) -> Answer:
    """The decision rule of the module docstring; ``colours``/``sizes``/``materials`` are the
    store's words, ``semantic`` the MiniLM arm (without it, rules 2 and 4 only)."""
    question = without_pointers(question)  # "does the second one have …": the pick is not the question
    question = _TAKE_OUT.sub(
        lambda m: f" {m.group(1) or ''} removable ", question
    )  # "can I take the pads out?" asks if they are removable
    tokens = words(question)
    asked = set(tokens)
    found = _variant(asked, p, colours, {s.lower() for s in sizes})
    if found is not None:
        return found
    spans = evidence_spans(p)
    every = {*materials, *EXTRA_MATERIALS}
    found = (
        measure(question, spans, p.name)
        or material(question, p, every, spans)
        or phrase_opposite(question, spans)
        or open_question(question, p, every, spans)
    )
    if found is not None:
        return found
    name = own_words(p)
    content = [t for t in tokens if t not in STOP and not is_name_word(t, name, tokens) and len(t) > 2]
    if not content:
        return Answer(verdict="unknown")
    eligible = _weather_aware(question, spans, p)
    span = _lexical(content, eligible, semantic)
    if span is not None:
        matched = [t for t in content if hit(t, span)]
        unmatched = [t for t in content if t not in matched]
        denied = {t for t in matched if negated(span, t) or privative(t, span, asked)}
        deniers = {t: d for t in matched if (d := asks_negated(t, tokens)) is not None}
        if deniers:  # "chafe free?": "No-chafe seams." agrees; "Chafe guard." does not say
            agree = all(t in denied or hit(d, span) for t, d in deniers.items())  # "wick sweat": "wicks …"
            return Answer(verdict="yes", evidence=span) if agree else Answer(verdict="unknown")
        if denied or any(
            re.search(r"\b" + re.escape(o) + r"\b", span.lower())
            for t in unmatched
            for o in OPPOSITES.get(t, ())
        ):
            return Answer(
                verdict="no", evidence=span
            )  # "not waterproof"; "Short sleeves." for "long sleeves?"; "sleeveless" for "sleeves?"
        if all(t in DEPENDENT for t in matched) and unmatched:
            return Answer(verdict="unknown")  # "chafe-free seams" says nothing about wrinkle-free
        key = _attribute_key(span, p)  # a value of the "strap" attribute is about the strap
        unmatched = [t for t in unmatched if not (key and part_of(t) == part_of(key))]
        if any(t in PARTS for t in unmatched):
            return Answer(verdict="unknown")  # "Grooved sides for an easy grip." has no side pockets
        if all(t in PARTS for t in matched) and any(t not in PARTS for t in unmatched):
            return Answer(verdict="unknown")  # "Raglan sleeves." says nothing about thumbholes
        if not any(t in PARTS for t in matched) and _describes_other_part(span, matched, asked):
            return Answer(verdict="unknown")  # "Long-Sleeve." does not say the garment is long
        return Answer(verdict="yes", evidence=span)
    for t in content:
        for opposite in OPPOSITES.get(t, ()):
            for span in spans:
                if (
                    opposite not in name
                    and re.search(r"\b" + re.escape(opposite) + r"\b", span.lower())
                    and not _other_part(span, asked)
                ):
                    return Answer(verdict="no", evidence=span)
    if names_material(question, every):
        return Answer(verdict="unknown")  # a material is named in the text or not said: never a paraphrase
    skip = frozenset(spans) - frozenset(eligible)  # a climate value or care line: not an answer here
    clause = semantic.paraphrase(" ".join(content), p, skip) if semantic is not None else None
    if clause is not None and not _NEG_WORD.search(clause):
        return Answer(verdict="yes", evidence=clause)
    return Answer(verdict="unknown")


def _attribute_key(span: str, p: Product) -> str | None:
    """The attribute a span is a value of ("shoulder" of ``strap``), None for description text."""
    return next((k for k, values in p.attributes.items() if span in values), None)


def _weather_aware(question: str, spans: list[str], p: Product) -> list[str]:
    """A climate value says what weather the product is for ("warm": for warm days), so it answers
    "is it for warm weather?" but not "will it keep me warm?". A care instruction ("Machine
    wash/dry.") answers questions about washing, not "does it dry fast?"."""
    climate = set(p.attributes.get("climate", []))
    low = question.lower()
    washing = bool(_CARE_QUESTION.search(low))
    return [
        s for s in spans if (s not in climate or _asks_weather(s, low)) and (washing or not _CARE.search(s))
    ]


def _asks_weather(value: str, question: str) -> bool:
    """The question asks about the weather a climate value names: "for warm weather", "rainy days",
    "good for rain", "in the rain" ("rainy" → rain); not "will it keep me warm?"."""
    v = re.escape(value.lower())
    base = re.escape(value.lower()[:-1]) if value.lower().endswith("y") else v
    return bool(
        re.search(r"\b" + v + r"\s+(?:weather|climates?|days)\b", question)
        or re.search(r"\b(?:for|in)\s+(?:the\s+)?(?:" + v + "|" + base + r")\b", question)
    )


def _lexical(content: list[str], spans: list[str], semantic: SemanticArm | None) -> str | None:
    """Rule 2's span: the most matched words; ties by meaning (MiniLM), then the shorter span."""
    counts = [sum(hit(t, span) for t in set(content)) for span in spans]
    top = max(counts, default=0)
    if not top:
        return None
    tied = [span for span, n in zip(spans, counts, strict=True) if n == top]
    if len(tied) > 1 and semantic is not None:
        sims = semantic.similarities(" ".join(content), tied)
        return max(zip(tied, sims, strict=True), key=lambda x: (round(x[1], 6), -len(x[0])))[0]
    return min(tied, key=len)
