"""The schema the LLM fills for extraction, and the validators that normalise what models return.

The model mirrors ``ShoppingTurn`` but flat (small models fill flat objects far more reliably than
nested ones) and with a ``relative_price`` word instead of arithmetic: "cheaper" becomes
``relative_price="cheaper"`` and ``to_shopping_turn`` applies the same 0.8 × rule as the rules
backend, so the model never has to multiply.

Validators are ``mode="before"`` and forgiving on purpose — they turn what real models send into
the store's vocabulary instead of failing the turn:

* the strings ``"null"``, ``"none"``, ``"any"``, ``""`` are ``None``;
* prices arrive as ``"$50"``, ``"50 dollars"``, ``"50.00"``; a number with a unit that is not money
  (``"55 inch"``, ``"10 kg"``) is not a price and is dropped;
* colours, categories, materials, sizes, genders and brands are mapped onto the catalog vocabulary
  (``"navy"`` → ``blue``, ``"trainers"`` → ``sneakers``); a value the store does not know is dropped,
  since a filter the index cannot match would silently hide every product.

The vocabulary and brand list come from instructor's validation context (``info.context``), so the
same schema validates against whichever catalog the app was built on.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from app.catalog.vocabulary import Vocabulary, load_vocabulary
from app.domain.turn import ConversationState, Filters, Intent, ShoppingTurn

CHEAPER_FACTOR = 0.8
NULLS = frozenset({"", "null", "none", "nil", "n/a", "na", "any", "unknown", "unspecified", "-"})
FILTER_NAMES = frozenset(Filters.model_fields)
_MONEY = re.compile(
    r"^(?:(?:under|below|over|above|less than|more than|around|about|max|min|up to)\s+)?"
    r"(?:us)?\$?\s*(\d{1,6}(?:,\d{3})*(?:\.\d+)?)\s*(?:\$|usd|dollars?|bucks|eur|euros?|€)?$"
)
_INTENT_ALIASES = {
    "add to cart": Intent.add_to_cart,
    "add": Intent.add_to_cart,
    "buy": Intent.add_to_cart,
    "purchase": Intent.checkout,
    "question": Intent.product_question,
    "greeting": Intent.smalltalk,
    "small talk": Intent.smalltalk,
    "other": Intent.out_of_scope,
    "out of scope": Intent.out_of_scope,
}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}


def is_null(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in NULLS)


def parse_price(value: Any) -> float | None:
    """A price in store currency from what a model wrote, or None when it is not a price."""
    if is_null(value) or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    m = _MONEY.match(value.strip().lower())
    return float(m.group(1).replace(",", "")) if m else None


def _vocab(info: ValidationInfo) -> Vocabulary:
    ctx = info.context or {}
    vocab = ctx.get("vocabulary")
    return vocab if isinstance(vocab, Vocabulary) else load_vocabulary()


def canonical(field: str, value: str, vocab: Vocabulary, brands: list[str]) -> str | None:
    """``value`` in the store's spelling for filter ``field``, or None when the store lacks it."""
    v = value.strip()
    if field == "category":
        return vocab.canonical_type(v)
    if field == "color":
        return vocab.canonical_color(v)
    if field == "material":
        return vocab.canonical_material(v)
    if field == "size":
        return vocab.canonical_size(v)
    if field == "gender":
        found = vocab.genders_in(v)
        return found[0] if found else None
    if field == "brand":
        by_fold = {b.casefold(): b for b in brands}
        return by_fold.get(v.casefold())
    return v


class LlmExtraction(BaseModel):
    """What the shopper wants in this message. Use null for anything the message does not say."""

    intent: Intent = Field(
        description="search (a new product need), refine (narrow/adjust the current search), compare, "
        "product_question, add_to_cart, checkout, smalltalk, out_of_scope (not about this store's products)."
    )
    query: str = Field(
        default="", description="Descriptive words of the wanted product, without colour/size/price words."
    )
    category: str | None = Field(default=None, description="One store product type, e.g. 'jackets'.")
    gender: str | None = Field(default=None, description="'women' or 'men'.")
    color: str | None = Field(default=None, description="One store colour, e.g. 'black'.")
    size: str | None = Field(default=None, description="One store size: XS, S, M, L, XL, XXL or waist 28-36.")
    material: str | None = Field(default=None, description="One store material, e.g. 'leather'.")
    brand: str | None = Field(default=None, description="A store brand, spelled as the store does.")
    price_min: float | None = Field(default=None, description="Lower price bound in USD ('over $40').")
    price_max: float | None = Field(default=None, description="Upper price bound in USD ('under $50').")
    relative_price: Literal["cheaper", "pricier"] | None = Field(
        default=None, description="'cheaper' or 'pricier' when the shopper asks relative to the last results."
    )
    new_search: bool = Field(default=False, description="True when the shopper starts over with a new need.")
    cleared: list[str] = Field(default_factory=list, description="Filter names the shopper drops.")
    referenced: list[int] = Field(
        default_factory=list,
        description="1-based positions in the last results ('the second one' → [2]; last → -1).",
    )

    @field_validator("intent", mode="before")
    @classmethod
    def _intent(cls, v: Any) -> Any:
        if isinstance(v, str):
            key = v.strip().lower().replace("-", " ")
            if key in _INTENT_ALIASES:
                return _INTENT_ALIASES[key]
            return key.replace(" ", "_")
        return v

    @field_validator("query", mode="before")
    @classmethod
    def _query(cls, v: Any) -> str:
        return "" if is_null(v) else str(v).strip()

    @field_validator("category", "gender", "color", "size", "material", "brand", mode="before")
    @classmethod
    def _vocabulary(cls, v: Any, info: ValidationInfo) -> str | None:
        if is_null(v):
            return None
        if isinstance(v, list):  # "one value" — keep the first the store knows
            v = next((x for x in v if not is_null(x)), None)
            if v is None:
                return None
        brands = list((info.context or {}).get("brands", []))
        return canonical(str(info.field_name), str(v), _vocab(info), brands)

    @field_validator("price_min", "price_max", mode="before")
    @classmethod
    def _price(cls, v: Any) -> float | None:
        return parse_price(v)

    @field_validator("relative_price", mode="before")
    @classmethod
    def _relative(cls, v: Any) -> str | None:
        if is_null(v):
            return None
        word = str(v).strip().lower()
        if word in ("cheaper", "less expensive", "lower"):
            return "cheaper"
        if word in ("pricier", "more expensive", "higher"):
            return "pricier"
        return None

    @field_validator("new_search", mode="before")
    @classmethod
    def _flag(cls, v: Any) -> Any:
        return False if is_null(v) else v

    @field_validator("cleared", mode="before")
    @classmethod
    def _cleared(cls, v: Any) -> list[str]:
        if is_null(v):
            return []
        items = v if isinstance(v, list) else [v]
        return [str(x).strip().lower() for x in items if str(x).strip().lower() in FILTER_NAMES]

    @field_validator("referenced", mode="before")
    @classmethod
    def _referenced(cls, v: Any) -> list[int]:
        if is_null(v):
            return []
        out: list[int] = []
        for x in v if isinstance(v, list) else [v]:
            word = str(x).strip().lower()
            n = _ORDINALS.get(word) if not word.lstrip("-").isdigit() else int(word)
            if n is not None and (n == -1 or 1 <= n <= 20):
                out.append(n)
        return out


def to_shopping_turn(x: LlmExtraction, state: ConversationState) -> ShoppingTurn:
    """The pipeline's ``ShoppingTurn``, with the same per-intent conventions as the rules backend:
    searches carry every filter, add-to-cart only size and colour, checkout/small talk/out-of-scope
    none; relative prices are computed from the remembered bounds."""
    values = {f: getattr(x, f) for f in FILTER_NAMES}
    query = x.query
    if x.relative_price == "cheaper":
        remembered = state.filters.price_max
        values["price_max"] = round(remembered * CHEAPER_FACTOR, 2) if remembered is not None else None
        if remembered is None:
            query = " ".join([query, "cheaper"]).strip()
    elif x.relative_price == "pricier" and state.filters.price_max is not None:
        values["price_min"] = state.filters.price_max
        values["price_max"] = None
    if x.intent is Intent.add_to_cart:
        values = {f: values[f] if f in ("size", "color") else None for f in values}
    elif x.intent in (Intent.checkout, Intent.smalltalk, Intent.out_of_scope):
        values = dict.fromkeys(values)
        query = ""
    return ShoppingTurn(
        intent=x.intent,
        query=query,
        filters=Filters(**values),
        replace_filters=x.new_search and x.intent is Intent.search,
        cleared=x.cleared,
        referenced=x.referenced,
        backend="llm",
    )
