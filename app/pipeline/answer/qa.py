"""Answer a question about one product from that product's own text, or say it doesn't say.

**Evidence.** A product's text is its description split into sentences, plus one fact per
attribute value (materials, colours, sizes, pattern, climate, style, features, ...). Nothing else:
no other product, no general knowledge. Every ``yes``/``no`` carries the verbatim span it rests on.

**Decision rule** (rules backend), in order:

1. *Variant questions* — a catalog colour or size named in the question: ``yes`` when the product
   has it, ``no`` when the product lists its colours/sizes and that one is not among them
   (evidence: the list), ``unknown`` when the product lists none.
   *Measures* ("is the inseam 7 inches?") compare numbers in the same unit, on a span that names
   what is measured (a span sharing a content word with the question: "5\" inseam."). *Materials*:
   ``yes`` on a span naming the material; ``no`` only on a span that states the whole composition
   ("100% polyester") or the same part in another material — never from a mere mention of another
   material.
2. *Feature questions, lexical arm* — the question's content words (stop words, discourse filler,
   the product's name words and question verbs removed) are matched against each evidence span by
   stem (first five letters; a word of four letters or fewer also by inflection: "zip" →
   "zipper"). The span with the most matched words wins; ties are broken by the
   MiniLM arm (the span nearest in meaning), else the shorter span. If it matches at least one
   stem, the answer is ``yes``, or ``no`` when the matched word is negated in the span ("not",
   "no", "non-", "without"), or when it states the opposite of an unmatched word ("Short
   sleeves." for "are the sleeves long?"). A span matching only a *part* ("Raglan sleeves.") while
   the asked feature is unmatched ("thumbholes") answers ``unknown``, so does a span that misses
   a part the question asks about ("side pockets" on "Grooved sides."), and a span matching
   only a word that needs its head ("free", "resistant": "chafe-free" is not "wrinkle free").
   A climate value ("warm": for warm weather) answers only a question about that weather, and a
   care instruction ("Machine wash/dry.") only a question about washing. With no matching span, an
   opposite listed in ``OPPOSITES`` ("snug" for "loose") is a ``no`` when stated about the same
   part ("Short sleeves." does not answer "is it long?").
3. *Feature questions, MiniLM arm* (``semantic.SemanticArm``) — when no span shares a word with
   the question, the description clause nearest in meaning answers ``yes`` if it is clearly the
   one (cosine and margin thresholds of ``semantic``) and carries no negation; it never says ``no``.
4. Otherwise ``unknown``: a feature the text does not mention is not a ``no``.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from pydantic import BaseModel

from app.domain.catalog import Product
from app.pipeline.answer.lexicon import (
    COLOUR_WORDS,
    DEPENDENT,
    EXTRA_MATERIALS,
    MATERIAL_HEDGES,
    NUM,
    OPPOSITES,
    PART_SAME,
    PARTS,
    PHRASE_OPPOSITES,
    STOP,
    UNITS,
)
from app.pipeline.answer.semantic import SemanticArm
from app.pipeline.references import words

_NEG = re.compile(r"\b(?:not|no|non|without|never|free of)\b[\s-]*(?:\w+[\s-]+){0,2}$", re.IGNORECASE)
#: A span that states what the product (or a part) is made of, not a mere mention of a material.
_COMPOSITION = re.compile(r"\d+\s*%|\bmade (?:of|from|with)\b|\bconstruct|\bcrafted (?:of|from)\b", re.I)
_INFLECTIONS = frozenset({"s", "es", "ed", "ing", "per", "pers", "pered", "ped", "ping"})
_CARE = re.compile(r"\b(?:machine|hand) wash|\b(?:line|tumble|air|hang to|flat to) dry\b|\bdry clean", re.I)
_CARE_QUESTION = re.compile(r"\b(?:wash\w*|clean\w*|care|laundry|laundered|dryer|tumble|iron\w*)\b")
_NEG_WORD = re.compile(r"\b(?:not|no|non|without|never)\b", re.IGNORECASE)
_SENT = re.compile(r"(?<=[.!?•;])\s+|\n+|\s*•\s*")


class Answer(BaseModel):
    verdict: str  # "yes" | "no" | "unknown"
    evidence: str | None = None


def stem(word: str) -> str:
    return word[:5]


def _stems(span: str) -> set[str]:
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


def _unit(raw: str) -> str | None:
    raw = raw.lower()
    return next((u for u, forms in UNITS.items() if raw in forms), None)


def _measure(question: str, spans: list[str], name: str = "") -> Answer | None:
    """'is the inseam 7 inches?' against '5" inseam.': same unit, compare the numbers — on a span
    that names what the question measures (a shared content word), never on another measure of the
    product ('Strap fits 7" to 10".' says nothing about an inseam). A range ('7" to 10"') holds the
    numbers inside it."""
    in_name = {(float(n), _unit(u)) for n, u in NUM.findall(name)}
    asked = [(float(n), _unit(u)) for n, u in NUM.findall(question) if (float(n), _unit(u)) not in in_name]
    if not asked:
        return None
    value, unit = asked[0]
    gone = set(words(name)) | STOP
    about = {stem(w) for w in words(NUM.sub(" ", question)) if w not in gone and not w[0].isdigit()}
    measured = [(span, [float(n) for n, u in NUM.findall(span) if _unit(u) == unit]) for span in spans]
    measured = [(span, found) for span, found in measured if found]
    one_value = len({v for _, found in measured for v in found}) == 1  # "is it 10 pounds?" on "15 lbs."
    for span, found in measured:
        if not (about & _stems(NUM.sub(" ", span)) or (not about and one_value)):
            continue
        inside = min(found) <= value <= max(found) if len(found) == 2 and " to " in span else value in found
        return Answer(verdict="yes" if inside else "no", evidence=span)
    return Answer(verdict="unknown")


def _material(question: str, p: Product, materials: set[str], spans: list[str]) -> Answer | None:
    """A material the question names: yes when a span has it (and every qualifier the question adds:
    "organic cotton" is not answered by "cotton"); no when a span states the composition in another
    material ("100% polyester", "Durable nylon construction.") or that material for the part asked
    about ("is the strap rubber?" → "Adjustable leather band."); otherwise None (the feature rule
    decides, or unknown)."""
    low = question.lower()
    asked = [m for m in materials if re.search(r"\b" + re.escape(m) + r"\b", low)]
    asked = [m for m in asked if not any(m != o and m in o for o in asked)]  # "organic cotton", not "cotton"
    if not asked:
        return None
    own = own_words(p)
    extra = [
        w for w in words(low)
        if w not in STOP and w not in own and w not in materials and w not in PARTS and w not in MATERIAL_HEDGES
        and len(w) > 2 and not any(w in m.split() for m in asked)
    ]  # fmt: skip
    having = [s for s in spans if any(re.search(r"\b" + re.escape(m) + r"\b", s.lower()) for m in asked)]
    for span in having:
        if all(_hit(w, span) for w in extra):
            return Answer(verdict="yes", evidence=span)
    if having:  # "organic cotton" on "cotton": the qualifier decides, in a span of its own or not at all
        return None if any(all(_hit(w, s) for w in extra) for s in spans) else Answer(verdict="unknown")
    kin = {w for m in asked for w in m.split() if w in materials}  # "cotton" of "organic cotton"
    if any(re.search(r"\b(?:" + "|".join(map(re.escape, kin)) + r")\b", s.lower()) for s in spans if kin):
        return Answer(verdict="unknown")  # cotton, but organic? the text does not say
    part_asked = {_part(w) for w in words(low) if w in PARTS and w not in own}
    for span in spans:
        says = [m for m in materials if re.search(r"\b" + re.escape(m) + r"\b", span.lower())]
        about_part = part_asked & {_part(w) for w in words(span) if w in PARTS}
        if says and (about_part if part_asked else _COMPOSITION.search(span)):
            return Answer(verdict="no", evidence=span)
    return None


def _phrase_opposite(question: str, spans: list[str]) -> Answer | None:
    low = question.lower()
    for key, opposites in PHRASE_OPPOSITES.items():
        if key in low:
            for span in spans:
                if any(o in span.lower() for o in opposites) and key not in span.lower():
                    return Answer(verdict="no", evidence=span)
    return None


def _part(word: str) -> str:
    """One name per part: "straps", "band" → "strap"; "sleeves" → "sleeve"."""
    return PART_SAME.get(word, word.rstrip("s"))


def _other_part(span: str, asked: set[str]) -> bool:
    """The span is about a part the question does not name ("Short sleeves." says nothing about
    whether the garment is long)."""
    parts = {stem(t) for w in words(span) for t in w.split("-") if t in PARTS}  # "short-sleeve"
    return bool(parts - {stem(w) for w in asked})


def _describes_other_part(span: str, matched: list[str], asked: set[str]) -> bool:
    """A matched word that describes a part the question does not name, right before it: "long" in
    "Long-Sleeve." (not "warm" in "Warm fleece lining.")."""
    tokens = [t for w in words(span) for t in w.split("-") if t]
    asked_parts = {stem(w) for w in asked}
    for i, t in enumerate(tokens):
        if any(stem(t) == stem(m) for m in matched):
            after = tokens[i + 1 : i + 2]
            if any(a in PARTS and stem(a) not in asked_parts for a in after):
                return True
    return False


def _negated(span: str, word_stem: str) -> bool:
    low = span.lower()
    return any(_NEG.search(low[: m.start()]) for m in re.finditer(r"\b" + re.escape(word_stem), low))


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
    tokens = words(question)
    asked = set(tokens)
    found = _variant(asked, p, colours, {s.lower() for s in sizes})
    if found is not None:
        return found
    spans = evidence_spans(p)
    found = (
        _measure(question, spans, p.name)
        or _material(question, p, {*materials, *EXTRA_MATERIALS}, spans)
        or _phrase_opposite(question, spans)
    )
    if found is not None:
        return found
    name = own_words(p)
    content = [t for t in tokens if t not in STOP and t not in name and len(t) > 2]
    if not content:
        return Answer(verdict="unknown")
    span = _lexical(content, _weather_aware(question, spans, p), semantic)
    if span is not None:
        matched = [t for t in content if _hit(t, span)]
        unmatched = [t for t in content if t not in matched]
        if any(_negated(span, stem(t)) for t in matched) or any(
            re.search(r"\b" + re.escape(o) + r"\b", span.lower())
            for t in unmatched
            for o in OPPOSITES.get(t, ())
        ):
            return Answer(
                verdict="no", evidence=span
            )  # "not waterproof"; "Short sleeves." for "long sleeves?"
        if all(t in DEPENDENT for t in matched) and unmatched:
            return Answer(verdict="unknown")  # "chafe-free seams" says nothing about wrinkle-free
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
    clause = semantic.paraphrase(" ".join(content), p) if semantic is not None else None
    if clause is not None and not _NEG_WORD.search(clause):
        return Answer(verdict="yes", evidence=clause)
    return Answer(verdict="unknown")


def _root(word: str) -> str:
    """A word without its inflection ("lined", "lining" → "lin"), for words the 5-letter stem
    misses; three letters at least, else the word itself."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)].rstrip("e")
    return word.rstrip("e") if len(word) > 3 else word


def _hit(word: str, span: str) -> bool:
    """``word`` is in ``span`` by stem, or a short word by an inflection ("zip" → "zipper") — but
    not inside a compound ("water" is not "waterproof", "sleeve" is not "sleeveless"), and "light"
    or "dark" before a colour is the colour ("Light blue pants." is not light)."""
    if "-" in word and word in words(span):
        return True
    tokens = [t for w in words(span) for t in w.split("-") if t]  # "water-resistant" → water, resistant
    for i, w in enumerate(tokens):
        short, long_ = sorted((word, w), key=len)
        if long_.startswith(short) and len(long_) - len(short) >= 4 and len(short) >= 4:
            continue  # a compound of the word, not the word
        if w in ("light", "dark") and tokens[i + 1 : i + 2] and tokens[i + 1] in COLOUR_WORDS:
            continue
        if (
            stem(w) == stem(word)
            or _root(w) == _root(word)
            or (len(word) <= 4 and w.startswith(word) and w[len(word) :] in _INFLECTIONS)
        ):
            return True
    return False


def _weather_aware(question: str, spans: list[str], p: Product) -> list[str]:
    """A climate value says what weather the product is for ("warm": for warm days), so it answers
    "is it for warm weather?" but not "will it keep me warm?". A care instruction ("Machine
    wash/dry.") answers questions about washing, not "does it dry fast?"."""
    climate = set(p.attributes.get("climate", []))
    low = question.lower()
    washing = bool(_CARE_QUESTION.search(low))
    return [
        s
        for s in spans
        if (
            s not in climate
            or re.search(r"\b" + re.escape(s.lower()) + r"\s+(?:weather|climates?|days)\b", low)
        )
        and (washing or not _CARE.search(s))
    ]


def _lexical(content: list[str], spans: list[str], semantic: SemanticArm | None) -> str | None:
    """Rule 2's span: the most matched words; ties by meaning (MiniLM), then the shorter span."""
    counts = [sum(_hit(t, span) for t in set(content)) for span in spans]
    top = max(counts, default=0)
    if not top:
        return None
    tied = [span for span, n in zip(spans, counts, strict=True) if n == top]
    if len(tied) > 1 and semantic is not None:
        sims = semantic.similarities(" ".join(content), tied)
        return max(zip(tied, sims, strict=True), key=lambda x: (round(x[1], 6), -len(x[0])))[0]
    return min(tied, key=len)
