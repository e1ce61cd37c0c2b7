"""The head of a request: the noun naming the product asked for ("fresh salmon *fillets*",
"espresso *machine* under $200", "salmon pink *dress*").

English noun phrases put the head last and modifiers (colours, materials, other nouns) before it,
and a preposition or clause ends the first phrase ("boots *to go with my dress*", "a rack *for*
shoes"). So the head is the last word of the message's first noun phrase, after dropping words
that are already spoken for (prices, sizes, brands, references: the ``taken`` spans), filler, and
words that only describe (colours, materials, genders) when they are not the last word standing.

Why it matters: a colour or material word is a *filter* only when it modifies a product type the
store carries or stands alone as a refinement ("in black", "the salmon one"). When the head is some
other noun ("salmon fillets", "olive oil", "charcoal grill") the word is part of that noun phrase,
not a colour, and the guard must judge the request whole. The same head feeds the guard's product
type coverage (``app.guard.coverage``). No list of things the store does not sell is involved: the
head is whatever noun the shopper used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.pipeline.extract.slots import Span, overlaps
from app.pipeline.extract.word_lists import FILLER

_WORD = re.compile(r"[a-z][a-z'&-]*")

#: Words that end the first noun phrase: prepositions, conjunctions and clause openers.
BOUNDARIES = frozenset(
    [
        "for",
        "with",
        "under",
        "over",
        "below",
        "above",
        "in",
        "to",
        "that",
        "which",
        "who",
        "from",
        "at",
        "on",
        "near",
        "by",
        "like",
        "less",
        "than",
        "around",
        "between",
        "and",
        "or",
        "but",
        "so",
        "if",
        "when",
        "because",
        "while",
        "without",
        "within",
        "inside",
        "outside",
        "about",
    ]
)


#: Pro-forms: "the salmon one", "something in black" — they refer back, they name no product.
PRO_FORMS = frozenset({"one", "ones", "something", "anything", "thing", "things", "stuff", "pair", "pairs"})


@dataclass(frozen=True)
class Head:
    """The requested head word and the noun phrase it ends (modifiers included)."""

    word: str
    phrase: str
    start: int  # of the phrase
    end: int  # of the head word

    def covers(self, position: int) -> bool:
        """True when ``position`` lies inside the head's noun phrase (a modifier of the head)."""
        return self.start <= position < self.end


def first_phrase(text: str, taken: list[Span]) -> list[re.Match[str]]:
    """The words of the first noun phrase: from the first content word up to a boundary word or
    punctuation; filler and ``taken`` words are skipped, leading prepositions too ("in black")."""
    words: list[re.Match[str]] = []
    for m in _WORD.finditer(text):
        word = m.group(0).removesuffix("'s").strip("'-")
        gap = text[words[-1].end() : m.start()] if words else ""
        if words and any(ch in gap for ch in ",;.!?()"):
            break
        if word in BOUNDARIES:
            if words:
                break
            continue
        if overlaps(m.span(), taken) or (word in FILLER and word not in PRO_FORMS) or len(word) < 2:
            continue
        words.append(m)
    return words


def requested_head(text: str, taken: list[Span], describing: list[Span]) -> Head | None:
    """The head noun of the first noun phrase, or ``None`` when the phrase has no noun of its own
    (only describing words — colours, materials, genders in ``describing`` — or a pro-form: the
    message is a refinement such as "in navy" or "the black one")."""
    words = first_phrase(text, taken)
    if not words:
        return None
    last = words[-1]
    word = last.group(0).removesuffix("'s").strip("'-")
    if word in PRO_FORMS or (overlaps(last.span(), describing) and not _ends_a_compound(words, describing)):
        return None
    start = words[0].start()
    return Head(word=word, phrase=text[start : last.end()], start=start, end=last.end())


def _ends_a_compound(words: list[re.Match[str]], describing: list[Span]) -> bool:
    """A describing word that ends a phrase is itself a noun when a describing word already
    modified a plain word before it: in "mint chocolate *ice* cream" the colours describe "ice", so
    "ice" is a noun and "cream" ends the compound "ice cream" — it is not the colour. "bright red"
    and "hot pink" (no describing word before the plain one) stay colours."""
    kinds = [overlaps(w.span(), describing) for w in words[:-1]]
    plain = [i for i, d in enumerate(kinds) if not d]
    return bool(plain) and any(kinds[: plain[0]])


def request_phrase(text: str) -> str | None:
    """The request's first noun phrase as typed, modifiers included ("mint chocolate ice cream",
    "golf balls", "espresso machine" in "espresso machine under $200"), or ``None`` when it ends in
    a pro-form ("the salmon one") or has no word. The guard judges this phrase whole: the search
    text is what is *left* after colours, materials and types became filters ("ice green")."""
    words = first_phrase(text, [])
    if not words or words[-1].group(0).removesuffix("'s").strip("'-") in PRO_FORMS:
        return None
    return text[words[0].start() : words[-1].end()]


def surface_head(text: str, starts: list[int], ends: list[int]) -> str:
    """The last word of the store-type compound the extractor chose ("knit *beanie*"), as typed:
    type hits directly next to each other form one compound (``starts``/``ends`` of the hits)."""
    end = ends[0]
    for s, e in zip(starts[1:], ends[1:], strict=True):
        if text[end:s].strip(" -") == "":
            end = e
        else:
            break
    found = _WORD.findall(text[:end])
    return found[-1] if found else text[:end]


def _singular(word: str) -> str:
    w = word.lower()
    if len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")) else w


def names_head(head: str, texts: list[str]) -> bool:
    """True when any of ``texts`` (a product's name, category, category path) uses the head word,
    singular or plural: the product is of the requested type."""
    wanted = _singular(head)
    return any(_singular(w) == wanted for t in texts for w in _WORD.findall(t.lower()))
