"""Stated facts of the product-QA rule (``qa``, rule 1): measures ("is the inseam 7 inches?"),
materials ("is the strap leather?"), stated opposite phrases ("is it a pullover?" on "full zip") and
open questions whose answer the text states ("what's it made of?", "how long is it?")."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from pydantic import BaseModel

from app.domain.catalog import Product
from app.pipeline.answer.lexicon import (
    MATERIAL_HEDGES,
    MEASURED_BY,
    NUM,
    PARTS,
    PHRASE_OPPOSITES,
    STOP,
    UNITS,
)
from app.pipeline.answer.words import hit, is_name_word, own_words, part_of, stem, stems
from app.pipeline.references import words


class Answer(BaseModel):
    verdict: str  # "yes" | "no" | "unknown"
    evidence: str | None = None


#: Open questions: what it is made of; how long / big it is (answered by the span that states it).
_ASKS_MATERIAL = re.compile(
    r"\bmade (?:of|from|out of)\b|\b(?:what|which)(?: \w+)? (?:material|fabric)s?\b|\b(?:material|fabric) is it\b",
    re.I,
)


_ASKS_MEASURE = re.compile(
    r"\bhow (?:long|big|large|wide|tall|heavy|deep)\b|\bwhat(?:s|'s| is)? (?:the |its |it's )?"
    r"(?:inseam|length|size|dimensions?|width|height|weight|measurements?)\b",
    re.I,
)


#: The dimension a "how …" question asks, as the text names it ("how long" → "length").
#: The units a dimension is measured in ("how long" is not answered by "15 lbs.").
_DIMENSION_UNITS = {
    "long": ("inch", "cm"), "wide": ("inch", "cm"), "tall": ("inch", "cm"), "deep": ("inch", "cm"),
    "big": ("inch", "cm"), "heavy": ("lb", "oz"), "weight": ("lb", "oz"), "length": ("inch", "cm"), "inseam": ("inch", "cm"),
}  # fmt: skip
_DIMENSION = {"long": "length", "wide": "width", "tall": "height", "heavy": "weight", "big": "dimensions"}


#: A span that states what the product (or a part) is made of, not a mere mention of a material.
_COMPOSITION = re.compile(r"\d+\s*%|\bmade (?:of|from|with)\b|\bconstruct|\bcrafted (?:of|from)\b", re.I)


def unit(raw: str) -> str | None:
    raw = raw.lower()
    return next((u for u, forms in UNITS.items() if raw in forms), None)


def measure(question: str, spans: list[str], name: str = "") -> Answer | None:
    """'is the inseam 7 inches?' against '5" inseam.': same unit, compare the numbers — on a span
    that names what the question measures (a shared content word), never on another measure of the
    product ('Strap fits 7" to 10".' says nothing about an inseam). A range ('7" to 10"') holds the
    numbers inside it."""
    in_name = {(float(n), unit(u)) for n, u in NUM.findall(name)}
    asked = [(float(n), unit(u)) for n, u in NUM.findall(question) if (float(n), unit(u)) not in in_name]
    if not asked:
        return None
    value, asked_unit = asked[0]
    gone = set(words(name)) | STOP
    about = {stem(w) for w in words(NUM.sub(" ", question)) if w not in gone and not w[0].isdigit()}
    about |= {stem(MEASURED_BY[w]) for w in words(question) if w in MEASURED_BY}
    measured = [(span, [float(n) for n, u in NUM.findall(span) if unit(u) == asked_unit]) for span in spans]
    measured = [(span, found) for span, found in measured if found]
    one_value = len({v for _, found in measured for v in found}) == 1  # "is it 10 pounds?" on "15 lbs."
    for span, found in measured:
        if not (about & stems(NUM.sub(" ", span)) or (not about and one_value)):
            continue
        inside = min(found) <= value <= max(found) if len(found) == 2 and " to " in span else value in found
        return Answer(verdict="yes" if inside else "no", evidence=span)
    return Answer(verdict="unknown")


def material(question: str, p: Product, materials: set[str], spans: list[str]) -> Answer | None:
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
    tokens = words(low)
    extra = [
        w for w in tokens
        if w not in STOP and not is_name_word(w, own, tokens) and w not in materials and w not in PARTS and w not in MATERIAL_HEDGES
        and len(w) > 2 and not any(w in m.split() for m in asked)
    ]  # fmt: skip
    # "heavy metal free dyes" does not say metal
    having = [
        s
        for s in spans
        if any(re.search(r"\b" + re.escape(m) + r"\b(?![\s-]+free)", s.lower()) for m in asked)
    ]
    part_asked = {part_of(w) for w in words(low) if w in PARTS and w not in own}
    if part_asked:  # "is the buckle metal?": what the text says about the buckle decides first
        for span in spans:
            if not part_asked & {part_of(w) for w in words(span) if w in PARTS}:
                continue
            if span in having and all(hit(w, span) for w in extra):
                return Answer(verdict="yes", evidence=span)
            if says_material(span, materials):
                return Answer(verdict="no", evidence=span)  # "Plastic cinch buckle is easy to use."
    for span in having:
        if all(hit(w, span) for w in extra):
            return Answer(verdict="yes", evidence=span)
    if having:  # "organic cotton" on "cotton": the qualifier decides, in a span of its own or not at all
        return None if any(all(hit(w, s) for w in extra) for s in spans) else Answer(verdict="unknown")
    kin = {w for m in asked for w in m.split() if w in materials}  # "cotton" of "organic cotton"
    if any(re.search(r"\b(?:" + "|".join(map(re.escape, kin)) + r")\b", s.lower()) for s in spans if kin):
        return Answer(verdict="unknown")  # cotton, but organic? the text does not say
    if not part_asked:
        for span in spans:
            if _COMPOSITION.search(span) and says_material(span, materials):
                return Answer(verdict="no", evidence=span)
    return None


def phrase_opposite(question: str, spans: list[str]) -> Answer | None:
    low = question.lower()
    for key, opposites in PHRASE_OPPOSITES.items():
        if key in low:
            for span in spans:
                if any(o in span.lower() for o in opposites) and key not in span.lower():
                    return Answer(verdict="no", evidence=span)
    return None


def open_question(question: str, p: Product, materials: AbstractSet[str], spans: list[str]) -> Answer | None:
    """'what's it made of?', 'how long is it?', 'what's the inseam?': the span that states it (a
    composition, else the product's material value; a measure of the part or dimension asked
    about, else the one measure of the whole product in a unit of that dimension); None when the
    question is not open or the text states nothing of the kind."""
    if _ASKS_MATERIAL.search(question):
        stated = [s for s in spans if _COMPOSITION.search(s) and says_material(s, materials)]
        stated = stated or p.materials[:1]
        return Answer(verdict="yes", evidence=stated[0]) if stated else None
    if _ASKS_MEASURE.search(question):
        asked_words = [w for w in words(question) if w not in STOP]
        asked = {stem(w) for w in asked_words} | {stem(_DIMENSION[w]) for w in asked_words if w in _DIMENSION}
        units = {u for w in asked_words for u in _DIMENSION_UNITS.get(w, ())}
        measured = [s for s in spans if any(not units or unit(u) in units for _, u in NUM.findall(s))]
        about = [s for s in measured if asked & stems(NUM.sub(" ", s))]
        whole = [s for s in measured if not any(w in PARTS for w in words(s))]  # not "1\" elastic band"
        pick = about or (whole if len(measured) == 1 else [])
        return Answer(verdict="yes", evidence=pick[0]) if pick else None
    return None


def names_material(question: str, materials: AbstractSet[str]) -> bool:
    low = question.lower()
    return any(re.search(r"\b" + re.escape(m) + r"\b", low) for m in materials)


def says_material(span: str, materials: AbstractSet[str]) -> bool:
    low = span.lower()
    return any(re.search(r"\b" + re.escape(m) + r"(?:ized|ised)?\b", low) for m in materials)
