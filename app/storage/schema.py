"""Tables. The catalog's source of truth and the turn log live in one SQL database.

JSON documents hold the pydantic models whole (a ``Product``, a ``TurnRecord``); the columns beside
them are the ones we filter or join on. SQLAlchemy's ``JSON`` type is JSONB-compatible on PostgreSQL
and TEXT on SQLite, so one schema serves both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
)
from sqlalchemy.sql.dml import Insert

metadata = MetaData()

products = Table(
    "products",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("source", String(32), nullable=False, index=True),
    Column("sku", String(128), nullable=False),
    Column("name", String(512), nullable=False),
    Column("category", String(64), index=True),
    Column("gender", String(16)),
    Column("price", Float, nullable=False),
    Column("doc", JSON, nullable=False),
    Column("content_hash", String(64), nullable=False),
)

product_links = Table(
    "product_links",
    metadata,
    Column("product_id", String(128), primary_key=True),
    Column("linked_id", String(128), primary_key=True),
    Column("kind", String(32), primary_key=True),  # related | upsell | crosssell | copurchase
    Column("weight", Float, nullable=False, default=1.0),
)

turns = Table(
    "turns",
    metadata,
    Column("turn_id", String(64), primary_key=True),
    Column("conversation_id", String(64), nullable=False),
    Column("turn_index", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("message", Text, nullable=False),
    Column("intent", String(32), nullable=False),
    Column("abstained", Boolean, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("record", JSON, nullable=False),
    # Products the turn showed in a random order (issue 16, app/pipeline/explore.py); NULL in rows
    # logged before the column existed (create_schema adds it), 0 when the turn did not explore.
    Column("explore_k", Integer),
    UniqueConstraint("conversation_id", "turn_index", name="uq_turn_position"),
    Index("ix_turns_conversation", "conversation_id", "turn_index"),
)

turn_events = Table(
    "turn_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("turn_id", String(64), nullable=False, index=True),
    Column("conversation_id", String(64), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(32), nullable=False),  # impression | click | add_to_cart | checkout | feedback
    Column("product_id", String(128)),
    Column("data", JSON, nullable=False, default=dict),
)


def turn_event(
    turn_id: str,
    conversation_id: str,
    kind: str,
    product_id: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Insert:
    """The insert of one ``turn_events`` row, the one shape every writer (events, feedback, cart,
    the turn logger) uses; ``at`` defaults to now (UTC)."""
    return insert(turn_events).values(
        turn_id=turn_id,
        conversation_id=conversation_id,
        created_at=at or datetime.now(UTC),
        kind=kind,
        product_id=product_id,
        data=data or {},
    )


orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("conversation_id", String(64), nullable=False, index=True),
    # The client's Idempotency-Key (or the chat turn id): a retried checkout finds the same order.
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("total", Float, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("lines", JSON, nullable=False),
    # placed -> cancelled (app.domain.order.OrderStatus); a payment provider would add its states here.
    Column("status", String(16), nullable=False, server_default="placed"),
    Column("cancelled_at", DateTime(timezone=True)),
)

# Units on hand per purchasable SKU (a product variant, or a product without variants). Loaded from
# an inventory feed (app.catalog.inventory); checkout reserves with a conditional UPDATE
# (``qty >= n``) and the CHECK constraint makes a negative stock impossible even for a buggy writer.
# A SKU without a row is untracked: the store does not limit it.
inventory = Table(
    "inventory",
    metadata,
    Column("sku", String(128), primary_key=True),
    Column("product_id", String(128), nullable=False, index=True),
    Column("qty", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("qty >= 0", name="ck_inventory_qty_non_negative"),
)

# One label per (turn, evaluator, evaluator version, backend): re-running an eval, or the online
# worker seeing a turn twice, rewrites nothing (issue 6, evals/store.py).
eval_results = Table(
    "eval_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("turn_id", String(64), nullable=False, index=True),
    Column("evaluator", String(32), nullable=False),
    Column("evaluator_version", String(64), nullable=False),
    Column("backend", String(16), nullable=False),  # CODE | LLM | CLASSIFIER
    Column("label", String(32), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("suite", String(64), nullable=False, default="online"),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    UniqueConstraint("turn_id", "evaluator", "evaluator_version", "backend", name="uq_eval_result"),
)

# A reviewer's verdict on one evaluator's question about a turn (issue 7, the review console). Rows
# are never updated: a correction is a new row, so the history stays and the latest row wins.
human_labels = Table(
    "human_labels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("turn_id", String(64), nullable=False, index=True),
    # hallucination | relevance | refusal | intent | toxicity | friction
    Column("evaluator", String(32), nullable=False),
    Column("label", String(32), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("reviewer", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

# Which labels have reached Phoenix as span annotations (app/telemetry/annotations.py): one row per
# posted label, so a label is posted until Phoenix has it and never again after. ``source`` is
# ``eval`` (an eval_results row) or ``human`` (a human_labels row).
phoenix_annotations = Table(
    "phoenix_annotations",
    metadata,
    Column("source", String(8), primary_key=True),
    Column("source_id", Integer, primary_key=True),
    Column("turn_id", String(64), nullable=False, index=True),
    Column("posted_at", DateTime(timezone=True), nullable=False),
)
