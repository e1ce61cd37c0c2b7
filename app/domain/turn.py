"""What one shopping turn extracts, remembers, retrieves and records."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from app.domain.catalog import Product
from app.domain.explore import ShownPosition


class Intent(StrEnum):
    search = "search"
    refine = "refine"
    compare = "compare"
    product_question = "product_question"
    add_to_cart = "add_to_cart"
    checkout = "checkout"
    order_status = "order_status"
    cancel_order = "cancel_order"
    order_history = "order_history"
    smalltalk = "smalltalk"
    out_of_scope = "out_of_scope"
    show_product = "show_product"  # the message names one product: show it (issue 13)
    policy = "policy"  # a store-help question answered from the store policy document
    cross_sell = "cross_sell"  # "what goes with it": complements of a product or the cart


#: Intents only the understand stage sets (app/pipeline/understand.py), after extraction.
UNDERSTOOD_INTENTS = frozenset({Intent.show_product, Intent.policy, Intent.cross_sell})

#: Intents whose text is a product search that the guard, retrieval and ranker act on.
SEARCH_INTENTS = frozenset({Intent.search, Intent.refine, Intent.compare, Intent.product_question})

#: Intents about orders already placed (app/pipeline/order_chat.py answers them).
ORDER_INTENTS = frozenset({Intent.order_status, Intent.cancel_order, Intent.order_history})


class Filters(BaseModel):
    """Structured constraints, each pushed into the vector query as a payload filter."""

    category: str | None = Field(default=None, description="Store product type, e.g. 'jackets'.")
    gender: str | None = Field(default=None, description="'women' or 'men'.")
    color: str | None = Field(default=None, description="One catalog colour, lower case.")
    size: str | None = Field(default=None, description="One catalog size, e.g. 'M' or '32'.")
    material: str | None = Field(default=None, description="One catalog material, lower case.")
    brand: str | None = None
    price_min: float | None = Field(default=None, ge=0)
    price_max: float | None = Field(default=None, ge=0)

    def is_empty(self) -> bool:
        return all(v is None for v in self.model_dump().values())


class ShoppingTurn(BaseModel):
    """The shopper's need in this message, as the extract stage understood it."""

    intent: Intent = Field(description="What the shopper wants to do with this message.")
    query: str = Field(default="", description="Free-text description of the wanted product, if any.")
    filters: Filters = Field(default_factory=Filters)
    replace_filters: bool = Field(
        default=False, description="True when the shopper starts a new search rather than narrowing."
    )
    cleared: list[str] = Field(default_factory=list, description="Filter names the shopper dropped.")
    referenced: list[int] = Field(
        default_factory=list, description="1-based positions in the last results ('the second one')."
    )
    order_ref: str | None = Field(default=None, description="An order id the shopper named ('ord_…').")
    asks_stock: bool = Field(default=False, description="A product question about availability.")
    head: str | None = Field(
        default=None,
        description="The noun naming the product asked for, as the shopper wrote it ('machine' in "
        "'espresso machine', 'dress' in 'salmon pink dress'); the guard checks it against the catalog.",
    )
    phrase: str | None = Field(
        default=None,
        description="The request's first noun phrase as typed, modifiers included ('mint chocolate ice "
        "cream'); the guard judges it whole. None when it ends in a pro-form ('the black one').",
    )
    products: list[str] = Field(
        default_factory=list, description="Catalog ids the message refers to (named, pointed at, 'it')."
    )
    topic: str | None = Field(default=None, description="Store-help topic of a policy question.")
    need: bool = Field(
        default=False,
        description="A need, occasion or gift that names no product type ('gift for my dad who likes "
        "camping'), rewritten by the understand stage: there is no type for the guard to check.",
    )
    unchecked: dict[str, str] = Field(
        default_factory=dict,
        description="Constraints the shopper stated that no catalog value matches ({'size': '9'}): not "
        "applied, and the reply says so.",
    )
    backend: str = "rules"


class CartLine(BaseModel):
    product_id: str
    name: str
    sku: str
    size: str | None = None
    color: str | None = None
    quantity: int = Field(default=1, ge=1, le=99)
    unit_price: float


class ConversationState(BaseModel):
    """Everything a conversation carries between turns; lives in Redis, never in a worker."""

    conversation_id: str
    query: str = ""
    filters: Filters = Field(default_factory=Filters)
    last_results: list[str] = Field(default_factory=list, description="Product ids shown last, in order.")
    viewed: list[str] = Field(default_factory=list)
    focus: str | None = Field(default=None, description="The product being talked about ('it').")
    last_intent: Intent | None = Field(
        default=None, description="The previous turn's intent: a follow-up continues it ('and a top?')."
    )
    topic: str | None = Field(
        default=None,
        description="The store-help topic of the previous turn, if it was one: 'and for sale items?' stays on it.",
    )
    cart: list[CartLine] = Field(default_factory=list)
    turns: int = 0
    token_hash: str | None = Field(
        default=None, description="SHA-256 of the shopper's conversation token (app.api.security)."
    )


class Candidate(BaseModel):
    """A retrieved product with the scores each stage gave it."""

    product_id: str
    dense_score: float | None = None
    sparse_score: float | None = None
    fused_score: float | None = None
    retrieval_rank: int
    in_stock: bool | None = Field(
        default=None,
        description="Units left of a variant in the asked size/colour (any variant when none is "
        "asked), read from the inventory before ranking; None when not read or not applicable.",
    )
    rank_score: float | None = None
    features: dict[str, float] = Field(default_factory=dict)


class GuardDecision(BaseModel):
    abstain: bool
    score: float | None = Field(default=None, description="Higher means denser (more in scope).")
    threshold: float | None = None
    method: str
    version: str
    reason: str = ""
    nearest: list[str] = Field(default_factory=list, description="Nearest product ids, for the reply.")
    query: str = Field(default="", description="The search text judged (after extraction and memory).")
    types: list[str] = Field(
        default_factory=list,
        description="The catalog's product types nearest to the requested type phrase, nearest first "
        "(what an abstention names as what the store has instead).",
    )
    matches: list[str] | None = Field(
        default=None,
        description="Type names the requested type phrase counts as ('joggers' → pants): a product "
        "whose name or category uses one is a match, others are shown as alternatives. None: "
        "the guard did not judge types (the reply falls back to the head word).",
    )


class Reply(BaseModel):
    text: str
    product_ids: list[str] = Field(default_factory=list)
    backend: str = "rules"
    answer: str | None = Field(default=None, description="yes / no / unknown, for a product question.")
    evidence: str | None = Field(default=None, description="The verbatim product text the answer quotes.")
    relaxed: list[str] = Field(default_factory=list, description="Constraints the reply says it relaxed.")


class StageTiming(BaseModel):
    stage: str
    ms: float


class TurnRecord(BaseModel):
    """One row of the turn log: enough to replay, review and evaluate the turn."""

    turn_id: str
    conversation_id: str
    turn_index: int
    created_at: datetime
    message: str
    extraction: ShoppingTurn
    state_before: dict[str, Any]
    state_after: dict[str, Any]
    guard: GuardDecision | None
    candidates: list[Candidate]
    shown: list[str]
    reply: str
    abstained: bool
    latency_ms: dict[str, float]
    versions: dict[str, str]
    fallbacks: list[str] = Field(default_factory=list)
    corrections: list[str] = Field(
        default_factory=list,
        description="What the LLM checks dropped or replaced in the model's output (app/llm/trace.py).",
    )
    fenced: list[str] = Field(
        default_factory=list, description="Ranked product ids kept out of the reply (outside the radius)."
    )
    errors: list[str] = Field(default_factory=list)
    usage: dict[str, Any] = Field(default_factory=dict)
    redacted: list[str] = Field(
        default_factory=list, description="PII kinds removed before storage (email, phone, card, iban)."
    )
    answer: str | None = None
    evidence: str | None = None
    relaxed: list[str] = Field(default_factory=list)
    trace_id: str | None = Field(default=None, description="OpenTelemetry trace id of the turn (hex).")
    span_id: str | None = Field(
        default=None, description="The turn's root span id (hex): eval labels are annotated on it."
    )
    interleave_rankers: list[str] = Field(
        default_factory=list,
        description="The two rankers (versions) team-draft interleaved in this turn; empty when the "
        "turn was not interleaved (CTP_INTERLEAVE, app/pipeline/interleave.py).",
    )
    interleave_teams: dict[str, str] = Field(
        default_factory=dict, description="Shown product id -> the ranker whose team contributed it."
    )
    # Position-bias facts (issue 16; app.pipeline.explore). Defaults keep older rows readable.
    explore_k: int = Field(
        default=0, ge=0, description="Shown products whose order was randomly permuted; 0: not explored."
    )
    explore_share: float = Field(
        default=0.0, ge=0, le=1, description="Chance that a turn explores (CTP_EXPLORE_SHARE in effect)."
    )
    explore_seed: int | None = Field(default=None, description="Seed of this turn's permutation.")
    position_shown: list[ShownPosition] = Field(
        default_factory=list, description="Each shown product's slot, ranker slot and randomisation."
    )


class ShownProduct(BaseModel):
    """A product card as the API returns it."""

    id: str
    name: str
    price: float
    currency: str
    category: str | None
    gender: str | None
    brand: str | None
    colors: list[str]
    sizes: list[str]
    rating: float | None
    review_count: int
    description: str

    @classmethod
    def of(cls, p: Product) -> ShownProduct:
        return cls(
            id=p.id,
            name=p.name,
            price=p.price,
            currency=p.currency,
            category=p.category,
            gender=p.gender,
            brand=p.brand,
            colors=p.colors,
            sizes=p.sizes,
            rating=p.rating,
            review_count=p.review_count,
            description=p.description[:240],
        )
