"""Understand stage: what the extractor's filters cannot say — which product, which store-help
topic, a cross-sell request — decided after extraction, over the catalog and the conversation.

It runs on both backends' ``ShoppingTurn`` and only re-reads turns whose intent it may improve on
(search, refine, small talk, out of scope, product questions, comparisons, add to cart). Intents
it does not know (checkout, and the order intents of issue 17) are left alone.

* **Store help first**, for a message that asks no product search (no product type extracted,
  nothing named): the router (``app.policy.router``) gives a topic → ``policy``, or
  ``out_of_remit`` → ``out_of_scope`` with that topic (the honest "I can't help with that here").
* **Cross-sell** cues ("what goes with it", "to match", "complete the look") → ``cross_sell`` on
  the referenced product, the product in focus, or the cart.
* **Product references** (``app.pipeline.references``): a question about a referenced product →
  ``product_question``; a message that names a product → ``show_product`` (never a filtered
  search that can come back empty); a comparison keeps the shown products.
* **Needs** (``app.pipeline.needs``): a gift, occasion or activity request ("gift for my dad who
  likes camping") is searched as its need, widened with the catalog's activity/climate values.
* **Brands we do not carry** (``app.pipeline.brands``): "Nike running shoes" keeps the brand-like
  word the store has no use for (``unchecked['brand']``), so the reply says so.
* **Stock questions** (issue 17): a product question or comparison with a stock cue ("in stock",
  "available", "any left", "do you have it in") gets ``asks_stock``, answered from the inventory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from app.catalog.snapshot import CatalogSnapshot
from app.catalog.vocabulary import load_vocabulary
from app.domain.turn import ConversationState, Intent, ShoppingTurn
from app.pipeline.brands import BrandReader
from app.pipeline.extract.heads import names_head
from app.pipeline.extract.order_cues import asks_stock
from app.pipeline.needs import NeedReader, asks_what_to_wear
from app.pipeline.policy_search import PolicySearch
from app.pipeline.references import (
    NameIndex,
    by_attribute,
    by_other,
    by_position,
    by_pronoun,
    by_shown_name,
    words,
)
from app.policy.router import OUT_OF_REMIT, TOPICS, route, routes
from app.policy.words import correct
from app.policy.words import words as policy_words

_OPEN = frozenset(
    {Intent.search, Intent.refine, Intent.smalltalk, Intent.out_of_scope, Intent.product_question,
     Intent.compare, Intent.add_to_cart}
)  # fmt: skip
#: Turns about given products that a stock cue turns into a stock question ("is the second one in
#: stock in M?", "which of these are available in black?").
STOCK_INTENTS = frozenset({Intent.product_question, Intent.compare})
_CROSS_SELL = re.compile(
    r"\b(?:go(?:es)? (?:well )?with|to match|match(?:es|ing)? (?:it|this|that|with)|complete (?:the|my|an?|this)\b"
    r"(?: \w+)? (?:look|outfit)|pair (?:it |this |them |these )?with|wear (?:it|this|them|these|that)? ?with|"
    r"goes? together|complement|accessori[sz]e|anything (?:else )?to go|finish the (?:look|outfit)|"
    r"style (?:it|this|them|these) with|(?:what|anything) else (?:\w+ ){0,6}(?:with|for) (?:it|this|that|these|them)\b)",
    re.IGNORECASE,
)
#: A size said outright ("size 9", "in size 10.5"); when extraction found no catalog size in it, the
#: store cannot check it.
_STATED_SIZE = re.compile(
    r"\b(?:size|sz)\s*[:#]?\s*(?P<v>\d{1,2}(?:\.5)?|x{0,3}[sml]|x{1,3}l)\b", re.IGNORECASE
)
#: A question about the assistant itself: the greeting, which says who it is and what it does, answers it.
_ABOUT_ME = re.compile(
    r"\b(?:who|what) are you\b|\bhow (?:does|do) (?:this|it|you) work\b|\bwhat can (?:you|i) do\b"
    r"|\bhow are you\b|\bare you (?:a |an )?(?:bot|robot|human|ai|real|person)\b"
    r"|\bcan you help(?: me)?(?: (?:out|please))?\W*$",
    re.IGNORECASE,
)
#: Words that point back at what was just said ("do *that*"): a follow-up, when no product is meant.
_BACK_REFERENCE = re.compile(r"\b(?:that|this|it|them|those|these)\b", re.IGNORECASE)
#: An elliptical follow-up ("and for sale items?", "what about Canada?", "how long does that take").
_FOLLOW_UP = re.compile(r"^\W*(?:and|also|but|what about|how about|so|ok|okay|then)\b", re.IGNORECASE)
_QUESTION = re.compile(
    r"(\?\s*$)|^\s*(?:(?:and|so|ok|okay|also|but|hm+)[, ]+)?"
    r"(?:does|do|is|are|can|could|will|would|has|have|how|what|which|whats|what's|any)\b"
    r"|\b(?:does|do|is|are|can|will) (?:it|they|this|that|the)\b"
    # a question after the product's name: "Troy Yoga Short: can i take the liner out", "X, whats it made of"
    r"|[,:;–—-]\s*(?:does|do|is|are|can|could|will|would|has|have|how|what|whats|what's|which|any)\b",
    re.IGNORECASE,
)
#: Words that point at the product in focus ("is *it* a pullover?").
_FOCUS_PRONOUN = re.compile(r"\b(?:it|its|this|that|they|them)\b", re.IGNORECASE)


_BUY = re.compile(
    r"\b(?:buy|i'?ll take|i want|i'?d like|add|get me|order)\b|\b(?:size|in) (?:xs|s|m|l|xl|xxl|\d\d)\b",
    re.IGNORECASE,
)
_TELL = re.compile(r"\b(?:tell me|more about|details|describe|info(?:rmation)? (?:on|about))\b", re.I)
_VERSION = re.compile(r"\b(?:version|edition|variant)\b", re.I)
_RANKED = re.compile(r"\b(?:cheap|cheaper|cheapest|best|most|least|top|highest|lowest)\b", re.I)
_WHICH = re.compile(
    r"\bwhich (?:one|of|has|is|would|will|should)\b|\bwhich\b.*\b(?:these|those|two|three)\b", re.I
)


#: "can you find …", "do you have the …": a request to see a product, worded as a question.
_SHOW_REQUEST = re.compile(
    r"^\s*(?:(?:and|so|ok|okay|hey|hi|hm+)[, ]+)?(?:(?:can|could) you (?:please )?(?:find|show|pull up|look up|get|bring up)"
    r"|(?:do|have) (?:you|u|ya) (?:guys )?(?:have|carry|sell|stock|got)|(?:have you got|got) (?:the|a|an|that|this)|is there)\b"
    r"|\b(?:can|could) you (?:please )?(?:find|show|pull up|look up|bring up)\b",
    re.IGNORECASE,
)
#: A question about the shown list or the store, not about the product in focus.
_NOT_ABOUT_FOCUS = re.compile(
    r"\b(?:else|other|others|another|more|different|similar|alternatives?|cheaper|options?|recommend)\b", re.I
)


def is_question(message: str) -> bool:
    return bool(_QUESTION.search(message))


def asks_to_show(message: str, turn: ShoppingTurn) -> bool:
    """'can you find MH01?', 'do you have the Hollister Backyard Sweatshirt': show it. With a colour
    or size ("do you have it in red?") it is a question about the product, not a request to see it."""
    return (
        bool(_SHOW_REQUEST.search(message))
        and turn.filters.color is None
        and turn.filters.size is None
        and not asks_stock(message)  # "do you have the X in stock?" asks for stock
    )


@dataclass
class Understander:
    names: NameIndex
    catalog: CatalogSnapshot
    policy: PolicySearch | None = None  # store help by meaning (the policy collection)
    needs: NeedReader | None = None  # gifts, occasions, activities: the query as the need
    brands: BrandReader | None = None  # a brand the store does not carry ("Nike running shoes")

    def pointed(self, message: str, turn: ShoppingTurn, state: ConversationState) -> str | None:
        shown = state.last_results
        if turn.referenced:
            pos = turn.referenced[0]
            idx = len(shown) - 1 if pos == -1 else pos - 1
            if 0 <= idx < len(shown):
                return shown[idx]
        return self.picked(message, state) or by_pronoun(message, state)

    def picked(self, message: str, state: ConversationState) -> str | None:
        """A product singled out among those on screen: by position, attribute, "the other one", or
        a name word only one of them has. (A pronoun is not a pick: it points at the focus.)"""
        shown = state.last_results
        products = self.catalog.many(shown) if len(shown) >= 2 else []
        return (
            by_position(message, shown)
            or by_attribute(message, products)
            or by_other(message, state)
            or by_shown_name(message, products)
        )

    def understand(self, message: str, turn: ShoppingTurn, state: ConversationState) -> ShoppingTurn:
        out = self._understand(message, turn, state)
        if out.intent in (Intent.search, Intent.refine) and self.needs is not None:
            out = self.needs.read(message, out)
        if out.intent in (Intent.search, Intent.refine) and out.filters.size is None:
            stated = _STATED_SIZE.search(message)
            if stated:  # "size 9" where no product is sized 9: said in the reply, not dropped silently
                out = out.model_copy(update={"unchecked": {"size": stated.group("v").upper()}})
        if out.intent in (Intent.search, Intent.refine) and self.brands is not None:
            brand = self.brands.unmatched(message, out)
            if brand:  # "Nike running shoes": not one of our brands, said in the reply, not dropped
                out = out.model_copy(update={"unchecked": {**out.unchecked, "brand": brand}})
        if out.intent in STOCK_INTENTS and out.products and not out.asks_stock and asks_stock(message):
            # "do you have it in a small?" reads as a refinement until "it" resolves to a product;
            # about that product it asks for stock (either extractor backend)
            out = out.model_copy(update={"asks_stock": True})
        return out

    def _understand(self, message: str, turn: ShoppingTurn, state: ConversationState) -> ShoppingTurn:
        if turn.intent not in _OPEN and turn.intent is not Intent.checkout:
            return turn
        sku = self.names.by_sku(message)
        routable = sku is None and (
            turn.intent is not Intent.add_to_cart
            # "I missed some items in my order, can I add them?" asks about an order, not the cart
            or (is_question(message) and not turn.referenced and self.pointed(message, turn, state) is None)
        )
        if turn.intent is Intent.checkout and not is_question(message):
            routable = False  # "pay now" is a checkout, not a payment question
        if asks_what_to_wear(message):
            routable = False  # "a job interview, what should I wear?" asks for clothes, not about jobs
        asked = self._as_policy_words(message) if routable else message
        topic = self._by_cues(asked) if routable else None
        if topic is None and routable and turn.intent is not Intent.checkout:
            topic = self._help_by_meaning(asked, turn, state)
        if topic == OUT_OF_REMIT and is_question(message) and (sku or self._names_exactly(message)):
            topic = None  # "Thorpe Track Pant, weather resistant?" asks about the product, not the weather
        if topic == OUT_OF_REMIT:
            return turn.model_copy(update={"intent": Intent.out_of_scope, "topic": topic})
        if topic is not None:
            return turn.model_copy(update={"intent": Intent.policy, "topic": topic})
        if turn.intent is Intent.checkout:
            return turn
        named = sku or self._named(message, state) or self._version(message, turn, state)
        if named and not sku and not is_question(message) and not self._of_asked_type(named, turn):
            # "jeans with a 32 waist" names no "Dress with Defined Waist": the type asked for decides.
            # A question may name another type as what it asks about ("… does it come with a bag?").
            named = None
        if named and self._picks_to_buy(message, turn, state):
            return turn.model_copy(update={"intent": Intent.add_to_cart, "products": [named]})
        if turn.intent is Intent.add_to_cart or (named and not is_question(message) and _BUY.search(message)):
            # "add it in L" after a question about a product: "it" is the product in focus
            target = named or (None if turn.referenced else self.pointed(message, turn, state))
            if target is None and state.focus and state.last_results in ([], [state.focus]):
                target = state.focus  # "add one in L" right after a question about that product
            if target:
                return turn.model_copy(update={"intent": Intent.add_to_cart, "products": [target]})
            return turn
        if _WHICH.search(message) and named in (None, *state.last_results) and len(state.last_results) >= 2:
            return turn.model_copy(update={"intent": Intent.compare, "products": list(state.last_results)})
        if _CROSS_SELL.search(message) or self._narrows_cross_sell(message, turn, state, named):
            anchor = named or self.pointed(message, turn, state)
            return turn.model_copy(
                update={"intent": Intent.cross_sell, "products": [anchor] if anchor else []}
            )
        if turn.intent is Intent.compare and named is None and len(state.last_results) >= 2:
            picked = [
                self.pointed("", turn.model_copy(update={"referenced": [r]}), state) for r in turn.referenced
            ]
            products = [p for p in picked if p] if len(turn.referenced) >= 2 else list(state.last_results)
            return turn.model_copy(update={"products": products})
        pick = None if named or turn.referenced else self.picked(message, state)
        if named is None and not turn.referenced and self._asks_focus_variant(message, turn, state):
            return turn.model_copy(update={"intent": Intent.product_question, "products": [state.focus]})
        if (
            named is None
            and turn.filters.category is not None
            and not turn.referenced
            and not self._named_among(message, state)
            # "is the strap leather?" about the watch in focus: "strap" is a part, not a search for straps
            and not (turn.intent is Intent.product_question and state.focus and is_question(message))
        ):
            return turn  # "the cheapest coat you've got" is a new search, not a pick among the shown
        target = named or self.pointed(message, turn, state)
        if target is None:
            about = self._about_focus(message, turn, state)
            if about is turn and (
                (turn.intent is Intent.smalltalk and is_question(message) and not _ABOUT_ME.search(message))
                or (turn.intent is Intent.out_of_scope and turn.topic is None and turn.filters.is_empty())
            ):
                # a question is never answered with the greeting, nor a request that is not shopping
                # ("book me a table") with "we don't carry that": it is not ours to answer
                return turn.model_copy(update={"intent": Intent.out_of_scope, "topic": OUT_OF_REMIT})
            return about
        if named and asks_to_show(message, turn):
            return turn.model_copy(update={"intent": Intent.show_product, "products": [target]})
        if is_question(message) and (
            named or turn.intent in (Intent.product_question, Intent.compare) or not turn.filters.category
        ):
            return turn.model_copy(update={"intent": Intent.product_question, "products": [target]})
        if turn.intent is Intent.product_question and _TELL.search(message):
            return turn.model_copy(update={"products": [target]})  # "tell me more about the second one"
        if (
            named
            or pick
            or turn.referenced
            or turn.intent
            in (
                Intent.smalltalk,
                Intent.refine,
                Intent.product_question,  # "the second one", "show me the last one": show it
            )
        ):
            return turn.model_copy(update={"intent": Intent.show_product, "products": [target]})
        return turn

    @cached_property
    def _catalog_words(self) -> frozenset[str]:
        """Words of the store vocabulary and of the catalog's names and descriptions: a shopper's
        word, never a misspelling of a policy word ("leather" is not "weather")."""
        vocab = load_vocabulary()
        terms = [t for table in (vocab.colors, vocab.materials, vocab.product_types) for t in table]
        terms += [
            s
            for table in (vocab.colors, vocab.materials, vocab.product_types)
            for v in table.values()
            for s in v
        ]
        texts = [*terms, *(f"{p.name} {p.description}" for p in self.catalog.all())]
        return frozenset(w for t in texts for w in policy_words(t))

    def _as_policy_words(self, message: str) -> str:
        """The message with misspelt words restored to the policy's words ("retrun" → "return"),
        when that gives it a store-help cue it did not have; otherwise as written."""
        if self.policy is None or not self.policy.lexicon or routes(message):
            return message
        fixed = correct(message, self.policy.lexicon, keep=self._catalog_words)
        return fixed if fixed != message and routes(fixed) else message

    def _by_cues(self, message: str) -> str | None:
        """The cue router's topic. Out of remit wins outright; when the cues of several policy
        topics match ("can I pay when it arrives, like cash?": arrive → shipping, pay → payment),
        the topic whose sentences are nearest by meaning decides."""
        found = routes(message)
        covered = [t for t in found if t in TOPICS]
        if not found or found[0] == OUT_OF_REMIT or len(covered) < 2 or self.policy is None:
            return found[0] if found else route(message)
        return self.policy.nearest_of(message, covered)

    def _help_by_meaning(self, message: str, turn: ShoppingTurn, state: ConversationState) -> str | None:
        """The store-help topic of a message the cue router has no cue for, by its nearest policy
        sentence (``PolicySearch``). Only for messages that ask about no product: no product type,
        no product named or pointed at. A follow-up in a store-help exchange ("and for sale
        items?") is held to a lower bar and otherwise stays on the exchange's topic."""
        if (
            state.topic in TOPICS
            and _FOLLOW_UP.search(message)
            and len(message.split()) <= 5
            and not turn.referenced
            and self.policy is not None
            and self.policy.mentions(message, state.topic)
        ):
            return state.topic  # "and underwear?" after a returns answer: the section says what holds for it
        if turn.filters.category or turn.referenced or turn.filters.brand or self.names.by_name(message):
            return None
        follow = state.topic is not None and (is_question(message) or bool(_FOLLOW_UP.search(message)))
        if not follow and (self.pointed(message, turn, state) or not is_question(message)):
            return None
        if follow and self.pointed(message, turn, state) is None:
            # a follow-up in a store-help exchange stays on its topic ("restocking fee?" after a
            # returns answer) unless another topic's sentence is as near as a first question needs
            near, score = self.policy.topic(message, follow_up=True) if self.policy else (None, 0.0)
            if near is not None and score >= self.policy.threshold:  # type: ignore[union-attr]
                return near
            elliptical = bool(_FOLLOW_UP.search(message) or _BACK_REFERENCE.search(message))
            short = len(message.split()) <= 5 and turn.filters.is_empty() and not _RANKED.search(message)
            return state.topic if elliptical or short else near
        return self.policy.topic(message)[0] if self.policy is not None else None

    def _of_asked_type(self, named: str, turn: ShoppingTurn) -> bool:
        """A product found by its name is the one meant only if it is of the type the message asks
        for (when it asks for one): its category is the type, or its name uses the head word
        ("Mars HeatTech *Pullover*" is a jacket the shopper calls a pullover)."""
        wanted = turn.filters.category
        product = self.catalog.get(named)
        if wanted is None or product is None or product.category == wanted:
            return True
        return bool(turn.head) and names_head(turn.head or "", [product.name])

    @staticmethod
    def _picks_to_buy(message: str, turn: ShoppingTurn, state: ConversationState) -> bool:
        """A named product picked like a cart line: with a size ("Orestes Fitness Short, 33, green"),
        or as the next of a run of adds ("and the Affirm Water Bottle" after adding something)."""
        if is_question(message):
            return False
        if turn.filters.size is not None:
            return True
        return state.last_intent is Intent.add_to_cart and bool(_FOLLOW_UP.search(message))

    @staticmethod
    def _narrows_cross_sell(
        message: str, turn: ShoppingTurn, state: ConversationState, named: str | None
    ) -> bool:
        """After a cross-sell turn, a short message naming only a product type ("specifically a
        top", "maybe a belt") asks for complements of that type."""
        return (
            state.last_intent is Intent.cross_sell
            and turn.filters.category is not None
            and named is None
            and not turn.referenced
            and len(message.split()) <= 6
        )

    def _version(self, message: str, turn: ShoppingTurn, state: ConversationState) -> str | None:
        """'is there a sweatshirt version too?': that type of the product in focus."""
        if not (_VERSION.search(message) and state.focus and turn.filters.category):
            return None
        return self.names.sibling(state.focus, turn.filters.category)

    def _named_among(self, message: str, state: ConversationState) -> bool:
        """'show me the hoodie again' where one shown product is the only hoodie (not "the cheapest
        coat you've got", which ranks the whole store)."""
        if _RANKED.search(message):
            return False
        return by_shown_name(message, self.catalog.many(state.last_results)) is not None

    def _named(self, message: str, state: ConversationState) -> str | None:
        """The product the message names — unless it is a question about the product in focus and
        every name word it matched is a word of that product's own text ("are the straps padded?"
        about a backpack whose text says "straps" does not name the "Classic heels with straps")."""
        named = self.names.by_name(message)
        if named is None or state.focus is None or named == state.focus or not is_question(message):
            return named
        focus = self.catalog.get(state.focus)
        name = self.names.name_words.get(named, set())
        matched = name & (set(words(message)) | self.names.matched_words(message))
        if focus is None or not matched:
            return named
        text = " ".join([focus.description, *(v for vs in focus.attributes.values() for v in vs)])
        own = set(words(text))
        return None if all(w in own or w.rstrip("s") in own or w + "s" in own for w in matched) else named

    def _names_exactly(self, message: str) -> bool:
        """A product named with a word of its own name written as it is (not "weather" read as the
        Water Bottle's "water")."""
        named = self.names.by_name(message)
        return named is not None and bool(
            (self.names.name_words.get(named, set()) - self.names.stop) & set(words(message))
        )

    @staticmethod
    def _asks_focus_variant(message: str, turn: ShoppingTurn, state: ConversationState) -> bool:
        """Right after a turn about one product (shown or asked about, and nothing else on screen), a
        question whose filters read as a search asks about that product: "in black?", "size 30
        available?" (a colour or size, in a short question), "is it a pullover?" (a type, said of
        "it"). Not a question about the list or the store ("any other colours?")."""
        if (
            state.focus is None
            or state.last_results not in ([], [state.focus])
            or state.last_intent not in (Intent.product_question, Intent.show_product)
            or not is_question(message)
            or _NOT_ABOUT_FOCUS.search(message)
            or turn.intent not in (Intent.search, Intent.refine)
        ):
            return False
        f = turn.filters
        if f.category is not None:
            return bool(_FOCUS_PRONOUN.search(message))
        variant_only = (f.color is not None or f.size is not None) and f.model_copy(
            update={"color": None, "size": None}
        ).is_empty()
        return variant_only and (len(message.split()) <= 5 or bool(_FOCUS_PRONOUN.search(message)))

    def _about_focus(self, message: str, turn: ShoppingTurn, state: ConversationState) -> ShoppingTurn:
        """'any thumbholes on the sleeves?', 'water resistant too?': a question that names no product,
        sets no filter and asks for nothing else is about the product in focus."""
        f = turn.filters
        if (
            state.focus is None
            or not is_question(message)
            or _NOT_ABOUT_FOCUS.search(message)
            or turn.intent not in (Intent.search, Intent.refine, Intent.smalltalk, Intent.product_question)
            # a filter the extractor read off a product question is what it asks ("is the strap leather")
            or (not f.is_empty() and turn.intent is not Intent.product_question)
        ):
            return turn
        return turn.model_copy(update={"intent": Intent.product_question, "products": [state.focus]})


def with_focus(
    state: ConversationState, turn: ShoppingTurn, shown: list[str], answer: str | None = None
) -> ConversationState:
    """The product 'it' refers to next turn: the one this turn was about, or the only one shown;
    none after a search that shows several. After a comparison that picked one (the reply shows
    the pick first and is not an "it doesn't say"), the pick: "does that one have a drawstring?"
    after "which one is cheaper?" asks about the cheaper one."""
    focus = turn.products[0] if turn.products and turn.intent is not Intent.cross_sell else None
    if turn.intent is Intent.compare and shown and answer != "unknown":
        focus = shown[0]
    if focus is None and len(shown) == 1:
        focus = shown[0]
    if focus is None and len(shown) != 1 and turn.intent in (Intent.search, Intent.refine):
        # a new list on screen, or a search that found nothing: "it" no longer means the product
        # talked about before
        return state.model_copy(update={"focus": None}) if state.focus else state
    if focus is None and state.cart and turn.intent is Intent.add_to_cart:
        focus = state.cart[-1].product_id
    return state.model_copy(update={"focus": focus}) if focus and focus != state.focus else state
