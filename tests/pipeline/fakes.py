"""Small in-memory stand-ins for the stages of ``TurnPipeline``: no catalog build, no Redis, no
database, no encoder model. Each one follows a script given by the test and records how it was
called, so a test can assert both what the turn produced and which stages it ran."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

import numpy as np

from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product, Variant
from app.domain.order import Order
from app.domain.turn import (
    Candidate,
    ConversationState,
    Filters,
    GuardDecision,
    Reply,
    ShoppingTurn,
    TurnRecord,
)
from app.index.base import SearchHit, SearchMode, VectorIndex
from app.pipeline.cart import cart_total
from app.pipeline.log import TurnLogger
from app.pipeline.orders import OrderService
from app.pipeline.respond import ResponseContext, RulesResponder
from app.pipeline.retrieve import Retriever
from app.pipeline.state_store import MemoryStateStore
from app.pipeline.turn import TurnPipeline

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def product(
    pid: str,
    name: str,
    category: str,
    price: float,
    colors: Sequence[str] = (),
    sizes: Sequence[str] = (),
    variants: Sequence[Variant] = (),
) -> Product:
    return Product(
        id=f"test:{pid}",
        source="test",
        sku=pid,
        name=name,
        category=category,
        price=price,
        colors=list(colors),
        sizes=list(sizes),
        variants=list(variants),
    )


BLACK_HOODIE = product(
    "H1",
    "Black Pullover Hoodie",
    "hoodies",
    39.0,
    colors=["black"],
    sizes=["M", "L"],
    variants=[Variant(sku="H1-M", size="M", color="black"), Variant(sku="H1-L", size="L", color="black")],
)
ZIP_HOODIE = product("H2", "Grey Zip Hoodie", "hoodies", 45.0, colors=["grey"], sizes=["S", "M"])
FLEECE_HOODIE = product("H3", "Black Fleece Hoodie", "hoodies", 55.0, colors=["black"], sizes=["M"])
CROPPED_HOODIE = product("H4", "Cropped Hoodie", "hoodies", 29.0, colors=["black"], sizes=["S"])
RAIN_JACKET = product("J1", "Rain Shell Jacket", "jackets", 120.0, colors=["yellow"], sizes=["M"])
DUFFEL = product("B1", "Gym Duffel Bag", "bags", 55.0, colors=["black"])

PRODUCTS = [BLACK_HOODIE, ZIP_HOODIE, FLEECE_HOODIE, CROPPED_HOODIE, RAIN_JACKET, DUFFEL]


class ScriptedExtractor:
    """Returns the ``ShoppingTurn`` scripted for each message (its ``backend`` set to ``name``);
    records (message, state) calls."""

    name = "scripted"

    def __init__(self, script: dict[str, ShoppingTurn]) -> None:
        self.script = script
        self.calls: list[tuple[str, ConversationState]] = []

    async def extract(self, message: str, state: ConversationState) -> ShoppingTurn:
        self.calls.append((message, state))
        return self.script[message].model_copy(update={"backend": self.name})


class FixedEncoder:
    """Every query text becomes the same unit vector; the texts are recorded."""

    version = "fixed-v1"

    def __init__(self, dim: int = 4) -> None:
        self.vector = np.ones(dim, dtype=np.float32) / np.sqrt(dim)
        self.texts: list[str] = []

    def encode_query(self, text: str) -> np.ndarray:
        self.texts.append(text)
        return self.vector


class ScriptedGuard:
    """``check``: one scripted decision per search turn (``True`` abstains, pointing at ``nearest``),
    ``None`` for turns without a query vector, as the real guards do. ``fence``: keeps the ranked
    candidates except ``fence_out``."""

    version = "scripted-guard"

    def __init__(
        self,
        abstains: Sequence[bool] = (),
        nearest: Sequence[str] = (),
        fence_out: Sequence[str] = (),
    ) -> None:
        self.abstains = list(abstains)
        self.nearest = list(nearest)
        self.fence_out = set(fence_out)
        self.checked: list[ShoppingTurn] = []
        self.fenced_calls = 0

    def check(self, turn: ShoppingTurn, query_vec: np.ndarray | None) -> GuardDecision | None:
        if query_vec is None:
            return None
        self.checked.append(turn)
        abstain = self.abstains.pop(0) if self.abstains else False
        return GuardDecision(
            abstain=abstain,
            score=0.1 if abstain else 0.9,
            threshold=0.5,
            method="scripted",
            version=self.version,
            nearest=self.nearest if abstain else [],
        )

    def fence(self, query_vec: np.ndarray, ranked: Sequence[Candidate]) -> tuple[list[Candidate], list[str]]:
        self.fenced_calls += 1
        kept = [c for c in ranked if c.product_id not in self.fence_out]
        return kept, [c.product_id for c in ranked if c.product_id in self.fence_out]


@dataclass
class SearchCall:
    text: str
    filters: Filters
    limit: int
    mode: SearchMode


class FakeIndex:
    """The one ``VectorIndex`` method ``Retriever.retrieve`` calls: ``search``, answering the given
    product ids in order (or raising ``error``) and recording each query."""

    def __init__(self, hits: Sequence[str] = ()) -> None:
        self.hits = list(hits)
        self.error: Exception | None = None
        self.calls: list[SearchCall] = []

    def search(
        self, dense: np.ndarray, text: str, filters: Filters, limit: int, mode: SearchMode = "hybrid"
    ) -> list[SearchHit]:
        self.calls.append(SearchCall(text, filters, limit, mode))
        if self.error is not None:
            raise self.error
        return [
            SearchHit(product_id=pid, rank=i, score=1.0 / i, dense_score=1.0 - i / 100)
            for i, pid in enumerate(self.hits, start=1)
        ]


class ScriptedRanker:
    """Orders candidates by ``preference`` (ids not in it keep their retrieval order, after it)."""

    version = "scripted-ranker"

    def __init__(self, preference: Sequence[str] = ()) -> None:
        self.preference = list(preference)
        self.calls: list[list[str]] = []

    def rank(
        self, candidates: list[Candidate], catalog: CatalogSnapshot, state: ConversationState
    ) -> list[Candidate]:
        self.calls.append([c.product_id for c in candidates])
        order = {pid: i for i, pid in enumerate(self.preference)}
        ranked = sorted(candidates, key=lambda c: (order.get(c.product_id, len(order)), c.retrieval_rank))
        n = len(ranked)
        return [c.model_copy(update={"rank_score": float(n - i)}) for i, c in enumerate(ranked)]


class RecordingResponder:
    """The real ``RulesResponder``, keeping every ``ResponseContext`` it answered."""

    name = "rules"

    def __init__(self) -> None:
        self.inner = RulesResponder()
        self.contexts: list[ResponseContext] = []

    async def respond(self, ctx: ResponseContext) -> Reply:
        self.contexts.append(ctx)
        return await self.inner.respond(ctx)


class RecordingLogger:
    """Keeps written records; raises ``error`` instead when it is set."""

    def __init__(self) -> None:
        self.records: list[TurnRecord] = []
        self.error: Exception | None = None

    def write(self, record: TurnRecord) -> None:
        if self.error is not None:
            raise self.error
        self.records.append(record)


class FakeOrders:
    """``OrderService.place`` without a database: one order per cart, keys recorded. ``stock`` holds
    the tracked SKUs' units (an SKU not in it is untracked, as in the real inventory table)."""

    def __init__(self) -> None:
        self.calls: list[tuple[ConversationState, str]] = []
        self.stock: dict[str, int] = {}
        self.cancelled: list[str] = []

    def available(self, skus: Sequence[str]) -> dict[str, int]:
        return {s: self.stock[s] for s in skus if s in self.stock}

    available_recent = available

    def cancel(self, conversation_id: str, order_id: str) -> None:
        self.cancelled.append(order_id)

    def place(self, state: ConversationState, idempotency_key: str) -> Order | None:
        self.calls.append((state, idempotency_key))
        if not state.cart:
            return None
        return Order(
            order_id=f"ord_{len(self.calls)}",
            conversation_id=state.conversation_id,
            created_at=NOW,
            lines=state.cart,
            total=cart_total(state),
            currency="USD",
        )


@dataclass
class Rig:
    """A ``TurnPipeline`` over fakes, with the fakes at hand for assertions."""

    extractor: ScriptedExtractor
    guard: ScriptedGuard = field(default_factory=ScriptedGuard)
    index: FakeIndex = field(default_factory=FakeIndex)
    ranker: ScriptedRanker = field(default_factory=ScriptedRanker)
    encoder: FixedEncoder = field(default_factory=FixedEncoder)
    store: MemoryStateStore = field(default_factory=MemoryStateStore)
    responder: RecordingResponder = field(default_factory=RecordingResponder)
    logger: RecordingLogger = field(default_factory=RecordingLogger)
    orders: FakeOrders = field(default_factory=FakeOrders)
    catalog: CatalogSnapshot = field(default_factory=lambda: CatalogSnapshot(PRODUCTS, version="test-v1"))
    show_limit: int = 2
    pipeline: TurnPipeline = field(init=False)

    def __post_init__(self) -> None:
        self.pipeline = TurnPipeline(
            extractor=self.extractor,
            store=self.store,
            encoder=self.encoder,
            guard=self.guard,
            retriever=Retriever(cast(VectorIndex, self.index)),  # only search() is ever called
            ranker=self.ranker,
            responder=self.responder,
            logger=cast(TurnLogger, self.logger),
            orders=cast(OrderService, self.orders),
            catalog=self.catalog,
            versions={"ranker": self.ranker.version, "catalog": self.catalog.version},
            show_limit=self.show_limit,
            clock=lambda: NOW,
        )
