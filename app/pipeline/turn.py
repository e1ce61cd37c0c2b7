"""One shopping turn, as a short function over named stages.

    redact → extract → understand → remember → embed → guard → retrieve → rank → fence → relax → explore → act → respond → commit (state, then log)

Each stage is a typed, replaceable component held by ``TurnPipeline``; the API builds one pipeline
per worker in its lifespan and calls ``run``. Nothing here knows about HTTP.
"""

from __future__ import annotations

import contextlib
import logging
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
    ORDER_INTENTS,
    SEARCH_INTENTS,
    Candidate,
    ConversationState,
    Filters,
    Intent,
    ShoppingTurn,
    TurnRecord,
)
from app.pipeline.availability import sellable, sold_out_question, stock_answer, with_stock
from app.pipeline.cart import CartOutcome, add_to_cart, resolve_references
from app.pipeline.explore import Explorer
from app.pipeline.extract.base import Extractor
from app.pipeline.guard import Guard
from app.pipeline.interleave import Interleaver
from app.pipeline.log import TurnLogger
from app.pipeline.log_commit import GroupCommit
from app.pipeline.order_chat import order_reply, refused_checkout
from app.pipeline.orders import CheckoutRefused, OrderService
from app.pipeline.rank import Ranker
from app.pipeline.record import ActionOutcome, SearchOutcome, TurnDraft
from app.pipeline.relax import relaxations
from app.pipeline.remember import merge, search_text
from app.pipeline.respond import Responder, ResponseContext
from app.pipeline.retrieve import Retriever
from app.pipeline.state_store import StateStore
from app.pipeline.typefence import split_by_type
from app.pipeline.understand import STOCK_INTENTS, Understander, with_focus
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

log = logging.getLogger(__name__)

#: Order intents that, with no order in the conversation, are questions about the order policy.
_ORDER_QUESTIONS = frozenset({Intent.order_status, Intent.cancel_order})


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
    understander: Understander | None = None  # product references, store help, cross-sell (issue 13)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # simulations move it
    interleaver: Interleaver | None = None  # CTP_INTERLEAVE: team-draft two rankers (its first is ``ranker``)
    explorer: Explorer | None = None  # randomised top-k on a share of turns (issue 16, explore.py)
    _commits: GroupCommit | None = field(default=None, init=False, repr=False, compare=False)

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
        if self.understander is not None:
            with stage(timer, "understand"):
                turn = draft.turn = self.understander.understand(draft.message, turn, draft.before)
        if turn.intent in _ORDER_QUESTIONS and turn.order_ref is None:
            placed = await to_thread.run_sync(self.orders.for_conversation, draft.before.conversation_id)
            if not placed:  # "can I cancel my order?" before any order: the store's rule answers it
                turn = draft.turn = turn.model_copy(update={"intent": Intent.policy, "topic": "order_status"})
        with stage(timer, "remember") as sp:
            state = merge(draft.before, turn)
            record_state(sp, state)
        search = draft.search = SearchOutcome(turn, draft.before, state, seed=draft.turn_id)
        explore: SearchStage = lambda s, t: self._explore(s, t, draft.turn_id)  # noqa: E731
        await self._offload(
            search,
            timer,
            self._embed,
            self._guard,
            self._retrieve,
            self._rank,
            self._fence,
            self._relax,
            explore,
        )
        action = draft.action = await self._act(turn, search.state, draft.turn_id, timer)
        if turn.asks_stock and turn.intent in STOCK_INTENTS and search.shown and not search.abstained:
            size, color = turn.filters.size, turn.filters.color
            action.notice = await to_thread.run_sync(
                stock_answer, search.shown, size, color, self.orders.available
            )
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
                    notice=action.notice,
                    relaxed=search.relaxed,
                    message=draft.message,
                )
            )
            record_text_output(sp, reply.text)
        action.state = with_focus(action.state, turn, reply.product_ids, reply.answer)
        record = draft.record(self.clock(), self.versions)
        await self._commit(record, draft.before, action)
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
        if search.turn.intent in SEARCH_INTENTS and not search.turn.products:
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
            own = (
                search.turn.query.strip() if search.turn.intent is Intent.refine and search.turn.head else ""
            )
            if decision is not None and not decision.abstain and own and own != search.text:
                # A refinement that names a noun of its own ("espresso machine" after hoodies) is
                # also judged on its own words: merged into the old query it would look in scope.
                alone = self.guard.check(search.turn, self.encoder.encode_query(own))
                if alone is not None and alone.abstain:
                    decision = alone.model_copy(update={"query": own})
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
        if turn.products and turn.intent is not Intent.cross_sell:
            search.shown = self.catalog.many(turn.products)
            search.settled = True
        elif turn.intent is Intent.cross_sell:
            search.shown = self._complements(turn, search.before)
            search.settled = True
        elif turn.intent in (Intent.compare, Intent.product_question) and turn.referenced:
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
            search.ranked = self._ranked(search.candidates, search.state, search)
            ranker = self.versions.get("ranker", "ranker")
            record_rerank(span, search.ranked, ranker, self.show_limit, self.catalog)

    def _ranked(
        self, candidates: list[Candidate], state: ConversationState, search: SearchOutcome | None = None
    ) -> list[Candidate]:
        """The ranker's order, each candidate first marked ``in_stock`` for the asked size/colour
        from the live inventory (one lookup), so availability is a ranking feature, not only a filter.
        When interleaving, ``search.rival`` gets the second ranker's order of the same candidates."""
        marked = with_stock(candidates, self.catalog, state.filters, self.orders.available_recent)
        if search is not None and self.interleaver is not None:
            search.rival = self.interleaver.rival(marked, self.catalog, state)
        return self.ranker.rank(marked, self.catalog, state)

    def _fence(self, search: SearchOutcome, timer: StageTimer) -> None:
        """Only products inside the guard's radius may be presented, and of those only the ones of
        the requested product type when there are any (``typefence.py``): the type is decided on the
        whole fenced list, not on the top k, so a sixth-ranked boot beats a first-ranked heel."""
        assert search.query_vec is not None  # _retrieve settles the turn without one
        with stage(timer, "fence") as span:
            presentable, search.fenced = self.guard.fence(search.query_vec, search.ranked)
            presentable, search.off_type = self._typed(search, presentable)
            record_json_output(
                span, {"fenced": search.fenced, "kept": len(presentable), "off_type": search.off_type}
            )
        if self.interleaver is not None and search.rival is not None:
            search.interleaved = self.interleaver.show(
                presentable, search.rival, search.seed, self.show_limit, self._in_stock
            )
            search.shown = search.interleaved.products
        else:
            # In stock only: a few more than shown are read, so a sold-out product leaves room for the next.
            search.shown = self._in_stock([c.product_id for c in presentable[: self.show_limit * 3]])
            search.shown = search.shown[: self.show_limit]
        search.state = search.state.model_copy(update={"last_results": [p.id for p in search.shown]})

    def _typed(self, search: SearchOutcome, ranked: list[Candidate]) -> tuple[list[Candidate], bool]:
        """(the candidates to present, whether they are only alternatives): those of the requested
        type when any is, else all of them, marked as alternatives when the turn asked for a type."""
        products = self.catalog.many([c.product_id for c in ranked])
        typed, others = split_by_type(products, search.turn, search.decision)
        if not others:
            return ranked, False
        if not typed:
            return ranked, True
        keep = {p.id for p in typed}
        return [c for c in ranked if c.product_id in keep], False

    def _in_stock(self, ids: list[str]) -> list[Product]:
        """The products of ``ids``, in order, without those sold out in every variant."""
        return sellable(self.catalog.many(ids), self.orders.available_recent)

    def _relax(self, search: SearchOutcome, timer: StageTimer) -> None:
        """Nothing met every constraint, or nothing found is of the requested type: drop the least
        important constraint at a time (``relax.py``; the product type last) and show the nearest
        products of the type; the reply says what was relaxed. When no relaxation finds the type,
        what was found is shown as alternatives (the reply says we have no such thing)."""
        if (search.shown and not search.off_type) or search.query_vec is None:
            return
        with stage(timer, "relax"):
            fallback: tuple[list[str], list[Product]] | None = None
            for dropped, filters in relaxations(search.state.filters):
                cands = self.retriever.retrieve(search.query_vec, search.text, filters)
                ranked = self._ranked(cands, search.state.model_copy(update={"filters": filters}))
                presentable, _ = self.guard.fence(search.query_vec, ranked)
                presentable, off_type = self._typed(search, presentable)
                shown = self._in_stock([c.product_id for c in presentable[: self.show_limit * 3]])
                if not shown:
                    continue
                if not off_type:
                    self._show_relaxed(search, dropped, shown[: self.show_limit], off_type=False)
                    return
                fallback = fallback or (dropped, shown[: self.show_limit])
            if not search.shown and fallback is not None:
                self._show_relaxed(search, *fallback, off_type=True)

    def _show_relaxed(
        self, search: SearchOutcome, dropped: list[str], shown: list[Product], off_type: bool
    ) -> None:
        search.relaxed, search.shown, search.off_type = dropped, shown, off_type
        search.state = search.state.model_copy(update={"last_results": [p.id for p in search.shown]})

    def _explore(self, search: SearchOutcome, timer: StageTimer, turn_id: str) -> None:
        """On an exploring turn, the top k shown products in a random order seeded by the turn id
        (``app.pipeline.explore``); the shopper's references ("the second one") follow that order."""
        if self.explorer is None or not search.shown:
            return
        with stage(timer, "explore"):
            search.shown, search.exploration = self.explorer.apply(turn_id, search.shown)
            search.state = search.state.model_copy(update={"last_results": [p.id for p in search.shown]})

    def _complements(self, turn: ShoppingTurn, state: ConversationState) -> list[Product]:
        """Cross-sell for the referenced product, else the product in focus, else the cart; a
        product type the shopper names ("a tie to go with this") narrows the picks to it. The
        anchor's own type names the anchor ("an office look with this *bag*"), not what is wanted.
        When the recommender has nothing of the wanted type, the products of that type nearest to
        the anchor by meaning (same gender) are shown instead of nothing."""
        anchors = (
            turn.products or ([state.focus] if state.focus else []) or [x.product_id for x in state.cart]
        )
        if self.cross_sell is None or not anchors:
            return []
        anchored = self.catalog.many(anchors)
        own = {p.category for p in anchored}
        picks = self.cross_sell.recommend(anchors, 40)
        wanted = turn.filters.category if turn.filters.category not in own else None
        picks = [p for p in picks if (p.category == wanted if wanted else p.category not in own)]
        if wanted and not picks and anchored:
            picks = self._of_type(wanted, anchored[0])
        return picks[: self.show_limit]

    def _of_type(self, category: str, anchor: Product) -> list[Product]:
        """Products of ``category`` nearest by meaning to "<category> to go with <anchor>"."""
        text = f"{category} to go with {anchor.name}"
        gender = anchor.gender if anchor.gender in ("men", "women") else None
        hits = self.retriever.retrieve(
            self.encoder.encode_query(text), text, Filters(category=category, gender=gender)
        )
        return self.catalog.many([c.product_id for c in hits[: self.show_limit]])

    async def _act(
        self, turn: ShoppingTurn, state: ConversationState, turn_id: str, timer: StageTimer
    ) -> ActionOutcome:
        """The cart actions a turn asks for: add to cart (with cross-sell) or checkout."""
        done = ActionOutcome(state=state)
        if turn.intent is Intent.add_to_cart:
            done.state, done.cart = add_to_cart(state, turn, self.catalog)
            if done.cart.added is not None and done.cart.product is not None:
                short = await to_thread.run_sync(
                    sold_out_question, done.cart.product, done.cart.added, self.orders.available
                )
                if short is not None:  # a sold-out variant is not added; the reply offers what is left
                    done.state, done.cart = state, CartOutcome(product=done.cart.product, question=short)
            if done.cart.added is not None and self.cross_sell is not None:
                done.suggestions = self.cross_sell.recommend([line.product_id for line in done.state.cart], 3)
        elif turn.intent is Intent.checkout:
            with stage(timer, "checkout"):
                try:
                    # The turn id is the idempotency key: a retried checkout turn is a new turn, new key.
                    done.order = await to_thread.run_sync(self.orders.place, state, turn_id)
                except CheckoutRefused as refused:
                    done.state, done.notice = refused_checkout(state, refused, self.currency)
            if done.order is not None:
                done.state = state.model_copy(update={"cart": []})
        elif turn.intent in ORDER_INTENTS:
            with stage(timer, "orders"):
                done.notice, done.cancelled = await to_thread.run_sync(order_reply, self.orders, turn, state)
        return done

    async def _commit(self, record: TurnRecord, before: ConversationState, action: ActionOutcome) -> None:
        """Make the turn durable so that "logged" means "answered", exactly.

        The state is written first and the turn log second. If the state write fails (Redis is
        down) nothing is logged and the shopper gets a 503: no logged turn was never delivered, so
        the evals never label a reply nobody saw. If the log write fails too (database down *and*
        the spool refused it) the state is put back to what it was before the turn. In both cases
        an order the turn placed is cancelled again (stock restored), so a 503 never leaves a purchase
        behind; an order it cancelled stays cancelled (asking again says so)."""
        try:
            await self.store.put(action.state)
        except Exception:
            await self._undo_order(action)
            raise
        try:
            await self._log(record)
        except TurnNotLogged:
            with contextlib.suppress(Exception):  # the 503 is the answer either way
                await self.store.put(before)
            await self._undo_order(action)
            raise

    async def _undo_order(self, action: ActionOutcome) -> None:
        order = action.order
        if order is None:
            return
        try:
            await to_thread.run_sync(self.orders.cancel, order.conversation_id, order.order_id)
        except Exception:
            log.exception(
                "turn failed after placing %s, and the order could not be cancelled", order.order_id
            )

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

    @property
    def commits(self) -> GroupCommit:
        """The turn log's group commit (``log_commit.py``): turns that finish together share one
        transaction, and each is answered only once its own row is stored."""
        if self._commits is None or self._commits.logger is not self.logger:
            self._commits = GroupCommit(self.logger)
        return self._commits

    async def _log(self, record: TurnRecord) -> None:
        try:
            await self.commits.write(record)
        except Exception as exc:
            raise TurnNotLogged(f"{type(exc).__name__}: {exc}") from exc
