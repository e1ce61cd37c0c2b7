"""What a turn produced, gathered stage by stage, and the one place it becomes a ``TurnRecord``.

``TurnPipeline`` fills a ``TurnDraft`` as its stages run — the search outcome (embed → guard →
retrieve → rank → fence), the action outcome (cart, checkout), the reply, the timings and the
LLM activity — and ``TurnDraft.record`` turns it into the logged record. Keeping the record's
shape here keeps the orchestrator a list of stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from app.domain.catalog import Product
from app.domain.order import Order
from app.domain.turn import Candidate, ConversationState, GuardDecision, Reply, ShoppingTurn, TurnRecord
from app.llm.trace import LlmTurnLog
from app.pipeline.cart import CartOutcome
from app.pipeline.explore import Exploration, in_place
from app.pipeline.interleave import Interleaved
from app.telemetry.timing import StageTimer


@dataclass
class SearchOutcome:
    """The search stages' working state for one turn; each stage reads and extends it.

    ``settled`` is set by a stage after which the rest have nothing to do (an abstention, a turn
    that is not a search)."""

    turn: ShoppingTurn
    before: ConversationState
    state: ConversationState
    text: str = ""
    query_vec: np.ndarray | None = None
    decision: GuardDecision | None = None
    candidates: list[Candidate] = field(default_factory=list)
    ranked: list[Candidate] = field(default_factory=list)
    shown: list[Product] = field(default_factory=list)
    nearest: list[Product] = field(default_factory=list)
    fenced: list[str] = field(default_factory=list)
    relaxed: list[str] = field(default_factory=list)
    off_type: bool = False  # shown only as alternatives: none is of the requested type (typefence.py)
    exploration: Exploration | None = None  # set by the explore stage when exploring is configured
    settled: bool = False
    seed: str = ""  # the turn id: seeds the interleaving's coin flips
    rival: list[Candidate] | None = None  # the second ranker's order when interleaving
    interleaved: Interleaved | None = None  # what the fence stage showed from two rankers

    @property
    def abstained(self) -> bool:
        return bool(self.decision and self.decision.abstain)


@dataclass
class ActionOutcome:
    """What the cart and checkout stage changed."""

    state: ConversationState
    cart: CartOutcome | None = None
    order: Order | None = None  # placed by this turn's checkout
    cancelled: Order | None = None  # cancelled by this turn
    notice: str | None = None  # the reply about orders or a refused checkout (app.pipeline.order_chat)
    suggestions: list[Product] = field(default_factory=list)

    @property
    def cart_products(self) -> list[Product]:
        return [self.cart.product] if self.cart and self.cart.product else []


@dataclass
class TurnDraft:
    """One turn in the making. The stages fill ``turn``, ``search``, ``action`` and ``reply``."""

    turn_id: str
    message: str
    before: ConversationState
    redacted: list[str] = field(default_factory=list)  # PII kinds removed from the message on entry
    span: tuple[str, str] | None = None  # (trace id, span id) of the turn's root span, when traced
    timer: StageTimer = field(default_factory=StageTimer)
    llm: LlmTurnLog = field(default_factory=LlmTurnLog.begin)  # LLM calls, fallbacks, prompt versions
    turn: ShoppingTurn | None = None
    search: SearchOutcome | None = None
    action: ActionOutcome | None = None
    reply: Reply | None = None

    def record(self, created_at: datetime, versions: dict[str, str]) -> TurnRecord:
        """The logged record; every stage must have run."""
        assert self.turn and self.search and self.action and self.reply, "record() before the turn ended"
        latency = dict(self.timer.ms)
        latency["total"] = self.timer.total()
        rankers, teams = self.interleave_fields()
        explored = self.search.exploration or Exploration(0.0, 0, None, in_place(self.reply.product_ids))
        return TurnRecord(
            turn_id=self.turn_id,
            conversation_id=self.action.state.conversation_id,
            turn_index=self.before.turns,
            created_at=created_at,
            message=self.message,
            extraction=self.turn,
            state_before=self.before.model_dump(mode="json"),
            state_after=self.action.state.model_dump(mode="json"),
            guard=self.search.decision,
            candidates=self.search.ranked or self.search.candidates,
            shown=self.reply.product_ids,
            reply=self.reply.text,
            abstained=self.search.abstained,
            latency_ms=latency,
            versions={
                **versions,
                **self.llm.versions,
                "extractor": self.turn.backend,
                "responder": self.reply.backend,
            },
            errors=[],
            fallbacks=self.llm.fallbacks,
            corrections=self.llm.corrections,
            fenced=self.search.fenced,
            usage=self.llm.usage(),
            answer=self.reply.answer,
            evidence=self.reply.evidence,
            relaxed=self.reply.relaxed,
            redacted=self.redacted,
            trace_id=self.span[0] if self.span else None,
            span_id=self.span[1] if self.span else None,
            interleave_rankers=rankers,
            interleave_teams=teams,
            explore_k=explored.k,
            explore_share=explored.share,
            explore_seed=explored.seed,
            position_shown=explored.positions,
        )

    def interleave_fields(self) -> tuple[list[str], dict[str, str]]:
        """``interleave_*`` of the record: the pair and the team of each product the reply shows
        (both empty when the turn was not interleaved or the reply shows none of its products)."""
        mix = self.search.interleaved if self.search else None
        shown = self.reply.product_ids if self.reply else []
        teams = {pid: mix.teams[pid] for pid in shown if pid in mix.teams} if mix else {}
        return (list(mix.pair), teams) if mix and teams else ([], {})
