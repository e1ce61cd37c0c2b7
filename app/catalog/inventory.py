"""Inventory: units on hand per purchasable SKU, loaded from a feed and read at checkout.

**The feed** is a CSV or JSONL file with one row per SKU: ``sku`` and ``qty`` (``quantity`` is
accepted too). ``read_feed`` validates every row (unknown or negative quantities are refused with
the line number), so a broken feed never half-loads.

**The demo feed.** The Magento sample data does carry stock columns, but they hold no information:
all 1,847 variants and all 44 gear products say ``qty=100, is_in_stock=1``. ``demo_feed`` therefore
derives a seeded, reproducible stock per SKU from a hash of ``(seed, sku)`` (a variant the source
marks out of stock stays at 0, so real stock flags win over the rule): about 8% of SKUs are sold out (0), about 12% are
low (1–4 units), the rest have 5–40. It is demo data, documented as such in the README; a real shop
points ``CTP_INVENTORY_FEED`` at its own export instead.

**Ingest is idempotent.** ``InventoryStore.ingest`` sets each SKU's quantity to the feed's value
(an upsert, not an increment), so loading the same feed twice leaves the table as it was and a new
feed replaces the old quantities. SKUs missing from the feed keep their row.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Engine, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.catalog import Product
from app.storage.schema import inventory


class StockRow(BaseModel):
    """One row of an inventory feed."""

    sku: str = Field(min_length=1, max_length=128)
    qty: int = Field(ge=0, le=1_000_000)
    product_id: str | None = None


class FeedError(ValueError):
    """A feed row that cannot be read; says which line."""


def read_feed(path: Path) -> list[StockRow]:
    """Every row of a CSV (header ``sku,qty``) or JSONL feed, validated; ``FeedError`` on a bad row."""
    rows: list[StockRow] = []
    with path.open(encoding="utf-8", newline="") as fh:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            records: Iterable[tuple[int, dict[str, object]]] = (
                (i, json.loads(line)) for i, line in enumerate(fh, 1) if line.strip()
            )
        else:
            records = ((i, dict(r)) for i, r in enumerate(csv.DictReader(fh), 2))
        for line_no, raw in records:
            if "qty" not in raw and "quantity" in raw:
                raw["qty"] = raw.pop("quantity")
            try:
                rows.append(StockRow.model_validate(raw))
            except ValidationError as exc:
                raise FeedError(f"{path}:{line_no}: {exc.errors()[0]['msg']} ({raw})") from exc
    return rows


def sellable_skus(product: Product) -> list[str]:
    """The SKUs a cart line can carry: one per variant, or the product's own without variants."""
    return [v.sku for v in product.variants] or [product.sku]


def _demo_qty(seed: int, sku: str) -> int:
    h = int.from_bytes(hashlib.sha256(f"{seed}:{sku}".encode()).digest()[:4], "big") % 100
    if h < 8:
        return 0
    if h < 20:
        return 1 + h % 4
    return 5 + h % 36


def demo_feed(products: Iterable[Product], seed: int = 17) -> list[StockRow]:
    """The documented demo stock: a seeded quantity per SKU (0 for variants the source itself marks
    out of stock)."""
    return [
        StockRow(sku=sku, qty=_demo_qty(seed, sku) if in_stock else 0, product_id=p.id)
        for p in products
        for sku, in_stock in ([(v.sku, v.in_stock) for v in p.variants] or [(p.sku, True)])
    ]


class InventoryStore:
    """The ``inventory`` table: ingest a feed, read availability."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ingest(self, rows: Sequence[StockRow], products: Iterable[Product]) -> int:
        """Upsert ``rows`` (quantities are set, never added); rows whose SKU no product sells are
        refused with ``FeedError``. Returns how many rows were written."""
        owner = {sku: p.id for p in products for sku in sellable_skus(p)}
        unknown = [r.sku for r in rows if r.sku not in owner]
        if unknown:
            raise FeedError(f"{len(unknown)} feed SKUs are not in the catalog, e.g. {unknown[:3]}")
        now = datetime.now(UTC)
        values = [{"sku": r.sku, "product_id": owner[r.sku], "qty": r.qty, "updated_at": now} for r in rows]
        if not values:
            return 0
        dialect = self.engine.dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        with self.engine.begin() as conn:
            for i in range(0, len(values), 500):
                stmt = insert(inventory).values(values[i : i + 500])
                stmt = stmt.on_conflict_do_update(
                    index_elements=[inventory.c.sku],
                    set_={"qty": stmt.excluded.qty, "product_id": stmt.excluded.product_id},
                )
                conn.execute(stmt)
        return len(values)

    def set_qty(self, sku: str, qty: int) -> None:
        """Set one SKU's stock (tests, back-office corrections)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(inventory).where(inventory.c.sku == sku).values(qty=qty, updated_at=datetime.now(UTC))
            )

    def available(self, skus: Sequence[str]) -> dict[str, int]:
        """Units on hand for the tracked SKUs among ``skus`` (untracked SKUs are absent)."""
        out: dict[str, int] = {}
        unique = list(dict.fromkeys(skus))
        with self.engine.connect() as conn:
            for i in range(0, len(unique), 500):
                q = select(inventory.c.sku, inventory.c.qty).where(inventory.c.sku.in_(unique[i : i + 500]))
                out.update((sku, int(qty)) for sku, qty in conn.execute(q))
        return out

    def levels(self) -> dict[str, int]:
        """Every tracked SKU's units on hand (a few thousand rows: one cheap scan)."""
        with self.engine.connect() as conn:
            return {sku: int(qty) for sku, qty in conn.execute(select(inventory.c.sku, inventory.c.qty))}

    def count(self) -> int:
        with self.engine.connect() as conn:
            return len(conn.execute(select(inventory.c.sku)).all())
