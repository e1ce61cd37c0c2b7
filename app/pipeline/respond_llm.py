"""The LLM responder: a friendlier reply, grounded in the ranked products or not sent at all.

The model sees only the products the ranker chose (``app/prompts/respond.v1.md``). Its reply is
validated before anyone reads it: ``GroundedReply``'s validator takes a ``Grounding`` from
instructor's validation context and rejects any price, colour or size that none of the context's
products (or the shopper's own filters) has, any other catalog product's name, any list item
that names no context product, any sentence of its own prompt (a prompt-injection leak), and any
coupon/discount/free-item offer the listed products' own text does not make (red team, issue 9), and
any position or superlative the shown list contradicts ("the second one" for the third, "the
cheapest" for a dearer one: ``app/pipeline/respond_checks.py``). On rejection instructor re-asks with the reasons; after the
retries — or on a timeout, 5xx, rate limit, open breaker — the deterministic ``RulesResponder``
answers and the turn log records the fallback and its reason.

A yes/no question about one product goes to the answer model (``app/pipeline/answer/llm_qa.py``):
its verbatim quote is validated as a substring of the product's own text, with re-asks, then the
rules QA answers. Otherwise only product-search answers with products go to the LLM. Abstentions, small talk, cart and
checkout replies are the rules responder's by design: an out-of-scope request must never be
answered as a product search, and cart totals are arithmetic, not prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from app.catalog.vocabulary import Vocabulary, load_vocabulary
from app.domain.catalog import Product
from app.domain.turn import SEARCH_INTENTS, Intent, Reply
from app.llm.client import LlmClient, LlmFailure, Messages
from app.llm.prompts import Prompt, load_prompt
from app.llm.trace import record_fallback, record_versions
from app.pipeline.answer.llm_qa import LlmAnswerer
from app.pipeline.respond import (
    ResponseContext,
    RulesResponder,
    describe_filters,
    product_line,
    shows_alternatives,
)
from app.pipeline.respond_checks import ListedProduct, order_problems
from app.pipeline.respond_help import say
from app.pipeline.understand import is_question

PROMPT_FILE = "respond.v1.md"
PRICE_TOLERANCE = 0.01
_PRICE = re.compile(
    r"\$\s?(\d{1,6}(?:,\d{3})*(?:\.\d{1,2})?)|(\d{1,6}(?:\.\d{1,2})?)\s?(?:USD|dollars)\b", re.I
)
_SIZES = re.compile(r"\bsizes?\s+((?:[A-Za-z0-9]{1,4}(?:\s*(?:[-–/,]|to|and|or)\s*)?)+)", re.I)
_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+(.+)$", re.M)
#: Offers only the store can make; a reply may use these words only if a listed product's own text does.
_OFFER = re.compile(
    r"\b(?:coupons?|discounts?|promo(?:tion)?(?: code)?s?|vouchers?|gift cards?|free of charge|for free)\b"
    r"|\d+\s?% off",
    re.I,
)
PROMPT_LINE_MIN_CHARS = 24


def prompt_lines(text: str) -> list[str]:
    """The prompt's own sentences (normalised); finding one in a reply means the prompt leaked."""
    parts = (" ".join(p.strip().lstrip("-#*• ").split()) for p in re.split(r"(?<=[.!?:])\s+|\n", text))
    return [p.casefold() for p in parts if len(p) >= PROMPT_LINE_MIN_CHARS and "{{" not in p]


class Grounding(BaseModel):
    """Everything a reply may state: the context products' names, prices, colours and sizes."""

    names: list[str]
    prices: list[float]
    colors: set[str]
    sizes: set[str]
    other_names: set[str] = Field(default_factory=set, description="Catalog names NOT in the context.")
    offers_ok: bool = Field(default=False, description="A listed product's own text mentions an offer.")
    prompt_lines: list[str] = Field(default_factory=list, description="Instructions that must not leak.")
    listed: list[ListedProduct] = Field(
        default_factory=list, description="The shown list in order: positions and superlatives are checked."
    )

    @classmethod
    def of(
        cls,
        products: list[Product],
        vocab: Vocabulary,
        catalog_names: Iterable[str] = (),
        extra_prices: Iterable[float] = (),
        extra_colors: Iterable[str] = (),
    ) -> Grounding:
        names = [p.name for p in products]
        prices = [p.price for p in products]
        prices += [v.price for p in products for v in p.variants if v.price is not None]
        colors = {c for p in products for raw in p.colors if (c := vocab.canonical_color(raw))}
        colors |= {c for raw in extra_colors if (c := vocab.canonical_color(raw))}
        sizes = {s for p in products for raw in p.sizes if (s := vocab.canonical_size(raw) or raw.upper())}
        shown = {n.casefold() for n in names}
        others = {n.casefold() for n in catalog_names if n.casefold() not in shown and len(n) >= 8}
        offers_ok = any(_OFFER.search(f"{p.name} {p.description}") for p in products)
        return cls(
            names=names,
            prices=[*prices, *extra_prices],
            colors=colors,
            sizes=sizes,
            other_names=others,
            offers_ok=offers_ok,
            listed=[
                ListedProduct(position=i, name=p.name, price=p.price, rating=p.rating)
                for i, p in enumerate(products, 1)
            ],
        )


def ungrounded(text: str, g: Grounding, vocab: Vocabulary) -> list[str]:
    """What ``text`` states that the grounding does not support (empty means the reply is grounded)."""
    problems: list[str] = []
    folded = text.casefold()
    flat = " ".join(folded.split())
    if any(line in flat for line in g.prompt_lines):
        problems.append("repeats its instructions; answer about the products only")
    if not g.offers_ok:
        problems += [f"offers '{m.group(0)}', which the store does not" for m in _OFFER.finditer(text)]
    for name in sorted(g.other_names):
        if name in folded:
            problems.append(f"mentions '{name}', which is not one of the listed products")
    # Scan the rest with the listed names blanked out: a name may contain a colour or size word.
    rest = text
    for name in sorted(g.names, key=len, reverse=True):
        rest = re.sub(re.escape(name), " ", rest, flags=re.I)
    for m in _PRICE.finditer(rest):
        value = float((m.group(1) or m.group(2)).replace(",", ""))
        if not any(abs(value - p) <= PRICE_TOLERANCE for p in g.prices):
            problems.append(f"states the price {m.group(0).strip()}, which no listed product has")
    for color in vocab.colors_in(rest):
        if color not in g.colors:
            problems.append(f"mentions the colour '{color}', which no listed product comes in")
    for m in _SIZES.finditer(rest):
        for token in re.findall(r"[A-Za-z0-9]+", m.group(1)):
            size = vocab.canonical_size(token)
            if size is not None and size not in g.sizes:
                problems.append(f"mentions size {token}, which no listed product has")
    problems += order_problems(text, g.listed)
    names = [n.casefold() for n in g.names]
    for m in _LIST_ITEM.finditer(text):
        item = m.group(1).casefold()
        if not any(n in item for n in names):
            problems.append(f"lists '{m.group(1)[:60]}', which does not name a listed product exactly")
    return problems


class GroundedReply(BaseModel):
    """The reply to the shopper, using only the listed products' names, prices, colours and sizes."""

    text: str = Field(
        description="The reply to the shopper: short, friendly, grounded in the listed products."
    )

    @field_validator("text")
    @classmethod
    def _grounded(cls, v: str, info: ValidationInfo) -> str:
        ctx = info.context or {}
        grounding = ctx.get("grounding")
        if not v.strip():
            raise ValueError("the reply is empty")
        if isinstance(grounding, Grounding):
            problems = ungrounded(v, grounding, ctx.get("vocabulary") or load_vocabulary())
            if problems:
                raise ValueError("the reply is not grounded in the listed products: " + "; ".join(problems))
        return v.strip()


def asks_about_one_product(ctx: ResponseContext) -> bool:
    """A yes/no question about one referenced product (what the rules QA answers, too)."""
    abstained = ctx.guard is not None and ctx.guard.abstain
    return (
        not abstained
        and ctx.notice is None  # a stock question is answered from the inventory
        and ctx.turn.intent is Intent.product_question
        and bool(ctx.turn.products)
        and len(ctx.products) == 1
        and is_question(ctx.message)
    )


def uses_llm(ctx: ResponseContext) -> bool:
    """Only a list of search results goes to the LLM; everything else is the rules responder's —
    including a stock answer from the inventory (``notice``), the replies about resolved products
    (shown by name, compared, asked about) and a relaxed search, whose reply must say what was
    relaxed (the model would drop that sentence)."""
    abstained = ctx.guard is not None and ctx.guard.abstain
    return (
        not abstained
        and ctx.notice is None
        and not ctx.relaxed
        and not ctx.turn.unchecked  # a size or brand that could not be applied is said by the rules reply
        and not ctx.turn.products
        and ctx.turn.intent in SEARCH_INTENTS
        and bool(ctx.products)
        # Alternatives to a type we do not carry are introduced by the rules reply ("that's not
        # something we carry …; the closest we have are"): an LLM would present them as a match.
        and not shows_alternatives(ctx)
    )


class LlmResponder:
    name = "llm"

    def __init__(
        self,
        client: LlmClient,
        fallback: RulesResponder,
        vocabulary: Vocabulary | None = None,
        catalog_names: Iterable[str] = (),
        prompt: Prompt | None = None,
    ) -> None:
        self.client = client
        self.fallback = fallback
        self.vocabulary = vocabulary or load_vocabulary()
        self.catalog_names = list(catalog_names)
        self.prompt = prompt or load_prompt(PROMPT_FILE)
        self.answerer = LlmAnswerer(client)

    def messages(self, ctx: ResponseContext) -> Messages:
        lines = "\n".join(product_line(i, p, ctx.currency) for i, p in enumerate(ctx.products, 1))
        want = " ".join(x for x in (ctx.turn.query, describe_filters(ctx)) if x)
        return [
            {"role": "system", "content": self.prompt.render(products=lines)},
            {"role": "user", "content": f"The shopper asked ({ctx.turn.intent.value}): {want}"},
        ]

    def grounding(self, ctx: ResponseContext) -> Grounding:
        f = ctx.state.filters
        bounds = [b for b in (f.price_min, f.price_max) if b is not None]
        colors = [f.color] if f.color else []
        grounding = Grounding.of(ctx.products, self.vocabulary, self.catalog_names, bounds, colors)
        grounding.prompt_lines = prompt_lines(self.prompt.text)
        return grounding

    async def answer(self, ctx: ResponseContext) -> Reply:
        """A product question: the model's yes/no/unknown with a verbatim quote, else the rules QA."""
        product = ctx.products[0]
        record_versions(answer_prompt=self.answerer.prompt.version, llm_model=self.client.config.model)
        try:
            found = await self.answerer.answer(ctx.message, product)
        except LlmFailure as exc:
            record_fallback("answer", exc.reason)
            return self.fallback.compose(ctx)
        return Reply(
            text=say(found, product),
            product_ids=[product.id],
            backend="llm",
            answer=found.verdict,
            evidence=found.evidence,
        )

    async def respond(self, ctx: ResponseContext) -> Reply:
        if asks_about_one_product(ctx):
            return await self.answer(ctx)
        if not uses_llm(ctx):
            return self.fallback.compose(ctx)
        record_versions(respond_prompt=self.prompt.version, llm_model=self.client.config.model)
        try:
            out = await self.client.create(
                stage="respond",
                prompt_version=self.prompt.version,
                response_model=GroundedReply,
                messages=self.messages(ctx),
                context={"grounding": self.grounding(ctx), "vocabulary": self.vocabulary},
            )
        except LlmFailure as exc:
            record_fallback("respond", exc.reason)
            return self.fallback.compose(ctx)
        return Reply(text=out.text, product_ids=[p.id for p in ctx.products], backend="llm")
