"""The oversell scenario of the load test: shoppers race for the last 5 units of one variant.

Before Locust starts, ``arm`` picks one variant of the running stack's catalog and sets its stock to
``UNITS``; the Locust task ``Shopper.last_units`` (``CTP_LOAD_LAST_UNITS`` names the variant) then
has shoppers add it to their cart and check out in chat, through every API worker, for the whole
run. ``tally`` counts what the database holds afterwards: the orders for that SKU, the stock left,
and any conversation with two of them. The report shows it and the runner fails on an oversell.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text

UNITS = 5


def arm(database_url: str) -> str:
    """Set one in-stock variant's stock to ``UNITS``; returns ``product_id|sku|size|color`` for Locust."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            rows = conn.execute(
                text("SELECT i.sku, i.product_id, p.doc FROM inventory i JOIN products p ON p.id = i.product_id "
                     "WHERE i.qty > 0 ORDER BY i.sku")
            ).all()  # fmt: skip
            for sku, product_id, doc in rows:
                variant = next((v for v in doc.get("variants", []) if v["sku"] == sku), None)
                if variant and variant.get("size") and variant.get("color"):
                    conn.execute(text("UPDATE inventory SET qty = :n WHERE sku = :s"), {"n": UNITS, "s": sku})
                    return f"{product_id}|{sku}|{variant['size']}|{variant['color']}"
    finally:
        engine.dispose()
    raise RuntimeError("no sized, coloured variant in stock to race for")


def tally(database_url: str, spec: str) -> dict[str, Any]:
    """Orders holding the raced SKU, stock left, duplicates; ``ok`` when nothing was oversold."""
    sku = spec.split("|")[1]
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            left = conn.execute(text("SELECT qty FROM inventory WHERE sku = :s"), {"s": sku}).scalar_one()
            rows = conn.execute(text("SELECT conversation_id, lines, status FROM orders")).all()
    finally:
        engine.dispose()
    holding = [(cid, status) for cid, lines, status in rows if any(line["sku"] == sku for line in lines)]
    units = sum(
        line["quantity"]
        for _, lines, status in rows
        if status == "placed"
        for line in lines
        if line["sku"] == sku
    )
    conversations = [cid for cid, _ in holding]
    return {
        "sku": sku,
        "units_at_start": UNITS,
        "orders": len(holding),
        "units_sold": units,
        "stock_left": left,
        "duplicate_orders": len(conversations) - len(set(conversations)),
        "ok": units + left == UNITS and left >= 0 and len(conversations) == len(set(conversations)),
    }
