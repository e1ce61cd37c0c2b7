"""One shopping turn, as a short function over named stages.

    extract → remember → embed → guard → retrieve → rank → fence → act → respond → log

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
from app.domain.turn import SEARCH_INTENTS, ConversationState, Intent, ShoppingTurn, TurnRecord
from app.pipeline.cart import add_to_cart, resolve_references
from app.pipeline.extract.base import Extractor
from app.pipeline.guard import Guard
from app.pipeline.log import TurnLogger
from app.pipeline.orders import OrderService
from app.pipeline.rank import Ranker
from app.pipeline.record import ActionOutcome, SearchOutcome, TurnDraft
from app.pipeline.remember import merge, search_text
from app.pipeline.respond import Responder, ResponseContext
from app.pipeline.retrieve import Retriever
from app.pipeline.state_store import StateStore
from app.privacy import redact
from app.telemetry import (
    end_turn,
    record_embedding,
    record_extraction,
    record_guard,
    record_json_output,
    record_rerank,
    record_retrieval,
    record_state,
    record_text_output,
    span_ids,
    stage,
    turn_span,
)
from app.telemetry.timing import StageTimer


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


SearchStage = Callable[[SearchOutcome, StageTimer], None]


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
        """One turn. ``token_hash`` binds a *new* conversation to its shopper's access token.

        The message is redacted here, first, before tokenisation or anything else reads it: every
        stage, the state, the spans, the log and the reply see ``[EMAIL]`` and never the address
        (after tokenisation "jane.doe@example.com" is "jane doe example com", which no pattern
        recognises any more)."""
        message, found = redact(message)
        cid = conversation_id or await self.new_conversation_id()
        async with self.store.lock(cid):
            before = await self.store.get(cid)
            if before is None:
                if conversation_id is not None:
                    raise UnknownConversation(conversation_id)
                before = ConversationState(conversation_id=cid, token_hash=token_hash)
            with turn_span(cid, message) as root:
                draft = TurnDraft(
                    "t_" + uuid.uuid4().hex, message, before, redacted=found, span=span_ids(root)
                )
                result = await self._turn(draft, on_products)
                end_turn(root, result.record)
            return result

    async def _turn(self, draft: TurnDraft, on_products: ProductsHook | None) -> TurnResult:
        """The stages, in order. Embed through fence are CPU-bound and run back to back in one
        worker-thread hop (``_offload``)."""
        timer = draft.timer
        with stage(timer, "extract") as sp:
            turn = draft.turn = await self.extractor.extract(draft.message, draft.before)
            record_extraction(sp, draft.message, turn)
        with stage(timer, "remember") as sp:
            state = merge(draft.before, turn)
            record_state(sp, state)
        search = draft.search = SearchOutcome(turn, draft.before, state)
        await self._offload(search, timer, self._embed, self._guard, self._retrieve, self._rank, self._fence)
        action = draft.action = await self._act(turn, search.state, draft.turn_id, timer)
        if on_products is not None:  # streaming: the products go out before the reply is written
            await on_products(self._preview(draft))
        with stage(timer, "respond") as sp:
            reply = draft.reply = await self.responder.respond(
                ResponseContext(
                    turn=turn,
                    state=action.state,
                    products=search.shown,
                    guard=search.decision,
                    nearest=search.nearest,
                    cart=action.cart,
                    order=action.order,
                    currency=self.currency,
                    suggestions=action.suggestions,
                )
            )
            record_text_output(sp, reply.text)
        record = draft.record(self.clock(), self.versions)
        await self._log(record)  # before the state advances: a turn that cannot be logged did not happen
        await self.store.put(action.state)
        by_id = {p.id: p for p in [*search.shown, *action.cart_products, *action.suggestions]}
        products = [by_id[i] for i in reply.product_ids if i in by_id]
        return TurnResult(record=record, products=products, state=action.state, order=action.order)

    async def _offload(self, search: SearchOutcome, timer: StageTimer, *stages: SearchStage) -> None:
        """Run the search stages in order until one settles the turn.

        A product search runs them in *one* worker-thread call. With one ``to_thread`` hop per
        stage, every hop's result waited for the busy event loop, and under 32 shoppers
        guard/retrieve/rank showed 11–14 ms p50 each in the turn log against < 0.5 ms in isolation
        (load test 20261126-105833). Other turns embed nothing and take microseconds: they stay
        on the loop."""
        if search.turn.intent in SEARCH_INTENTS:
            search.text = search_text(search.state)

        def run_all() -> None:
            for run_stage in stages:
                if search.settled:
                    return
                run_stage(search, timer)

        if search.text:
            await to_thread.run_sync(run_all)
        else:
            run_all()

    def _embed(self, search: SearchOutcome, timer: StageTimer) -> None:
        if search.text:
            with stage(timer, "embed") as sp:
                search.query_vec = self.encoder.encode_query(search.text)
                record_embedding(sp, self.encoder.version, search.text)

    def _guard(self, search: SearchOutcome, timer: StageTimer) -> None:
        """Abstain when the request lands outside the catalog; an abstained request must not
        become the conversation's remembered search."""
        with stage(timer, "guard") as span:
            decision = self.guard.check(search.turn, search.query_vec)
            if decision is not None and search.text:
                decision = decision.model_copy(update={"query": search.text})
            record_guard(span, decision)
        search.decision = decision
        if decision is not None and decision.abstain:
            before = search.before
            search.state = search.state.model_copy(update={"query": before.query, "filters": before.filters})
            search.nearest = self.catalog.many(decision.nearest)
            search.settled = True

    def _retrieve(self, search: SearchOutcome, timer: StageTimer) -> None:
        """Candidates for the turn: the products a comparison or question refers to, or the
        hybrid search over the catalog with the filters pushed in."""
        turn = search.turn
        if turn.intent in (Intent.compare, Intent.product_question) and turn.referenced:
            search.shown = self.catalog.many(resolve_references(turn, search.before))
            search.settled = True
        elif turn.intent not in SEARCH_INTENTS or search.query_vec is None:
            search.settled = True
        else:
            with stage(timer, "retrieve") as span:
                search.candidates = self.retriever.retrieve(
                    search.query_vec, search.text, search.state.filters
                )
                record_retrieval(span, search.text, search.candidates, self.catalog)

    def _rank(self, search: SearchOutcome, timer: StageTimer) -> None:
        with stage(timer, "rank") as span:
            search.ranked = self.ranker.rank(search.candidates, self.catalog, search.state)
            ranker = self.versions.get("ranker", "ranker")
            record_rerank(span, search.ranked, ranker, self.show_limit, self.catalog)

    def _fence(self, search: SearchOutcome, timer: StageTimer) -> None:
        """Only products inside the guard's radius may be presented."""
        assert search.query_vec is not None  # _retrieve settles the turn without one
        with stage(timer, "fence") as span:
            presentable, search.fenced = self.guard.fence(search.query_vec, search.ranked)
            record_json_output(span, {"fenced": search.fenced, "kept": len(presentable)})
        search.shown = self.catalog.many([c.product_id for c in presentable[: self.show_limit]])
        search.state = search.state.model_copy(update={"last_results": [p.id for p in search.shown]})

    async def _act(
        self, turn: ShoppingTurn, state: ConversationState, turn_id: str, timer: StageTimer
    ) -> ActionOutcome:
        """The cart actions a turn asks for: add to cart (with cross-sell) or checkout."""
        done = ActionOutcome(state=state)
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

    @staticmethod
    def _preview(draft: TurnDraft) -> TurnPreview:
        assert draft.turn and draft.search and draft.action
        return TurnPreview(
            turn_id=draft.turn_id,
            conversation_id=draft.before.conversation_id,
            intent=draft.turn.intent,
            abstained=draft.search.abstained,
            products=[*draft.search.shown, *draft.action.cart_products],
        )

    async def _log(self, record: TurnRecord) -> None:
        try:
            await to_thread.run_sync(self.logger.write, record)
        except Exception as exc:
            raise TurnNotLogged(f"{type(exc).__name__}: {exc}") from exc
