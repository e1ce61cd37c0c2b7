"""One shopping turn, as a short function over named stages.

    extract → remember → guard → retrieve → rank → respond → log

Each stage is a typed, replaceable component held by ``TurnPipeline``; the API builds one pipeline
per worker in its lifespan and calls ``run``. Nothing here knows about HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import numpy as np
from anyio import to_thread
from pydantic import BaseModel

from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product
from app.domain.order import Order
from app.domain.turn import (
    SEARCH_INTENTS,
    Candidate,
    ConversationState,
    GuardDecision,
    Intent,
    Reply,
    ShoppingTurn,
    TurnRecord,
)
from app.llm.trace import TurnTrace
from app.pipeline.cart import CartOutcome, add_to_cart, resolve_references
from app.pipeline.extract.base import Extractor
from app.pipeline.guard import Guard
from app.pipeline.log import TurnLogger
from app.pipeline.orders import OrderService
from app.pipeline.rank import Ranker
from app.pipeline.remember import StateStore
from app.pipeline.respond import Responder, ResponseContext
from app.pipeline.retrieve import Retriever
from app.pipeline.state_merge import merge
from app.pipeline.timing import StageTimer
from app.telemetry import end_turn, record_guard, record_rerank, record_retrieval, stage, turn_span


class QueryEncoder(Protocol):
    version: str

    def encode_query(self, text: str) -> np.ndarray: ...


class CrossSeller(Protocol):
    def recommend(self, anchor_ids: list[str], limit: int = 5) -> list[Product]: ...


class UnknownConversation(LookupError):
    pass


class TurnNotLogged(RuntimeError):
    """The turn log could not be written, so the turn did not happen (state was not advanced)."""


class TurnPreview(BaseModel):
    """What a streaming client gets before the reply: the turn's products (see ``run(on_products=)``)."""

    turn_id: str
    conversation_id: str
    intent: Intent
    abstained: bool
    products: list[Product]


ProductsHook = Callable[[TurnPreview], Awaitable[None]]


class TurnResult(BaseModel):
    record: TurnRecord
    products: list[Product]
    state: ConversationState
    order: Order | None = None


def search_text(state: ConversationState) -> str:
    """The text retrieval and the guard see: the remembered query plus any filter words it lacks,
    so "in black" after "hoodies" searches for black hoodies, not for "in black"."""
    words = [state.query.strip()]
    f = state.filters
    for extra in (f.gender and f"{f.gender}'s", f.color, f.material, f.category, f.brand):
        if extra and extra.lower() not in state.query.lower():
            words.append(extra)
    return " ".join(w for w in words if w).strip()


@dataclass
class TurnPipeline:
    extractor: Extractor
    store: StateStore
    encoder: QueryEncoder
    guard: Guard
    retriever: Retriever
    ranker: Ranker
    responder: Responder
    logger: TurnLogger
    orders: OrderService
    catalog: CatalogSnapshot
    versions: dict[str, str] = field(default_factory=dict)
    show_limit: int = 5
    currency: str = "USD"
    cross_sell: CrossSeller | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # simulations move it

    async def new_conversation_id(self) -> str:
        return "c_" + uuid.uuid4().hex

    async def run(
        self,
        message: str,
        conversation_id: str | None = None,
        on_products: ProductsHook | None = None,
        token_hash: str | None = None,
    ) -> TurnResult:
        """One turn. ``token_hash`` binds a *new* conversation to its shopper's access token."""
        cid = conversation_id or await self.new_conversation_id()
        async with self.store.lock(cid):
            before = await self.store.get(cid)
            if before is None:
                if conversation_id is not None:
                    raise UnknownConversation(conversation_id)
                before = ConversationState(conversation_id=cid, token_hash=token_hash)
            with turn_span(cid, message) as root:
                result = await self._run_locked(message, before, on_products)
                end_turn(root, result.record)
            return result

    async def _run_locked(
        self, message: str, before: ConversationState, on_products: ProductsHook | None = None
    ) -> TurnResult:
        timer = StageTimer()
        trace = TurnTrace.begin()  # LLM calls, fallbacks and prompt versions of this turn
        turn_id = "t_" + uuid.uuid4().hex

        with stage(timer, "extract"):
            turn = await self.extractor.extract(message, before)
        with stage(timer, "remember"):
            state = merge(before, turn)
        found = await self._search(turn, before, state, timer)  # embed → guard → retrieve → rank → fence
        done = await self._act(turn, found.state, turn_id, timer)  # cart and checkout
        if on_products is not None:  # streaming: the products go out before the reply is written
            await on_products(
                TurnPreview(
                    turn_id=turn_id,
                    conversation_id=state.conversation_id,
                    intent=turn.intent,
                    abstained=found.abstained,
                    products=[
                        *found.shown,
                        *([done.cart.product] if done.cart and done.cart.product else []),
                    ],
                )
            )
        with stage(timer, "respond"):
            reply = await self.responder.respond(
                ResponseContext(
                    turn=turn,
                    state=done.state,
                    products=found.shown,
                    guard=found.decision,
                    nearest=found.nearest,
                    cart=done.cart,
                    order=done.order,
                    currency=self.currency,
                    suggestions=done.suggestions,
                )
            )
        record = self._record(turn_id, message, turn, before, found, done, reply, timer, trace)
        await self._log(record)  # before the state advances: a turn that cannot be logged did not happen
        await self.store.put(done.state)
        cart_product = [done.cart.product] if done.cart and done.cart.product else []
        by_id = {p.id: p for p in [*found.shown, *cart_product, *done.suggestions]}
        products = [by_id[i] for i in reply.product_ids if i in by_id]
        return TurnResult(record=record, products=products, state=done.state, order=done.order)

    async def _search(
        self, turn: ShoppingTurn, before: ConversationState, state: ConversationState, timer: StageTimer
    ) -> _Found:
        """Embed, guard, retrieve, rank and fence a product search; other intents pass through.

        The CPU-bound stages run back to back in *one* worker-thread call. With one ``to_thread``
        hop per stage, every hop's result waited for the busy event loop, and under 32 shoppers
        guard/retrieve/rank showed 11–14 ms p50 each in the turn log against < 0.5 ms in isolation
        (load test 20261126-105833)."""
        if turn.intent in SEARCH_INTENTS and search_text(state):
            return await to_thread.run_sync(self._search_sync, turn, before, state, timer)
        return self._search_sync(turn, before, state, timer)  # no embedding: microseconds, stay put

    def _search_sync(
        self, turn: ShoppingTurn, before: ConversationState, state: ConversationState, timer: StageTimer
    ) -> _Found:
        found = _Found(state=state)
        is_search = turn.intent in SEARCH_INTENTS
        text = search_text(state) if is_search else ""
        query_vec = None
        if is_search and text:
            with stage(timer, "embed"):
                query_vec = self.encoder.encode_query(text)
        with stage(timer, "guard") as span:
            decision = self.guard.check(turn, query_vec)
            if decision is not None and text:
                decision = decision.model_copy(update={"query": text})
            record_guard(span, decision)
        found.decision = decision
        if decision is not None and decision.abstain:
            # An out-of-scope request must not become the conversation's remembered search.
            found.state = state.model_copy(update={"query": before.query, "filters": before.filters})
            found.nearest = self.catalog.many(decision.nearest)
        elif turn.intent in (Intent.compare, Intent.product_question) and turn.referenced:
            found.shown = self.catalog.many(resolve_references(turn, before))
        elif is_search and query_vec is not None:
            with stage(timer, "retrieve") as span:
                found.candidates = self.retriever.retrieve(query_vec, text, state.filters)
                record_retrieval(span, text, found.candidates)
            with stage(timer, "rank") as span:
                found.ranked = self.ranker.rank(found.candidates, self.catalog, state)
                record_rerank(span, found.ranked, self.versions.get("ranker", "ranker"), self.show_limit)
            with stage(timer, "fence"):  # only products inside the guard's radius may be presented
                presentable, found.fenced = self.guard.fence(query_vec, found.ranked)
            found.shown = self.catalog.many([c.product_id for c in presentable[: self.show_limit]])
            found.state = state.model_copy(update={"last_results": [p.id for p in found.shown]})
        return found

    async def _act(
        self, turn: ShoppingTurn, state: ConversationState, turn_id: str, timer: StageTimer
    ) -> _Done:
        """The cart actions a turn asks for: add to cart (with cross-sell) or checkout."""
        done = _Done(state=state)
        if turn.intent is Intent.add_to_cart:
            done.state, done.cart = add_to_cart(state, turn, self.catalog)
            if done.cart.added is not None and self.cross_sell is not None:
                done.suggestions = self.cross_sell.recommend([line.product_id for line in done.state.cart], 3)
        elif turn.intent is Intent.checkout:
            with stage(timer, "checkout"):
                # The turn id is the idempotency key: a retried checkout turn is a new turn, new key.
                done.order = await to_thread.run_sync(self.orders.place, state, turn_id)
            if done.order is not None:
                done.state = state.model_copy(update={"cart": []})
        return done

    def _record(
        self,
        turn_id: str,
        message: str,
        turn: ShoppingTurn,
        before: ConversationState,
        found: _Found,
        done: _Done,
        reply: Reply,
        timer: StageTimer,
        trace: TurnTrace,
    ) -> TurnRecord:
        latency = dict(timer.ms)
        latency["total"] = timer.total()
        return TurnRecord(
            turn_id=turn_id,
            conversation_id=done.state.conversation_id,
            turn_index=before.turns,
            created_at=self.clock(),
            message=message,
            extraction=turn,
            state_before=before.model_dump(mode="json"),
            state_after=done.state.model_dump(mode="json"),
            guard=found.decision,
            candidates=found.ranked or found.candidates,
            shown=reply.product_ids,
            reply=reply.text,
            abstained=found.abstained,
            latency_ms=latency,
            versions={
                **self.versions,
                **trace.versions,
                "extractor": turn.backend,
                "responder": reply.backend,
            },
            errors=[],
            fallbacks=trace.fallbacks,
            fenced=found.fenced,
            usage=trace.usage(),
        )

    async def _log(self, record: TurnRecord) -> None:
        try:
            await to_thread.run_sync(self.logger.write, record)
        except Exception as exc:
            raise TurnNotLogged(f"{type(exc).__name__}: {exc}") from exc


@dataclass
class _Found:
    """What the search stages produced for this turn."""

    state: ConversationState
    decision: GuardDecision | None = None
    candidates: list[Candidate] = field(default_factory=list)
    ranked: list[Candidate] = field(default_factory=list)
    shown: list[Product] = field(default_factory=list)
    nearest: list[Product] = field(default_factory=list)
    fenced: list[str] = field(default_factory=list)

    @property
    def abstained(self) -> bool:
        return bool(self.decision and self.decision.abstain)


@dataclass
class _Done:
    """What the cart stage changed."""

    state: ConversationState
    cart: CartOutcome | None = None
    order: Order | None = None
    suggestions: list[Product] = field(default_factory=list)
