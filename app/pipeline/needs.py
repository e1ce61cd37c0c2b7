"""Needs, occasions, gifts and activities: "gift for my dad who likes camping", "my wife wants to
start going to the gym", "running when it's freezing out, what should I wear".

Such a message names no product; its words describe a person, an occasion and a need. Read as a
plain search, the frame words ("gift", "dad", "who likes") become the query and the head noun, so the
guard and the head fence judge "gift who likes camping" and answer "we don't carry that", and the
one filter the parser can find (men, from "dad") stands in for the whole request.

``NeedReader`` rewrites the turn's *query* instead (filters the parser read stay as they are):

1. the frame words go: gift and occasion words, the person it is for, "who likes", "he's into";
2. the need that is left ("camping") is matched by meaning (MiniLM) against the catalog's own
   activity and climate attribute values, and the nearest ones (cosine ≥ ``EXPAND_MIN``, at most
   ``EXPAND_MAX``) are added: "camping" → "hiking outdoor", "always cold" → "cold warm climate". Retrieval
   then searches the products' descriptions and attributes (both are in their embedded text) with
   words the catalog uses;
3. the request has no head noun of its own: the parser's head is a noun the store has no type for,
   and in a need that is part of the need ("gift", "always *cold*"), not a product we don't carry.

It acts on messages with a need frame (``has_need_frame``), on requests of no product type whose
head noun is itself an activity or climate ("hiking in the summer heat"), and on requests of no
product type whose whole wording is that near to one (cosine ≥ ``EXPAND_MIN``: "long walks in the
snow", "stay dry walking the dog in the rain" say a need without any frame word); a plain "black hoodies",
or "winter tyres" (a product the store lacks, judged by the guard and the head fence), is left alone. The frame words and the thresholds were set on the dialogue *dev* split.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from app.domain.catalog import Product
from app.domain.turn import ShoppingTurn
from app.pipeline.extract.heads import request_phrase, requested_head

#: Catalog attributes that describe what a product is *for* (Magento: activity, climate).
NEED_ATTRIBUTES = ("activity", "climate")
EXPAND_MIN = 0.5
EXPAND_MAX = 2
#: A head noun this near to an activity/climate value is the need itself ("hiking" 1.0, "heat" 0.72,
#: "camping" 0.58), not a product the store lacks ("tyres" 0.44, "machine" 0.42).
ACTIVITY_HEAD_MIN = 0.55

#: The people a request can be for ("for my dad", "my wife wants ...").
PEOPLE = [
    "dad",
    "father",
    "daddy",
    "mum",
    "mom",
    "mother",
    "mummy",
    "brother",
    "sister",
    "wife",
    "husband",
    "girlfriend",
    "boyfriend",
    "son",
    "daughter",
    "friend",
    "friends",
    "grandma",
    "grandpa",
    "grandmother",
    "grandfather",
    "uncle",
    "aunt",
    "partner",
    "colleague",
    "boss",
    "teacher",
    "nephew",
    "niece",
    "kid",
    "kids",
]
_FRAME = re.compile(
    r"\b(?:gifts?|presents?|stocking (?:fillers?|stuffers?)"
    r"|who (?:likes?|loves?|enjoys?|is into|does|plays|goes)"
    r"|(?:he|she|they)(?:'s|'re| is| are)? (?:really |very |big |always |so )?(?:into|loves?|likes?|enjoys?)"
    r"|what (?:should|could|can|do|would) (?:i|he|she|we) wear|what to wear"
    r"|something (?:to wear )?for|wants? to (?:start|get into|take up))\b"
    r"|\b(?:my|for (?:my|a|an|our)) (?:" + "|".join(PEOPLE) + r")\b",
    re.IGNORECASE,
)
#: Words that frame a need rather than describe a product: the gift, the occasion, the person.
FRAME_WORDS = frozenset(
    [
        "gift",
        "gifts",
        "present",
        "presents",
        "stocking",
        "filler",
        "fillers",
        "stuffer",
        "stuffers",
        "idea",
        "ideas",
        "christmas",
        "xmas",
        "birthday",
        "anniversary",
        "valentine",
        "valentines",
        "who",
        "likes",
        "like",
        "loves",
        "love",
        "enjoys",
        "enjoy",
        "into",
        "really",
        "big",
        "fan",
        "always",
        "very",
        "so",
        "he",
        "she",
        "they",
        "he's",
        "she's",
        "they're",
        "his",
        "her",
        "their",
        "wants",
        "want",
        "start",
        "starting",
        "get",
        "getting",
        "take",
        "up",
        "going",
        "go",
        "goes",
        "does",
        "plays",
        "something",
        "anything",
        "wear",
        "wearing",
        "should",
        "could",
        "would",
        "what",
        "guy",
        "girl",
    ]
) | frozenset(PEOPLE)


class QueryEncoder(Protocol):
    def encode_query(self, text: str) -> np.ndarray: ...


#: "what should I wear (to a job interview)": a request for clothes, whatever the occasion's words.
_WEAR = re.compile(
    r"\b(?:what (?:should|could|can|do|would) (?:i|he|she|we) wear|what to wear|something to wear)\b", re.I
)


#: A need said without a frame is a statement of what the shopper will do ("long walks in the snow"),
#: not a question or an instruction to an assistant ("what are your hobbies", "add swimming to my
#: calendar"): those keep their head and are judged as typed.
_ASKS_OR_TELLS = re.compile(
    r"^\s*(?:what|what's|how|where|when|why|who|which|did|do|does|is|are|can|could|will|would|should"
    r"|add|make|set|remind|tell|book|play|call|share|cancel|send|show|find)\b",
    re.IGNORECASE,
)


def has_need_frame(message: str) -> bool:
    return bool(_FRAME.search(message))


def asks_what_to_wear(message: str) -> bool:
    return bool(_WEAR.search(message))


def need_words(query: str) -> list[str]:
    return [w for w in query.split() if w.lower() not in FRAME_WORDS]


def attribute_values(products: Iterable[Product]) -> list[tuple[str, str]]:
    """The catalog's (attribute, value) pairs for activity and climate, sorted: what needs are matched on."""
    return sorted(
        {(k, v.lower()) for p in products for k in NEED_ATTRIBUTES for v in p.attributes.get(k, [])}
    )


@dataclass
class NeedReader:
    encoder: QueryEncoder
    values: list[tuple[str, str]]
    _vectors: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        vecs = [np.asarray(self.encoder.encode_query(v), dtype=np.float32) for _, v in self.values]
        self._vectors = np.stack(vecs) if vecs else np.zeros((0, 1), dtype=np.float32)

    def expansions(self, need: str) -> list[tuple[str, str]]:
        """The catalog's (attribute, value) pairs nearest to ``need`` by meaning, best first."""
        if not need.strip() or not self.values:
            return []
        # the phrase and each of its words: "running when freezing" is about running *and* freezing
        texts = list(dict.fromkeys([need, *need.split()]))
        queries = np.stack([np.asarray(self.encoder.encode_query(t), dtype=np.float32) for t in texts])
        scores = (self._vectors @ queries.T).max(axis=1)
        order = np.argsort(-scores, kind="stable")[:EXPAND_MAX]
        return [self.values[i] for i in order if scores[i] >= EXPAND_MIN]

    def _activity_head(self, turn: ShoppingTurn) -> bool:
        """No product type, and the head noun is itself an activity or climate ("hiking in the summer
        heat", "camping"): a need, not a product the store lacks ("winter tyres" keeps its head). A
        head the type phrase goes on past is a modifier ("mint chocolate *ice* cream": "cream" was
        read as a colour), not the need."""
        if turn.filters.category is not None or not turn.head or not self.values:
            return False
        said = re.findall(r"[\w'-]+", (turn.phrase or "").lower())
        if said and said[-1] != turn.head.lower():
            return False
        scores = self._vectors @ np.asarray(self.encoder.encode_query(turn.head), dtype=np.float32)
        return bool(scores.max() >= ACTIVITY_HEAD_MIN)

    def _activity_request(self, message: str, turn: ShoppingTurn) -> bool:
        """No product type, and the request as a whole is about an activity or climate: a need said
        without a frame word ("long walks in the snow"). Costs one embedding of the message, only
        for requests of no store type."""
        if turn.filters.category is not None or not turn.head or not self.values:
            return False
        scores = self._vectors @ np.asarray(self.encoder.encode_query(message), dtype=np.float32)
        return bool(scores.max() >= EXPAND_MIN)

    def read(self, message: str, turn: ShoppingTurn) -> ShoppingTurn:
        """``turn`` with its query rewritten as the need (see the module doc); unchanged without a frame."""
        framed = has_need_frame(message)
        if not framed and _ASKS_OR_TELLS.search(message):
            return turn  # "what are your hobbies", "add swimming to my calendar": not a need
        activity_head = self._activity_head(turn) or (not framed and self._activity_request(message, turn))
        if not framed and not activity_head:
            return turn
        if turn.head and turn.head.lower() not in FRAME_WORDS and not activity_head:
            return turn  # "a gift for my wife: an espresso machine" asks for a product; the guard judges it
        words = need_words(turn.query)
        found = self.expansions(" ".join(words))
        if not found and turn.filters.category is None and not asks_what_to_wear(message):
            # a frame around something no catalog activity or climate is near ("a gift for my wife:
            # an espresso machine"): a request for a product, which the guard judges as typed — by
            # what is asked for ("espresso machine"), not by the frame's noun ("gift")
            return _without_frame(turn, " ".join(words))
        added = [(k, v) for k, v in found if v not in words]
        extra = [v for _, v in added]
        if any(k == "climate" for k, _ in added):
            extra.append("climate")  # as the products' text says it ("climate: cold, wintry")
        if asks_what_to_wear(message) and "clothing" not in words:
            extra.append("clothing")  # "what should I wear to a wedding" asks for clothes
        # ``head`` is only ever a noun the store has no type for ("gift", "cold"): in a need it is part
        # of the need, not a product asked for that the head fence should say we don't carry. For the
        # same reason a need has no type phrase for the guard: judged as one, "gift for my dad" (or
        # its last need word, "hiking") is a type the store lacks, and the need was turned away.
        need = " ".join([*words, *extra])
        return turn.model_copy(update={"query": need, "head": None, "phrase": None, "need": True})


def _without_frame(turn: ShoppingTurn, asked: str) -> ShoppingTurn:
    """``turn`` with its head and type phrase read from what is asked for, the frame words gone: the
    guard judges "espresso machine" and the reply says "we have no espresso machine", not "gift"."""
    head = requested_head(asked, [], [])
    if head is None:
        return turn
    return turn.model_copy(update={"head": head.word, "phrase": request_phrase(asked) or turn.phrase})
