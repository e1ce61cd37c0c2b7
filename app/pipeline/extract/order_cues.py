"""Cue phrases for the order intents: where is my order, cancel my order, my order history.

Kept apart from ``intent_cues`` (the shopping intents) because these are about orders already
placed, not the cart: they are checked *before* checkout, since "cancel my order" and "what did I
order?" contain the words a checkout cue looks for. Order ids (``ord_`` + 12 hex digits) are read
from the message as typed; without one, the order meant is the conversation's latest.
"""

from __future__ import annotations

import re

from app.domain.turn import Intent

#: "my order", "the last order", "order ord_…", "my order #000000213" (a number in the shop's own format).
_ORDER = (
    r"(?:my |the |this |that |our |last |latest |recent )*(?:order|purchase)s?"
    r"(?: (?:no\.? ?|number )?(?:#?[a-z_]*\d[\w-]*|\[(?:phone|card)\]))?"  # a number redaction took for a phone/card
)
#: What an order becomes once it ships, said by a shopper: "where's my stuff", "has my parcel come".
_SHIPMENT = r"(?:my|our) (?:stuff|things|package|parcel|packet|delivery|shipment|items?|purchases?|order)"

CANCEL = re.compile(
    rf"\b(?:cancel|cancell?ing|revoke|call off|undo)\b.{{0,20}}\b{_ORDER}\b"
    r"|\b(?:don'?t|do not) (?:want|need) (?:my |the |this )?order\b"
    r"|\bcancel(?: it| that| this)?(?: please)?[.!]*$"
    r"|\bcancel (?:it|that|this)\b"
)

STATUS = re.compile(
    rf"\bwhere(?:'s|s| is| are)? {_ORDER}"
    rf"|\b(?:status|track(?:ing)?|progress|updates?|news) (?:of |on |for |about )?{_ORDER}"
    rf"|\b{_ORDER} (?:status|tracking)\b"
    rf"|\b(?:has|did|is|was) {_ORDER} (?:ship|shipped|arrive|arrived|placed|go through|gone through|confirmed)"
    rf"|\bwhere(?:'s|s| is| are|re|'re)? {_SHIPMENT}\b"
    rf"|\b(?:has|have|did|is|are) {_SHIPMENT} (?:ship|shipped|arrive|arrived|come|been (?:sent|shipped|dispatched))"
    r"|\bwhen (?:will|does|is) (?:my |the )?order\b"
    r"|\bwhen (?:will|does|do|would) (?:it|they|my \w+) (?:get here|arrive|be delivered|ship|come)\b"
)

HISTORY = re.compile(
    r"\b(?:order|purchase) history\b"
    r"|\b(?:my|all|past|previous|earlier) (?:my )?(?:orders|purchases)\b"
    r"|\bwhat (?:did|have) (?:i|we) (?:just |already |recently )?(?:order|ordered|buy|bought|purchase|purchased)\b"
    r"|\b(?:everything|all|what) (?:i|we)(?:'ve| have)? (?:just |already )?(?:ordered|bought|purchased)\b"
    r"|\b(?:list|show)(?: me)? (?:my |all )?(?:orders|purchases)\b"
)

#: A question about availability ("is it in stock in M?", "the third one available in blue?").
STOCK = re.compile(
    r"\b(?:in stock|out of stock|sold out|availab(?:le|ility)|any left|left in|(?:do|does) (?:you|it|they) (?:have|come) (?:it |them |one |this |that )?in)\b"
)

ORDER_ID = re.compile(r"\bord_[0-9a-f]{6,32}\b")


def order_intent(text: str) -> Intent | None:
    """The order intent the message expresses, if any (cancel before status before history)."""
    if CANCEL.search(text):
        return Intent.cancel_order
    if HISTORY.search(text):
        return Intent.order_history
    if STATUS.search(text):
        return Intent.order_status
    return None


def asks_stock(text: str) -> bool:
    """Whether a product question asks about availability."""
    return bool(STOCK.search(text.lower()))


def order_ref(text: str) -> str | None:
    """The order id the shopper typed (``ord_…``), if any."""
    m = ORDER_ID.search(text.lower())
    return m.group(0) if m else None
