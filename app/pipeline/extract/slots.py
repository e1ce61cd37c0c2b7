"""Pattern-level phrases of a shopper message: prices, sizes, references and cleared filters.

Every finder works on text already passed through ``normalize`` and returns the spans it used, so
the caller can drop them from the free-text query ("under $50" is a filter, not a product word).

Prices. A number is a price only with a currency mark ("$40", "40 bucks", "40usd") or a price
operator ("under 50", "between 20 and 40", "around 60"); a number followed by a unit ("55 inch",
"65 cm", "2 pack", "30%") or that looks like a year is never one. A bare amount with a currency
mark and no operator ("anything for 30 bucks") is read as a budget, i.e. ``price_max``. "around X"
means X ± 20 %. Amounts in other currencies are taken as the store's (USD).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.catalog.vocabulary import Vocabulary
from app.pipeline.extract.word_lists import COUNTS, ORDINALS, WORD_NUMBERS

Span = tuple[int, int]

AROUND_TOLERANCE = 0.2


def overlaps(span: Span, taken: list[Span]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in taken)


# ----------------------------------------------------------------------------- normalisation
_PUNCT = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "€": "$", "£": "$"})
_TENS = "twenty|thirty|forty|fourty|fifty|sixty|seventy|eighty|ninety"
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_WORD_NUMBER = re.compile(
    rf"\b(?:(?P<tens>{_TENS})(?:[\s-](?P<unit>{'|'.join(_UNITS)}))?"
    r"|(?P<other>a hundred|one hundred|two hundred|hundred|ten|eleven|twelve|fifteen))\b"
)


def _word_number(m: re.Match[str]) -> str:
    if m.group("tens"):
        return str(WORD_NUMBERS[m.group("tens")] + _UNITS.get(m.group("unit") or "", 0))
    return str(WORD_NUMBERS[m.group("other")])


def normalize(message: str) -> str:
    """Lower case, plain quotes and dashes, single spaces, spelled-out amounts as digits."""
    text = message.lower().translate(_PUNCT)
    text = re.sub(r"\s+", " ", text).strip()
    return _WORD_NUMBER.sub(_word_number, text)


# ----------------------------------------------------------------------------- prices
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_PRE = r"(?:\$|us\$|usd)"
_POST = r"(?:\$|usd\b|dollars?\b|bucks?\b|eur\b|euros?\b)"
_UNIT = (
    r"inch|inches|in\.|\"|''|cm\b|mm\b|ft\b|foot\b|feet\b|pack|pk\b|pcs\b|pieces?\b|pairs?\b|x\b|kg\b"
    r"|lbs?\b|ml\b|oz\b|%|percent|years?\b|yrs?\b|yo\b|months?\b|days?\b|hours?\b|mins?\b|minutes?\b|gb\b"
    r"|st\b|nd\b|rd\b|th\b|w\b|waist|colou?rs?\b|items?\b|times\b|sizes\b|people\b|options\b|stars?\b"
    r"|reviews?\b"
)
#: After a single bound, arithmetic ("2+2", "3x4") also disqualifies; a range's first number may be
#: followed by its dash.
_MATH = r"|\+\s*\d|[-*/x]\s*\d|=|vs\b|or\s+\d|and\s+\d"


def _money(name: str, *, single: bool = True) -> str:
    guard = rf"(?!\s*(?:{_UNIT}{_MATH if single else ''}))"
    return rf"(?P<{name}_pre>{_PRE})?\s*(?P<{name}>{_NUM})(?!\d)(?:\s*(?P<{name}_post>{_POST}))?{guard}"


_RANGE_WORDS = re.compile(rf"\b(?:between|from)\s+{_money('a', single=False)}\s*(?:and|to|-)\s*{_money('b')}")
_RANGE_DASH = re.compile(rf"(?<![\w.]){_money('a', single=False)}\s*(?:-|to)\s*{_money('b')}")
_AROUND = re.compile(
    r"(?:\b(?:around|about|approx(?:imately|\.)?|roughly|close to|something like|in the region of"
    rf"|give or take)|~)\s*{_money('a')}"
)
_MAX_PRE = re.compile(
    r"(?:\b(?:under|below|beneath|less th[ae]n|lower th[ae]n|cheaper th[ae]n|up to|upto|max(?:imum)?"
    r"|at most|no more th[ae]n|not more th[ae]n|nothing (?:over|above|more th[ae]n)|not over|not above"
    r"|no higher th[ae]n|within|budget(?:\s+(?:is|of))?"
    rf"|spend(?:ing)?(?:\s+at most)?)|<=?|≤)\s*{_money('a')}"
)
_MAX_POST = re.compile(
    rf"(?<![\w.]){_money('a')}\s*(?:or less|or lower|or under|or below|max(?:imum)?|and under|and below"
    r"|at most|or cheaper)\b"
)
_MIN_PRE = re.compile(
    r"(?:\b(?:over|above|more th[ae]n|at least|min(?:imum)?|starting at|starting from|greater th[ae]n"
    rf"|upwards of|higher th[ae]n|from)|>=?|≥)\s*{_money('a')}"
)
_MIN_POST = re.compile(
    rf"(?<![\w.]){_money('a')}\s*(?:\+|or more|and up|and above|and over|plus|minimum|or higher)(?![\w])"
)
_BARE = re.compile(rf"(?<![\w.#]){_money('a')}")
#: Phone numbers ("415-555-0199", "(415) 555 0199", "+44 20 7946 0958") are never prices: their
#: digit groups would otherwise read as a range ("555-0199" → $199).
_PHONE = re.compile(r"(?<![\w$.])(?:\+\d{1,3}[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}(?!\w)")
_PRICE_CONTEXT = re.compile(r"\$|\b(?:price|prices|priced|budget|spend|cost|costs|dollars?|bucks?|usd)\b")


def _amount(raw: str) -> float:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", raw):
        return float(raw.replace(",", ""))
    return float(raw.replace(",", "."))


def _has_currency(m: re.Match[str], name: str) -> bool:
    return bool(m.group(f"{name}_pre") or m.group(f"{name}_post"))


def _year_like(value: float) -> bool:
    return value.is_integer() and 1900 <= value <= 2100


@dataclass
class PriceMatch:
    price_min: float | None = None
    price_max: float | None = None
    spans: list[Span] = field(default_factory=list)


def find_prices(text: str, taken: list[Span] | None = None) -> PriceMatch:
    """Price bounds stated in ``text`` (see the module docstring for what counts as a price)."""
    taken = list(taken or []) + [m.span() for m in _PHONE.finditer(text)]
    out = PriceMatch()
    context = bool(_PRICE_CONTEXT.search(text))

    def free(m: re.Match[str]) -> bool:
        return not overlaps(m.span(), taken)

    def take(m: re.Match[str]) -> None:
        taken.append(m.span())
        out.spans.append(m.span())

    for pattern in (_RANGE_WORDS, _RANGE_DASH):
        for m in pattern.finditer(text):
            if not free(m):
                continue
            lo, hi = _amount(m.group("a")), _amount(m.group("b"))
            currency = _has_currency(m, "a") or _has_currency(m, "b")
            if pattern is _RANGE_DASH and not (currency or context):
                continue
            if not currency and (max(lo, hi) < 10 or _year_like(lo) or _year_like(hi)):
                continue  # "between 1 and 3" compares products; "2019-2020" are years
            out.price_min, out.price_max = min(lo, hi), max(lo, hi)
            take(m)
    for pattern, kind in ((_AROUND, "around"), (_MAX_PRE, "max"), (_MAX_POST, "max"), (_MIN_PRE, "min"),
                          (_MIN_POST, "min"), (_BARE, "bare")):  # fmt: skip
        for m in pattern.finditer(text):
            if not free(m):
                continue
            value = _amount(m.group("a"))
            currency = _has_currency(m, "a")
            if not currency and (
                kind == "bare" or _year_like(value) or value < (10 if kind == "around" else 5)
            ):
                continue  # "about 2 vs 3", "from 2019" and bare numbers are not prices
            if kind == "around":
                out.price_min = round(value * (1 - AROUND_TOLERANCE), 2)
                out.price_max = round(value * (1 + AROUND_TOLERANCE), 2)
            elif kind in ("max", "bare"):
                out.price_max = value
            else:
                out.price_min = value
            take(m)
    if out.price_min is not None and out.price_max is not None and out.price_min > out.price_max:
        # "over $50 under $30" contradicts itself; the range between the two numbers is what was meant
        out.price_min, out.price_max = out.price_max, out.price_min
    return out


_CHEAPER = re.compile(
    r"\b(?:cheaper|less expensive|more affordable|lower price[ds]?|too (?:expensive|pricey|pricy|much)"
    r"|(?:bit |a bit |little |too |so )?(?:pricey|pricy)|budget friendly|less pricey|not so expensive)\b"
)
_PRICIER = re.compile(
    r"\b(?:pricier|more expensive|higher end|high end|more premium|fancier|better quality)\b"
)


def find_relative_price(text: str) -> tuple[str | None, list[Span]]:
    """("cheaper" | "pricier" | None, spans) for comparative price wishes without a number."""
    for word, pattern in (("cheaper", _CHEAPER), ("pricier", _PRICIER)):
        spans = [m.span() for m in pattern.finditer(text)]
        if spans:
            return word, spans
    return None, []


# ----------------------------------------------------------------------------- sizes
_LETTER = r"xxxl|xxl|2xl|3xl|xxs|xs|xl|s|m|l"
_WORD = r"x-large|x-small|xx-large|extra[ -]small|extra[ -]large|small|medium|large"
_SIZE_ANY = rf"{_LETTER}|{_WORD}|\d{{1,2}}(?:\.5)?"
_EXPLICIT = re.compile(rf"\b(?:size|sz|sized)\b\s*[:#]?\s*(?P<v>{_SIZE_ANY})(?![\w-])")
#: "in M", "in a small": not "in London" (a word goes on), "in M&S" (a name) or "in L.A." (an abbreviation).
_NOT_A_SIZE_AFTER = r"(?![\w'&-]|\.\w)"
_IN_SIZE = re.compile(rf"\bin\s+(?:an?\s+)?(?P<v>{_LETTER}|{_WORD}){_NOT_A_SIZE_AFTER}")
#: "in 32", "in a 30": a two-digit size after "in" — only read in a question about a variant, and
#: only when the catalog carries it ("in 10 days" is not a size: 10 is none, and "days" follows).
_IN_NUMBER = re.compile(r"\bin\s+(?:an?\s+)?(?P<v>\d{2})(?![\w.%$,&-])(?!\s*[a-z])")
_WAIST = re.compile(
    r"\bwaist\s*(?:size\s*)?(?P<v>\d{2})\b|\b(?P<v2>\d{2})\s*(?:inch\s*|in\s*|\"\s*)?waist\b"
    r"|\bw\s?(?P<v3>\d{2})\b|\b(?P<v4>\d{2})w\b"
)
_LETTERS_ALONE = re.compile(r"(?<![\w-])(?P<v>xxxl|xxl|2xl|3xl|xxs|xs|xl)(?![\w-])")
_WORDS_ALONE = re.compile(rf"(?<![\w-])(?P<v>{_WORD})(?![\w-])")
_DELIMITED = re.compile(r"(?:^|[,;/]\s*|\s)(?P<v>xs|s|m|l|xl)\s*(?=[,;/]|[.!?]*$)")
_LONE = re.compile(rf"^(?:in\s+)?(?:an?\s+)?(?P<v>{_LETTER})\s*(?:please|pls|plz|thanks)?[\s.!?]*$")
_NUMBER = re.compile(r"(?<![\w.$#,-])(?P<v>\d{2})(?![\w.%$,-])")


def canonical_size(vocab: Vocabulary, raw: str) -> str | None:
    raw = raw.replace("-", " ") if raw not in ("x-large", "x-small", "xx-large") else raw
    return {"2xl": "XXL", "3xl": None, "xxxl": None}.get(raw, vocab.canonical_size(raw))


def find_size(
    text: str,
    vocab: Vocabulary,
    taken: list[Span],
    *,
    sized: bool,
    waist: bool,
    variant: bool = False,
) -> tuple[str | None, list[Span]]:
    """The one size the shopper asks for, and the spans used.

    ``sized`` is False for product types without clothing sizes (bags, watches), where "small" and
    "large" describe the product; ``waist`` is True for bottoms, where a bare "32" is a waist size.
    ``variant`` is True for a question about a product's variants ("is it in stock in M?"): there
    "in M", "in a small" and "in 32" name the variant asked about whatever product type the
    conversation remembers — the product is the one referred to ("it", "the second one", a name),
    often of no remembered type, and its own variants decide whether the size exists.
    An explicit "size 9" that the catalog does not carry still consumes its span but yields None.
    """
    candidates: list[tuple[re.Pattern[str], bool]] = [
        (_EXPLICIT, True),
        (_WAIST, True),
        (_IN_SIZE, sized or variant),
        (_IN_NUMBER, variant),
        (_LETTERS_ALONE, True),
        (_WORDS_ALONE, sized),
        (_DELIMITED, sized),
        (_LONE, True),
        (_NUMBER, waist),
    ]
    for pattern, allowed in candidates:
        if not allowed:
            continue
        for m in pattern.finditer(text):
            if overlaps(m.span(), taken):
                continue
            raw = next(g for g in m.groups() if g)
            value = canonical_size(vocab, raw)
            if pattern in (_NUMBER, _IN_NUMBER) and value is None:
                continue
            return value, [m.span()]
    return None, []


# ----------------------------------------------------------------------------- references
_ORD = "|".join(sorted(ORDINALS, key=len, reverse=True))
_ORDINAL = re.compile(rf"\b(?P<o>{_ORD}|last)\b(?:\s+(?P<n>two|three|four|five|[2-5])\b)?")
_ORD_BEFORE = re.compile(r"(?:\bat|\bthe very)\s+$")
_ORD_AFTER_BAD = re.compile(
    r"^\s*(?:time|times|year|week|month|season|night|order|visit|thing|of all|date)\b"
)
_NUMBERED = re.compile(
    r"(?:#\s*|\b(?:number|no\.?|nr\.?|item|option|product|result|pick)\s*#?\s*)(?P<n>\d{1,2})\b"
)
_PAIR = re.compile(
    r"(?<![\w.$#])(?P<a>\d{1,2})\s*(?:or|and|vs\.?|versus|&|,|with)\s*(?P<b>\d{1,2})(?![\w.%$])"
)


def find_references(
    text: str, taken: list[Span], shown: int, *, bare_pairs: bool
) -> tuple[list[int], list[Span]]:
    """1-based positions the shopper points at, in the order mentioned.

    "the last one" is -1 (the cart stage resolves it against the results on screen); "the last
    two" resolves to real positions only when ``shown`` (how many results were shown) is known.
    Bare numbers count only in ``bare_pairs`` mode (a comparison: "1 or 3", "2 vs 4").
    """
    found: list[tuple[int, int]] = []  # (offset, position)
    spans: list[Span] = []
    for m in _ORDINAL.finditer(text):
        if overlaps(m.span(), taken) or _ORD_BEFORE.search(text[: m.start()]):
            continue
        if _ORD_AFTER_BAD.search(text[m.end("o") :]):
            continue
        word, count = m.group("o"), COUNTS.get(m.group("n") or "", 0)
        if word == "last":
            if count and shown:
                found += [(m.start(), p) for p in range(max(1, shown - count + 1), shown + 1)]
            else:
                found.append((m.start(), -1))
        elif word in ("first", "1st") and count:
            found += [(m.start(), p) for p in range(1, count + 1)]
        else:
            found.append((m.start(), ORDINALS[word]))
        spans.append(m.span())
    for m in _NUMBERED.finditer(text):
        if not overlaps(m.span(), taken):
            found.append((m.start(), int(m.group("n"))))
            spans.append(m.span())
    if bare_pairs:
        for m in _PAIR.finditer(text):
            a, b = int(m.group("a")), int(m.group("b"))
            if not overlaps(m.span(), taken + spans) and 0 < a <= 20 and 0 < b <= 20:
                found += [(m.start("a"), a), (m.start("b"), b)]
                spans.append(m.span())
    positions: list[int] = []
    for _, pos in sorted(found, key=lambda t: t[0]):
        if pos != 0 and pos not in positions:
            positions.append(pos)
    return positions, spans


# ----------------------------------------------------------------------------- cleared filters
_FIELDS: dict[str, list[str]] = {
    "color": ["color"],
    "colour": ["color"],
    "size": ["size"],
    "brand": ["brand"],
    "material": ["material"],
    "fabric": ["material"],
    "price": ["price_min", "price_max"],
    "budget": ["price_min", "price_max"],
    "gender": ["gender"],
}
_FIELD = r"(?P<f>colou?r|size|brand|material|fabric|price|budget|gender)s?"
_CLEARS = [
    re.compile(rf"\b(?:any|whatever|all|every|other|different)\s+{_FIELD}\b"),
    re.compile(
        r"\b(?:forget|drop|remove|ignore|clear|skip|never ?mind|don'?t care about|dont care about|lose)"
        rf"\s+(?:about\s+)?(?:the\s+|my\s+|that\s+)?{_FIELD}\b"
    ),
    re.compile(rf"\b{_FIELD}\s+(?:doesn'?t|does not|don'?t|do not|won'?t)\s+matter\b"),
    re.compile(rf"\bno\s+{_FIELD}(?:\s+(?:limit|preference|restriction|cap|range))?\b"),
    re.compile(r"\b(?P<f>money) is no object\b"),
]
_CLEAR_ALL = re.compile(
    r"\b(?:start over|start again|clear (?:all )?(?:the )?filters|reset(?: the)? filters"
    r"|remove (?:all )?(?:the )?filters)\b"
)
ALL_FIELDS = ["category", "gender", "color", "size", "material", "brand", "price_min", "price_max"]


def find_clears(text: str) -> tuple[list[str], list[Span]]:
    """Filter names the shopper drops ("any colour", "no price limit", "forget the brand")."""
    if m := _CLEAR_ALL.search(text):
        return list(ALL_FIELDS), [m.span()]
    cleared: list[str] = []
    spans: list[Span] = []
    for pattern in _CLEARS:
        for m in pattern.finditer(text):
            key = "price" if m.group("f") == "money" else m.group("f").rstrip("s")
            for name in _FIELDS.get(key.replace("colour", "color"), []):
                if name not in cleared:
                    cleared.append(name)
            spans.append(m.span())
    return cleared, spans
