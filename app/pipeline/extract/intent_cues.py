"""Cue phrases for the intents that are decided by *how* the shopper speaks rather than by which
catalog words they use: checkout, add to cart, compare, product questions, small talk and
clearly-not-shopping requests. Search versus refine is decided in ``rules.py`` from the catalog
terms and the conversation state.

Cues are checked in a fixed priority (see ``RulesExtractor._intent``): "buy everything in my cart"
is a checkout before it is an add-to-cart, "which is cheaper, 1 or 2" is a comparison before it is
a price refinement. Each cue is a list of regex fragments joined into one alternation, so a new
phrasing is one more list item.
"""

from __future__ import annotations

import re


def _any(*fragments: str, bounded: bool = True) -> str:
    body = "|".join(fragments)
    return rf"\b(?:{body})\b" if bounded else f"(?:{body})"


CHECKOUT = re.compile(
    _any(
        r"check ?out(?!\s+(?:the|these|this|those|some|your|any|our|new|what|how))",
        r"checking out",
        r"ready to (?:pay|order|check ?out)",
        r"(?:place|complete|finish|submit|confirm|finali[sz]e) (?:my |the |this )?(?:order|purchase)",
        r"proceed to (?:pay|payment|checkout)",
        r"let'?s pay|pay now|i'?ll pay|how (?:do|can) i pay|take my money",
        r"go to (?:the )?(?:checkout|payment)",
        r"(?:buy|order|purchase) (?:everything|all)(?: the stuff)? (?:in|from) (?:my |the )?(?:cart|basket)",
        r"pay for (?:my |the )?(?:order|cart|items|stuff)",
        r"^pay(?: now| please| for (?:it|this|them))?[.!]*$",
        r"buy(?: it| them| this| these| everything)? now",  # the shop button's words
    )
)

#: A pointer at shown products: pronouns, "the blue one", "the second", "#2", "number 3".
_REF = (
    _any(
        r"it|this|that|these|those|them|both",
        r"the (?:\w+ )?(?:one|pair|item)",
        r"the (?:first|second|third|fourth|fifth|last|\d(?:st|nd|rd|th))",
        r"#\s*\d|number \d|\d(?:st|nd|rd|th) one",
        bounded=False,
    )
    + r"(?!\w)"
)
ADD_TO_CART = re.compile(
    "|".join(
        [
            _any(r"add(?:ing)? (?:it|this|that|these|those|them|both|one|the|#|\d|number|item)"),
            _any(r"add(?:ing)? (?:it |them )?to (?:my |the )?(?:cart|basket|bag)"),
            _any(r"(?:i'?ll|i will|ill|let me|lemme|i'?m gonna|gonna) (?:take|have|grab)"),
            _any(r"buy|purchase|order|grab|get me|get|take|want|need|i'?ll have") + rf" {_REF}",
            _any(r"i'?d like|id like|i would like") + rf" {_REF}",
            _any(r"(?:put|throw|stick|place|pop) .{0,40}\b(?:in|into|to) (?:my |the )?(?:cart|basket|bag)"),
            _any(r"to (?:my |the )?(?:cart|basket|trolley)"),
            r"^(?:add|buy)[.!]*$",
        ]
    )
)

COMPARE = re.compile(
    _any(
        r"compare|comparing|comparison|vs\.?|versus|differences?|pros and cons|side by side",
        r"better than|worse than|better choice|which'?s",
        r"which (?:one |of (?:them|these|those|the two|the \w+)\s*)?(?:is|would|should|do|'s|to|one)",
        r"how do (?:they|these|those|the .{1,40}) compare",
    )
)

_LEAD = r"^(?:so |and |ok |okay |hmm |but |also )?"
QUESTION = re.compile(
    _LEAD
    + _any(r"does|do|is|are|can|could|will|would|what|whats|what'?s|how|which|where|who|when|tell me|any")
    + r"|\?\s*$"
)
PRONOUN = re.compile(_any(r"it|its|it'?s|this|that|these|those|they|them"))
#: "do you have these in black?" asks what the store has (a refinement), not about one product.
AVAILABILITY = re.compile(
    _any(
        r"(?:do|does) (?:you|u|ya|y'?all) (?:have|sell|carry|stock|got)",
        r"(?:got|have you got|is there|are there) any",
        r"any (?:in|of)",
    )
)
DEFINITE_QUESTION = re.compile(_LEAD + _any(r"does|do|is|are|can|could|will|would") + r" the\b")
PRODUCT_QUESTION = re.compile(
    _any(
        r"tell me (?:more )?about|more (?:info|information|details) (?:on|about)|details (?:on|of|about)",
        r"reviews?|rated|rating|true to size|runs? (?:small|large|big)|machine wash|washable",
        r"waterproof|water resistant|in stock|made (?:of|from)|what (?:material|fabric|sizes?|colou?rs?)",
        r"how much (?:is|are|does)|what'?s the price of|come in|comes in|available in|fit|fits",
    )
)

SMALLTALK = re.compile(
    r"^(?:hi+|hello+|hey+|hiya|howdy|yo|sup|good (?:morning|afternoon|evening|night)|what'?s up)\b|"
    + _any(
        r"thanks?|thank you|thx|ty|tysm|cheers|much appreciated|bye|goodbye|see (?:you|ya)",
        r"who are you|what are you|are you (?:a )?(?:bot|human|real|robot|ai|person)|who made you",
        r"what can you do|how does (?:this|it) work|how do (?:you|i use this|i use you) work|what is this",
        r"can you help(?: me)?|how are (?:you|u)|your name|nice to meet you",
        r"you'?re (?:\w+ )?(?:awesome|great|amazing|the best|helpful|funny|smart|cool|nice|welcome)",
        r"have a (?:good|nice|great) (?:day|one)",
    )
)
#: Questions about the store rather than its products; with no product words they are small talk.
STORE_HELP = re.compile(
    _any(
        r"shipping|ship to|ship internationally|deliver(?:y|ies)?|return policy|returns?|refunds?|exchanges?",
        r"opening hours|store hours|(?:what time|when) do you (?:open|close)|are you open",
        r"discount codes?|promo codes?|coupons?|vouchers?|gift cards?|size guide|size chart",
        r"track(?:ing)? (?:my )?order|where is my order|payment methods?|pay with|paypal",
        r"contact (?:you|support|customer service)|customer service",
    )
)


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


#: Words that, alone, make a message an acknowledgement ("ok cool", "lol ok", "perfect").
ACKNOWLEDGEMENTS = _wordset(
    """ok okay k kk cool great nice awesome perfect sure alright lol haha hmm yes yeah yep no nope nah
    good fine wow oh that's thats is very really helpful love it got np"""
)

OUT_OF_SCOPE = re.compile(
    _any(
        r"weather|forecast|flights?|hotels?|train tickets?|taxi|uber|restaurant|pizza|directions to|how far",
        r"jokes?|poems?|poetry|songs?|lyrics|music|movies?|films?|tv shows?|netflix|horoscope|lottery",
        r"recipes?|cook|cooking|news|president|prime minister|capital of|world cup|election|population",
        r"football match|soccer match|scores?|the game|stock market|stock price|bitcoin|crypto",
        r"translate|translation",
        r"homework|math|maths|calculate|what time is it|time is it|wifi|my computer|write code|coding",
        r"python|javascript|essay|doctor|symptoms|lawyer|who won|meaning of life|tell me a story",
        r"write (?:me )?(?:an? |my )?(?:email|letter|cover letter|speech|essay|story|poem)",
        r"how (?:tall|old|high|deep)|who (?:is|was) (?:the )?(?:president|king|queen|ceo|inventor)",
        r"book (?:me )?a (?:table|flight|room|hotel|ticket)|play (?:some|a|me)",
        r"set (?:an? )?(?:alarm|timer|reminder)|call my|text my|email my",
    )
    # arithmetic; a bare "a/b" is a size as often as a sum ("205/55 R16" tyres, "3/4 sleeve")
    + r"|\b\d+\s*[+*^=]\s*\d+|\bwhat(?:'?s| is) \d+\s*[-x/]\s*\d+"
)

#: Phrases announcing a new need rather than a narrowing of the current one.
NEW_NEED = re.compile(
    _any(
        r"now|also|next|instead|actually|i need|i'?m looking for|looking for|i want|show me",
        r"do you (?:have|sell)|what about|how about|got any|anything",
    )
)
