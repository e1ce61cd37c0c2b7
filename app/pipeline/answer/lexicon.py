"""Closed word lists of the product-QA decision rule (``qa``): words a question's content never
rests on, opposites, parts, extra materials and measurement units."""

from __future__ import annotations

import re

from app.pipeline.extract.word_lists import FUNCTION_WORDS

STOP = FUNCTION_WORDS | frozenset(
    [
        "actually",
        "again",
        "enough",
        "whats",
        "also",
        "either",
        "even",
        "exactly",
        "guys",
        "hey",
        "maybe",
        "perhaps",
        "pls",
        "probably",
        "still",
        "sure",
        "thanks",
        "then",
        "well",
        "wondering",
        "anything",
        "are",
        "as",
        "available",
        "be",
        "been",
        "being",
        "bit",
        "but",
        "buy",
        "come",
        "comes",
        "coming",
        "could",
        "did",
        "doe",
        "fit",
        "fits",
        "get",
        "go",
        "good",
        "got",
        "had",
        "if",
        "it's",
        "item",
        "just",
        "kind",
        "know",
        "like",
        "lot",
        "made",
        "make",
        "many",
        "much",
        "need",
        "offer",
        "offered",
        "ok",
        "okay",
        "please",
        "product",
        "really",
        "should",
        "so",
        "something",
        "sort",
        "tell",
        "their",
        "them",
        "there",
        "they",
        "thing",
        "too",
        "type",
        "us",
        "use",
        "used",
        "using",
        "very",
        "want",
        "was",
        "wear",
        "were",
        "who",
        "will",
        "worn",
        "would",
    ]
)
#: Phrase-level opposites: a question naming the key, on a product whose text states a value,
#: is answered ``no`` with that span ("is it a pullover?" on "Gray full zip hoodie").
PHRASE_OPPOSITES: dict[str, tuple[str, ...]] = {
    "full zip": ("pullover", "half zip", "1/4 zip", "quarter zip"),
    "full-zip": ("pullover", "half zip", "1/4 zip", "quarter zip"),
    "pullover": ("full zip", "full-zip", "zip-up"),
    "low rise": ("high-waisted", "high waisted", "high-rise", "high rise"),
    "low-rise": ("high-waisted", "high waisted", "high-rise", "high rise"),
    "high waisted": ("low-rise", "low rise"),
    "high-waisted": ("low-rise", "low rise"),
    "high rise": ("low-rise", "low rise"),
    "v neck": ("crew neck", "crewneck", "crew-neck", "scoop neck", "roll neck", "mock-neck", "round neck"),
    "v-neck": ("crew neck", "crewneck", "crew-neck", "scoop neck", "roll neck", "mock-neck", "round neck"),
    "crew neck": ("v-neck", "v neck", "scoop neck"),
    "crewneck": ("v-neck", "v neck", "scoop neck"),
    "scoop neck": ("v-neck", "v neck", "crew neck", "crewneck"),
    "full length": ("3/4 sleeve", "short-sleeve", "short sleeve", "cropped", "capri"),
    "full-length": ("3/4 sleeve", "short-sleeve", "short sleeve", "cropped", "capri"),
}
#: Parts of a product an opposite may be stated about (``_other_part``).
PARTS = frozenset(
    [
        "sleeve",
        "sleeves",
        "leg",
        "legs",
        "inseam",
        "hem",
        "strap",
        "straps",
        "band",
        "waistband",
        "hood",
        "collar",
        "cuffs",
        "cuff",
        "zipper",
        "zip",
        "pocket",
        "pockets",
        "liner",
        "lining",
        "sole",
        "heel",
        "toe",
        "laces",
        "handle",
        "handles",
        "buckle",
        "clasp",
    ]
)
#: Materials a question may ask about, beyond the store taxonomy's (checked by ``_material``).
EXTRA_MATERIALS = ("steel", "stainless steel", "plastic", "nylon", "rubber", "metal", "silicone", "aluminum")
UNITS = {
    "inch": ('"', "in", "inch", "inches", "”", "''"),
    "lb": ("lb", "lbs", "pound", "pounds"),
    "cm": ("cm",),
    "oz": ("oz", "ounce", "ounces"),
}
NUM = re.compile(
    r'(\d+(?:\.\d+)?)\s*(inches|inch|in\b|"|”|\'\'|lbs|lb|pounds|pound|cm|oz|ounces|ounce)', re.I
)
_CLOSE_FIT = (
    "snug",
    "slim",
    "fitted",
    "tight",
    "compression",
    "form-fitting",
    "body hugging",
    "body-hugging",
)
_LOOSE_FIT = ("loose", "relaxed")  # not "roomy" ("a roomy neckline"), nor "baggy" ("beneath a baggy tee")
OPPOSITES: dict[str, tuple[str, ...]] = {
    "loose": _CLOSE_FIT,
    "baggy": _CLOSE_FIT,
    "tight": _LOOSE_FIT,
    "fitted": _LOOSE_FIT,
    "slim": _LOOSE_FIT,
    "heavy": ("light", "lightweight", "mid weight", "midweight"),
    "heavyweight": ("light", "lightweight", "mid weight", "midweight"),
    "rubber": ("leather",),
    "plastic": ("leather", "metal", "steel"),
    "long": ("short", "cropped"),
    "short": ("long", "full-length"),
    "included": ("sold separately", "not included"),
}
#: Words around a material that add no claim of their own ("is it mostly cotton?").
MATERIAL_HEDGES = frozenset(
    {"mostly", "made", "contain", "contains", "material", "fabric", "real", "genuine", "any"}
)
#: Colour names a "light"/"dark" before them turns into a shade ("Light blue"), not a weight.
COLOUR_WORDS = frozenset(
    {"black", "blue", "brown", "gray", "grey", "green", "orange", "pink", "purple", "red", "white", "yellow",
     "beige", "navy", "heather", "heathered", "khaki", "olive", "tan"}
)  # fmt: skip
#: Parts named by other words: a watch "band" is its strap, a "waistband" its waist.
PART_SAME = {"band": "strap", "bands": "strap", "straps": "strap", "waistband": "waist", "lining": "liner"}
#: Words that say nothing without the word they follow ("wrinkle free", "stain resistant").
DEPENDENT = frozenset({"free", "resistant", "proof", "friendly", "safe", "repellent"})
#: What a question word also means in a product's text: a shopper asks about rain, the text says
#: "water-repellent"; about smell, the text says "odor-resistant". Keyed by word or 5-letter stem;
#: only words whose every listed reading answers the question (not "waterproof" for
#: "water-resistant": a stronger claim is never read into a weaker one).
_WATER = r"water[- ]?(?:repellent|resistant|resistance|proof)|waterproof|repels? water|rain"
SYNONYMS: dict[str, re.Pattern[str]] = {
    k: re.compile(r"\b(?:" + v + r")", re.I)
    for k, v in {
        "rain": _WATER,
        "rainy": _WATER,
        "rains": _WATER,
        "showe": _WATER,  # showers
        "smell": r"odou?r|stink|anti-?microbial",
        "smelly": r"odou?r|stink|anti-?microbial",
        "stink": r"odou?r|stink|anti-?microbial",
        "odour": r"odou?r",
        "phone": r"device|media|cell phone|phones?\b|mp3|audio",
        "cycli": r"bikes?\b|biking|cycling|riding a bike",
        "bike": r"bikes?\b|biking|cycling",
        "bikin": r"bikes?\b|biking|cycling",
        "warm": r"warmth|toasty|insulat|body heat|traps? (?:\w+ ){0,2}heat",
        "steps": r"pedometer|steps\b",
        "step": r"pedometer|steps?\b",
        "windp": r"wind[- ]?(?:proof|resistant)|blocks? (?:\w+ ){0,2}winds?\b|wind protection",
    }.items()
}
#: The part a measure of the body is taken on ("an 8 inch wrist" is what the strap fits).
MEASURED_BY = {"wrist": "strap", "wrists": "strap", "waist": "waistband", "leg": "inseam", "legs": "inseam"}
