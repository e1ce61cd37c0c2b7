"""Closed word lists the rules extractor needs besides the store vocabulary.

Kept apart from the parsing code so the lists can grow without touching logic. Three kinds:

* ``FILLER`` — words that carry no product meaning and are dropped from ``ShoppingTurn.query``.
* ``PROTECTED`` — ordinary English words that sit one typing error away from a catalog word
  ("thanks" → "tanks", "weather" → "leather", "speakers" → "sneakers", "sport" → "short"). The typo
  corrector never rewrites them. Words of four letters or fewer are never corrected at all.
* ``WORD_NUMBERS`` — spelled-out amounts shoppers use for prices ("under fifty bucks").
"""

from __future__ import annotations


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


FILLER: frozenset[str] = _wordset(
    """
    a about actually again all also am an make makes made and another any anything are around as at
    available be been
    but buy can could do does doing else ever for from get gets give go going got gotta had has have
    hello help hey hi hmm hm how i i'd i'll i'm id ill im in instead into is it it's its just kind kinda
    let let's lets like look looking lookin maybe me mind more much my need needs new next no not now of
    oh ok okay on one ones or other our please pls plz pretty prefer preferably probably purchase rather
    really see sell sells shop shopping show showing so some something sort still stock such sure than
    thank thanks that that's the them then there these they thing things think this those to too try u
    uh um us very wanna want wanted wants was we well were what what's whats which will wish with
    would ya yeah yes yo you you've your
    please thx ty carry carries offer options option stuff item items piece pieces
    price priced prices cost costs costing budget dollar dollars bucks usd eur euro euros
    size sized sizes waist colour color colours colors coloured colored shade material made fabric
    brand brands by
    add check out range wear wearing off he she his hers good morning evening afternoon
    thats whats dont cant wont isnt doesnt ive youre theyre theres hows wheres
    """
)

#: Common words that must never be "corrected" into a catalog term by the typo corrector.
PROTECTED: frozenset[str] = _wordset(
    """
    about above actually after again alive almost along alright always amazing another anyone anything
    arrange change changes range ranges strange
    anyway around articles asked aside awesome ballet beach beaches being below better between bills
    birthday blank bluetooth boats books boost bored boring bought boxes brand brands bread brief bring
    brush build built bumps buying candy catch cards carts catches cause cents chair chairs cheap
    cheaper cheapest check cheers chess choose chose clean clear clock close clothes cloud coach coast
    coffee colder color colors colour colours comes comfy cooler costs could couch count cover crazy
    cured curly curry dance dates dealt doing dollar dollars dream dreams drink driving
    during early earth eaten enough every exact extra fancy feather feels fellow fever fewer fields
    fight fights final finds first fixed flies floor flour focus found fresh front funny games gifts
    given giving glass glasses goods grand great greet grown guess guide handy happy hasn't having heard
    heart heavy hello hints hobby holds horse hours house hurts ideas imagine items jumps kinda knows
    large later least leave lemme level lights lined liner links lists little looks loves lower lucky
    lunch makes males match matches maybe means metals miles minds model money month moody mouse movie
    music needs never night nights noted notes other paint paints paper parts party paste phone pints
    place plain plans plant plays please plenty point power press price prices print prior prize proud
    quick quite radio rather reach ready rests right rights rings rocks rolled rules sales saved saying
    scare scary scene score sells sense shall shape shapes share sheet shelf shift shine shops
    shots shows sides sight since skate skill sleep slide small smart smell solid sorry
    sound space spare speak speaker speakers spell spend spent sport sports sporty stack staff stand
    stars start state steal stick still stock stocks store stores story strip stuff style sucks super
    sweet table taken takes talks taste teach tests thank thanks their there these thing things think
    those three tight times today told tones tonic total touch tough towns track trade trained trip
    truck trucks trust truth under until usual value walls wanted watched water wears weather weird
    wheels where which while whole wider winds wings without words world worry
    worse worth would write wrong years yield young
    """
)

#: Spelled-out numbers shoppers use for money. Units one–nine are deliberately absent: they are
#: references ("the first two", "pick one"), not prices.
WORD_NUMBERS: dict[str, int] = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a hundred": 100,
    "one hundred": 100,
    "two hundred": 200,
}

#: Ordinal words and their 1-based position.
ORDINALS: dict[str, int] = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "sixth": 6,
    "6th": 6,
    "seventh": 7,
    "7th": 7,
    "eighth": 8,
    "8th": 8,
    "ninth": 9,
    "9th": 9,
    "tenth": 10,
    "10th": 10,
}

#: Cardinals after "first"/"last" ("the first two", "the last 3").
COUNTS: dict[str, int] = {"two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5}

#: Product types whose items have no clothing size, so "small"/"large" there describe the item
#: ("a small backpack"), not a size filter.
UNSIZED_CATEGORIES: frozenset[str] = frozenset(
    {"bags", "watches", "fitness equipment", "wallets", "jewellery", "sunglasses", "belts", "ties", "scarves"}
)

#: Product types sized by waist (28–36) rather than letters, so a bare "32" is a size there.
WAIST_CATEGORIES: frozenset[str] = frozenset({"pants", "jeans", "shorts"})


#: English function words: never a product name word nor evidence in a product answer
#: (``app.pipeline.references`` and ``app.pipeline.answer.qa`` each add their own).
FUNCTION_WORDS: frozenset[str] = _wordset(
    """
    a about an and any at by can do does for from has have how i in is it its me my of on one
    ones or our some that the these this those to we what which with you your
    """
)
