"""Route a store-help question to a policy topic, or to ``out_of_remit``.

A deterministic cue router: each topic has cue patterns (stems, so misspellings' usual shapes and
plurals match), checked in a fixed priority order. Out-of-remit cues (accounts, passwords,
invoices, newsletters, jobs, ...) are checked first: a question the chat cannot serve must get the
honest answer, not a policy section that happens to share a word. Tuned on the Bitext store-help
train/dev splits and the dialogue dev split only (``evals/storehelp_data.py`` for the split rule).

``route`` returns None when the message is not a store-help question at all (a product search).
"""

from __future__ import annotations

import re

TOPICS = ("returns", "shipping", "payment", "sizing", "order_status", "contact", "ordering")
OUT_OF_REMIT = "out_of_remit"
#: A store question the policy document does not answer (warranty, discounts, price matching, a
#: physical shop): the honest answer is that the policy doesn't say, and who can tell.
NOT_COVERED = "not_covered"


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")", re.IGNORECASE)


_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        OUT_OF_REMIT,
        _any(
            r"accou?n?t",
            r"acount",
            r"acc\b",
            r"profile",
            r"passw",
            r"pass ?word",
            r"pwd",
            r"log ?in",
            r"sign ?(?:up|in)",
            r"regist",
            r"newsletter",
            r"subscri",
            r"unsubscri",
            r"invoice",
            r"bill\b",
            r"bills\b",
            r"receipt",
            r"vat\b",
            r"marketing e-?mails?",
            r"job",
            r"career",
            r"hiring",
            r"homework",
            r"(?<!-)weather",
            r"(?:user|customer|shopper|person|someone) (?:before|after|else)",
            r"other (?:customers?|users?|shoppers?|people)",
            r"their (?:address|order|details|e-?mail|phone|card)",
            r"cover letter",
            r"write (?:me )?(?:a|an|my) (?:letter|essay|poem|email|cv)",
            r"restaurant",
            r"lawyer",
            r"saved cards?",
            r"stored cards?",
            r"user ?name",
            r"pin code",
            r"p[a-z]?[sz]+word",
            r"pass\b",
            r"sign-?u+p",
            r"rgistr",
            r"regstr",
            r"sin-?up",
            r"my user\b",
            r"create a user",
            r"profle",
        ),
    ),
    (
        "order_status",
        _any(
            r"where(?:'s| is) my (?:order|package|parcel|stuff)",
            r"track(?:ing)? (?:my|the|an|order|purchase|package|parcel)",
            r"order status",
            r"status of (?:my|the|an) (?:order|purchase)",
            r"canc",
            r"acncel",
            r"cacel",
            r"(?:change|modify|edit|edt|correct|update|swap|switch|add|remove|delete)\w* .{0,40}\b(?:order|purchase)",
            r"(?:has|did) (?:my|the) order",
            r"track (?:it|them)",
            r"(?:hasn'?t|has not|not|never) (?:arrived|come|turned up|shown up)",
            r"shipped yet",
            r"order number",
            r"termination",
            r"early exit",
            r"withdrawal fee",
            r"exit (?:fee|penalt)",
            r"(?:order|purchase) #?(?:\d{4,}|\[(?:phone|card)\])",  # a number redaction took for a phone/card
            r"(?:don't|dont|do not) want (?:my |the )?order",
        ),
    ),
    (
        "returns",
        _any(
            r"refund",
            r"refnd",
            r"reimburs",
            r"return",
            r"send(?:ing)? (?:it|them|back)",
            # a bought item that does not fit: "I ordered a jacket and it's too small"
            r"(?:it'?s|its|they'?re|theyre|it is|they are|was|were) (?:a bit |a little |way |much |far )?too "
            r"(?:small|big|large|tight|loose|short|long)\b",
            r"money back",
            r"exchange",
            r"(?:swap|switch|trade)\w*\b.{0,30}\bfor (?:a |an |the )?(?:different|other|another|new|bigger|smaller|larger)\b",
            r"give it back",
            r"compensation",
            r"my money",
            r"rebat",
            r"restitution",
            r"restock",
        ),
    ),
    (
        "shipping",
        _any(
            r"ship",
            r"deli?k?ve",
            r"dleiver",
            r"postage",
            r"courier",
            r"arriv",
            r"how long (?:does|will|would) it take",
            r"dispatch",
            r"customs",
            r"dut(?:y|ies)",
            r"import (?:tax|fee)",
            r"address",
            r"abroad",
            r"international",
            r"express",
            r"next day",
            r"how soon",
            r"expect (?:my|the|an?) (?:item|parcel|package|order|product|purchase|article)",
            r"order (?:from|to) [A-Z]",
            r"(?:send|ship) to [A-Z]",
        ),
    ),
    (
        "payment",
        _any(
            r"pay",
            r"paypal",
            r"credit card",
            r"debit card",
            r"visa",
            r"mastercard",
            r"amex",
            r"(?:gift|credit|debit) cards?",
            r"apple pay",
            r"google pay",
            r"klarna",
            r"instal?ment",
            r"cash on",
            r"charge",
            r"declin",
            r"checkout (?:error|issue|problem)",
        ),
    ),
    (
        "contact",
        _any(
            r"human",
            r"real person",
            r"agent",
            r"representative",
            r"customer (?:service|support|care)",
            r"contact",
            r"speak (?:to|with)",
            r"talk (?:to|with)",
            r"phone number",
            r"call you",
            r"e-?mail (?:address|you)",
            r"complain",
            r"complaint",
            r"feedback",
            r"review",
            r"opening hours",
            r"operator",
            r"claim",
            r"reclamation",
            r"unhappy",
            r"dissatisf",
            r"opinion",
            r"comment",
            r"customer assistance",
            r"custome assistance",
            r"(?:talk|speak|chat)\w* (?:to|with) (?:a|an|some) (?:person|assistant|someone|human)",
            r"(?:talk|speak|chat)\w* (?:to|with) (?:someone|somebody|a person|a human|a real)",
            r"get in touch",
            r"what hours",
            r"business hours",
            r"open (?:on|at|today|tomorrow|late|weekends?|saturdays?|sundays?)",
            r"what time (?:can )?i (?:can )?call",
        ),
    ),
    (
        "sizing",
        _any(
            r"size guide",
            r"size chart",
            r"sizing",
            r"run(?:s)? (?:small|large|big|true)",
            r"what size",
            r"(?:i'm|i am|im) (?:usually |normally )?(?:a |an )?(?:uk |us |eu )?(?:size )?\d",
            r"which size",
            r"fit guide",
            r"between sizes",
            r"between (?:an? )?(?:x{0,2}[sml]|xx?l|small|medium|large|\d\d)\b.{0,15}\band (?:an? )?"
            r"(?:x{0,2}[sml]|xx?l|small|medium|large|\d\d)\b",
            r"measure",
            r"(?:biggest|largest|smallest|max(?:imum)?|min(?:imum)?) sizes?\b",
            r"sizes? (?:do|does) (?:you|it|they|your \w+) (?:go|come|run)",
        ),
    ),
    (
        "ordering",
        _any(
            r"place (?:an |a |my )?order",
            r"make (?:an |a )?order",
            r"make a purchase",
            r"how (?:do|can) i (?:\w+ )?(?:buy|order|purchase)",
            r"how (?:does|do) (?:the )?(?:buying|ordering|purchasing|checkout|checking out)\b",
            r"how to (?:buy|order|purchase)\b",
            r"purchase (?:some|a few|an)? ?items?",
            r"(?:buy\w*|order\w*|purchas\w*|acquire|earn|shop\w*|making|doing)\b.{0,25}"
            r"\b(?:items?|articles?|atticles?|afticles?|products?|purchase|order)\b",
        ),
    ),
]
_RULES.append(
    (
        NOT_COVERED,
        _any(
            r"warrant",
            r"guarantee",
            r"discount",
            r"coupon",
            r"voucher",
            r"promo(?:tion)?(?:al)? ?codes?",
            r"price ?match",
            r"gift ?wrap",
            r"loyalty",
            r"rewards?(?: points| program| scheme| card)",
            r"points? (?:program|scheme|card)",
            r"member(?:ship)?s? (?:program|card|discount|price)",
            r"(?:physical|brick|real|actual) (?:store|shop|location)",
            r"(?:store|shop) (?:near|location|in town)",
            r"(?:a|any|your) (?:store|shop|showroom)s? (?:in|near|around) ",
            r"try (?:things|it|them|stuff|clothes|\w+) on in (?:a |the |your )?(?:store|shop|person)",
            r"pick ?(?:it )?up in (?:a |the )?(?:store|shop)",
            r"click (?:and|&) collect",
            r"price (?:drop|adjustment|protection)",
        ),
    )
)
_POLICY_WORDS = _any(r"policy", r"policies", r"terms")


def routes(message: str) -> list[str]:
    """Every topic whose cues the message has, in priority order (out of remit first)."""
    return [topic for topic, pattern in _RULES if pattern.search(message)]


def route(message: str) -> str | None:
    for topic, pattern in _RULES:
        if pattern.search(message):
            return topic
    if _POLICY_WORDS.search(message):
        return "returns" if "return" in message.lower() else None
    return None
