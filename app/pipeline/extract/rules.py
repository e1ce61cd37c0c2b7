"""The deterministic extractor: a shopper message and the conversation state in, a ``ShoppingTurn``
out — built only from the store's own vocabulary, brand list and a set of phrase patterns.

It is the offline backend, the fallback of the LLM backend and the baseline the extraction eval
measures. Decisions a shopper would notice, and why:

* **Query.** ``query`` keeps the descriptive words of the product wanted — the product-type word
  and adjectives ("show me some warm black hoodies for men under $60" → ``"warm hoodies"``). Words
  captured by a structured filter (colour, material, brand, gender, size, price) are removed:
  they are enforced as payload filters and re-added to the search text by the pipeline, and keeping
  them would make a later "in red" contradict a remembered "black hoodies".
* **Search or refine.** A product type different from the remembered one starts a new search
  (``replace_filters=True``); a message that only carries filters, comparatives ("warmer") or the
  same type narrows the current one (refine). A new need without a known type ("now I need a sofa")
  is a new search too, so the guard can answer it.
* **"cheaper".** The parser never sees prices, so "cheaper"/"less expensive" becomes
  ``price_max = 0.8 × the remembered price_max`` when there is one. Without one it sets no price and
  leaves the marker word ``cheaper`` in ``query`` for the ranker to act on (``state_merge`` does not
  copy markers into the remembered query). "pricier" mirrors it: the old ceiling becomes the floor.
* **References.** 1-based positions in the last results in the order mentioned; "the last one" is
  ``-1`` (the cart stage resolves it against what was shown), "the first two" is ``[1, 2]``.
* **Per-intent filters.** Search and refine turns carry every filter found. Questions and
  comparisons carry attributes (a question's type word names the product asked about, so the
  category is kept only when no search is under way). Add-to-cart turns carry only the size and
  colour to add. Checkout, small talk and out-of-scope turns carry none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.catalog.vocabulary import Vocabulary
from app.domain.turn import ORDER_INTENTS, ConversationState, Filters, Intent, ShoppingTurn
from app.pipeline.extract import intent_cues as cue
from app.pipeline.extract.catalog_terms import Hit, Lexicon
from app.pipeline.extract.heads import request_phrase, requested_head, surface_head
from app.pipeline.extract.order_cues import asks_stock, order_intent, order_ref
from app.pipeline.extract.slots import (
    ALL_FIELDS,
    Span,
    find_clears,
    find_prices,
    find_references,
    find_relative_price,
    find_size,
    normalize,
    overlaps,
)
from app.pipeline.extract.word_lists import FILLER, UNSIZED_CATEGORIES, WAIST_CATEGORIES

CHEAPER_FACTOR = 0.8
_TOKEN = re.compile(r"[a-z0-9][a-z0-9'&-]*")
#: Content words that adjust the current search rather than name a new need ("warmer", "cheapest").
_ADJUSTING = re.compile(
    r"^(?:[a-z]{3,}(?:er|est)|best|top|rated|popular|latest|most|least|similar|different|others?|alternatives?)$"
)
_LONE_NUMBER = re.compile(r"^(?:#|number |no\.? )?([1-9]|1[0-9])[.!?]*$")
_CLEAR_ALL = frozenset(ALL_FIELDS)


@dataclass
class _Reading:
    """What a message states, before the intent decides which of it the turn carries."""

    filters: Filters
    cleared: list[str]
    refs: list[int]
    relative: str | None
    content: list[str]
    signal: bool  # any catalog evidence: a type, colour, material, brand, price or size
    head: str | None = None  # the requested noun when it is not a store type ("machine")


def _first(hits: list[Hit], text: str, negated: list[str]) -> str | None:
    """The first hit that is not negated; negated hits are reported in ``negated``."""
    for hit in hits:
        if Lexicon.negated(text, hit):
            negated.append(hit.canon)
            continue
        return hit.canon
    return None


def choose_type(hits: list[Hit], text: str) -> str | None:
    """The product type the shopper wants: the first noun phrase's head. Type words directly next
    to each other form one compound whose *last* word is the head ("knit beanie" is a hat,
    "fitness tracker watch" a watch); later phrases are modifiers ("boots to go with my dress")."""
    if not hits:
        return None
    head = hits[0]
    for nxt in hits[1:]:
        if text[head.end : nxt.start].strip(" -") == "":
            head = nxt
        else:
            break
    return head.canon


class RulesExtractor:
    """Deterministic ``Extractor``: no model, no network, microseconds per message."""

    name = "rules"

    def __init__(self, vocabulary: Vocabulary, brands: Sequence[str]) -> None:
        self.vocabulary = vocabulary
        self.lexicon = Lexicon(vocabulary, brands)

    async def extract(self, message: str, state: ConversationState) -> ShoppingTurn:
        return self.parse(message, state)

    def parse(self, message: str, state: ConversationState) -> ShoppingTurn:
        """The turn ``message`` expresses, given what the conversation remembers (pure, sync)."""
        plain = normalize(message)
        text = self.lexicon.correct(plain)
        r = self._read(text, state)
        intent, replace = self._intent(text, state, r)
        chat_or_search = intent in (Intent.search, Intent.refine, Intent.smalltalk)
        if chat_or_search and not r.signal and cue.OUT_OF_SCOPE.search(plain):
            intent, replace = Intent.out_of_scope, False  # a typo fix must not hide "flight" or "weather"

        turn = ShoppingTurn(intent=intent, backend=self.name, head=r.head)
        if intent in (Intent.search, Intent.refine):
            turn.phrase = request_phrase(text)
            turn.filters, turn.cleared = r.filters, list(dict.fromkeys(r.cleared))
            turn.replace_filters = replace
            turn.query = " ".join(r.content + self._relative_price(turn, state, r.relative))
        elif intent in (Intent.compare, Intent.product_question):
            keep_category = state.filters.category is None
            turn.filters = r.filters.model_copy(
                update={"category": r.filters.category if keep_category else None}
            )
            turn.referenced = r.refs
            turn.query = " ".join(r.content)
            turn.asks_stock = asks_stock(plain)  # "is it in stock in M?", "which are available in L?"
        elif intent is Intent.add_to_cart:
            turn.filters = Filters(size=r.filters.size, color=r.filters.color)
            turn.referenced = r.refs
        elif intent is Intent.out_of_scope:
            turn.query = " ".join(r.content)
        elif intent in ORDER_INTENTS:
            turn.order_ref = order_ref(plain)
        return turn

    def _read(self, text: str, state: ConversationState) -> _Reading:
        """Everything the message states, independent of intent. Phrases are consumed in order —
        brand, prices, clears, vocabulary terms, references, size — so no word counts twice."""
        taken: list[Span] = []
        brand_hit = self.lexicon.brand(text)
        if brand_hit:
            taken.append((brand_hit.start, brand_hit.end))
        prices = find_prices(text, taken)
        taken += prices.spans
        cleared, clear_spans = find_clears(text)
        taken += clear_spans

        def hits(kind: str) -> list[Hit]:
            return [h for h in self.lexicon.find(kind, text) if not overlaps((h.start, h.end), taken)]

        types = hits("type")
        materials = [m for m in hits("material") if not any(m.inside(t) for t in types)]
        same_span = {(m.start, m.end) for m in materials}  # "denim" is the material, not the colour
        colors = [
            c
            for c in hits("color")
            if not any(c.inside(t) for t in types) and (c.start, c.end) not in same_span
        ]
        genders = hits("gender")
        head = None
        if not types:  # a colour or material filters only a store type or stands alone (heads.py)
            spans = [(h.start, h.end) for h in (*materials, *colors, *genders)]
            head = requested_head(text, taken, spans)
            if head is not None:  # words inside the head's phrase modify it: "*salmon* fillets"
                colors = [c for c in colors if not head.covers(c.start)]
                materials = [m for m in materials if not head.covers(m.start)]
        not_colors: list[str] = []
        not_materials: list[str] = []
        color = _first(colors, text, not_colors)
        material = _first(materials, text, not_materials)
        cleared += ["color"] * bool(not_colors) + ["material"] * bool(not_materials)
        taken += [(h.start, h.end) for h in (*materials, *colors, *genders)]

        category = choose_type(types, text)
        context_category = category or state.filters.category
        compare_cue = bool(cue.COMPARE.search(text))
        refs, ref_spans = find_references(text, taken, len(state.last_results), bare_pairs=compare_cue)
        taken += ref_spans
        size, size_spans = find_size(
            text,
            self.vocabulary,
            taken + [(t.start, t.end) for t in types],
            sized=context_category is not None and context_category not in UNSIZED_CATEGORIES,
            waist=context_category in WAIST_CATEGORIES,
            # "is it in stock in M?": the size of the product asked about, whatever type the
            # conversation remembers — unless the message itself names a type without sizes
            variant=asks_stock(text) and category not in UNSIZED_CATEGORIES,
        )
        taken += size_spans
        lone = _LONE_NUMBER.match(text)
        if lone and not refs and not size and (state.last_results or state.query):
            refs = [int(lone.group(1))]  # "2" on its own after results: that product
        relative, relative_spans = find_relative_price(text)
        taken += relative_spans

        return _Reading(
            filters=Filters(
                category=category,
                gender=_first(genders, text, []),
                color=color,
                size=size,
                material=material,
                brand=brand_hit.canon if brand_hit else None,
                price_min=prices.price_min,
                price_max=prices.price_max,
            ),
            cleared=cleared,
            refs=refs,
            relative=relative,
            content=self._content_words(text, taken),
            signal=bool(types or colors or materials or brand_hit or prices.spans or size),
            head=head.word
            if head
            else (surface_head(text, [t.start for t in types], [t.end for t in types]) if types else None),
        )

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _content_words(text: str, taken: list[Span]) -> list[str]:
        words: list[str] = []
        for m in _TOKEN.finditer(text):
            word = m.group(0).removesuffix("'s").strip("'-")
            if overlaps(m.span(), taken) or word in FILLER or len(word) < 2:
                continue
            if word not in words:
                words.append(word)
        return words

    @staticmethod
    def _intent(text: str, state: ConversationState, r: _Reading) -> tuple[Intent, bool]:
        """(intent, replace_filters). Cue intents first, in priority order; then search/refine."""
        active = bool(state.query) or not state.filters.is_empty()
        if (about_orders := order_intent(text)) is not None:  # before checkout: "cancel my order"
            return about_orders, False
        if cue.CHECKOUT.search(text):
            return Intent.checkout, False
        if cue.ADD_TO_CART.search(text):
            return Intent.add_to_cart, False
        if cue.COMPARE.search(text):
            return Intent.compare, False
        if not r.signal and cue.OUT_OF_SCOPE.search(text):
            return Intent.out_of_scope, False
        words = _TOKEN.findall(text)
        chatty = bool(cue.SMALLTALK.search(text)) or all(w in cue.ACKNOWLEDGEMENTS for w in words)
        if not r.signal and not r.refs and not r.cleared and not r.relative and chatty:
            return Intent.smalltalk, False
        if not r.signal and not r.refs and cue.STORE_HELP.search(text):
            return Intent.smalltalk, False  # "do you ship to canada?": about the store, not a product
        if _CLEAR_ALL.issubset(r.cleared):
            return Intent.search, active  # "start over"
        if r.refs or cue.DEFINITE_QUESTION.search(text):
            return Intent.product_question, False
        new_type = r.filters.category is not None and r.filters.category != state.filters.category
        pronoun_question = cue.PRONOUN.search(text) and (
            cue.QUESTION.search(text) or cue.PRODUCT_QUESTION.search(text)
        )
        if not new_type and pronoun_question and not cue.AVAILABILITY.search(text):
            return Intent.product_question, False  # "is it waterproof?", "are these good for running?"
        if not active:
            if not r.signal and not r.content and not r.relative:
                return Intent.smalltalk, False
            return Intent.search, False
        if new_type:
            return Intent.search, True
        adjusting = all(_ADJUSTING.match(w) for w in r.content)
        if r.content and r.filters.category is None and not adjusting and cue.NEW_NEED.search(text):
            return Intent.search, True
        return Intent.refine, False

    @staticmethod
    def _relative_price(turn: ShoppingTurn, state: ConversationState, relative: str | None) -> list[str]:
        """Apply "cheaper"/"pricier" against the remembered price; return a marker word if unresolved."""
        if relative is None or turn.filters.price_min is not None or turn.filters.price_max is not None:
            return []
        ceiling = state.filters.price_max
        if ceiling is None or turn.replace_filters:
            return [relative]
        if relative == "cheaper":
            turn.filters.price_max = round(ceiling * CHEAPER_FACTOR, 2)
        else:
            turn.filters.price_min = ceiling
            turn.cleared = [*turn.cleared, "price_max"]
        return []
