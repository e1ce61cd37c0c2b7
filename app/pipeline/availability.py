"""Availability: what is in stock, read from the inventory table at the moment it matters.

The catalog snapshot a worker holds is loaded once; stock changes with every order, so these
functions take a ``StockLookup`` (``OrderService.available``: one ``IN`` query) instead of trusting
the snapshot's ``in_stock`` flags.

* ``sellable`` is the "in stock only" filter of a search: a product whose every tracked SKU is at 0
  is not offered.
* ``stock_answer`` answers "is it in stock in M?" about the products a question refers to.
* ``sold_out_question`` is what adding a sold-out variant says instead of adding it, naming the
  sizes and colours that are still available.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.domain.catalog import Product
from app.domain.turn import CartLine

StockLookup = Callable[[Sequence[str]], dict[str, int]]


def skus_of(product: Product) -> list[str]:
    return [v.sku for v in product.variants] or [product.sku]


def sellable(products: Sequence[Product], lookup: StockLookup) -> list[Product]:
    """``products`` without those sold out in every variant (untracked SKUs count as in stock)."""
    stock = lookup([sku for p in products for sku in skus_of(p)])
    return [p for p in products if any(stock.get(sku, 1) > 0 for sku in skus_of(p))]


def available_variants(product: Product, stock: dict[str, int]) -> list[str]:
    """The product's variants with units left, as "M / Blue"; untracked SKUs count as available."""
    out = []
    for v in product.variants:
        if stock.get(v.sku, 1) > 0:
            out.append(" / ".join(x for x in (v.size, v.color) if x) or v.sku)
    return out


def sold_out_question(product: Product, line: CartLine, lookup: StockLookup) -> str | None:
    """What to say instead of adding ``line`` when its variant has fewer units than asked; None if it has."""
    stock = lookup(skus_of(product))
    have = stock.get(line.sku)
    if have is None or have >= line.quantity:
        return None
    variant = " / ".join(x for x in (line.size, line.color) if x)
    what = f"the {product.name}" + (f" in {variant}" if variant else "")
    if have > 0:
        return f"Only {have} of {what} left — how many would you like?"
    options = available_variants(product, stock)
    if not options:
        return f"Sorry — {what} is sold out in every size and colour."
    return f"Sorry — {what} is sold out. Still available: {', '.join(options[:12])}."


def stock_answer(
    products: Sequence[Product], size: str | None, color: str | None, lookup: StockLookup
) -> str:
    """ "Is it in stock in M?" for each product, from the inventory: the matching variants with units
    left, or that they are sold out and what is still available."""
    stock = lookup([sku for p in products for sku in skus_of(p)])
    lines = []
    for p in products:
        wanted = [
            v
            for v in p.variants
            if (size is None or (v.size or "").upper() == size.upper())
            and (color is None or (v.color or "").lower() == color.lower())
        ]
        label = " / ".join(x for x in (size, color) if x)
        where = f" in {label}" if label else ""
        if not p.variants:
            have = stock.get(p.sku, 1) > 0
            lines.append(f"{'Yes' if have else 'No'} — the {p.name} is {'in stock' if have else 'sold out'}.")
            continue
        if not wanted:
            lines.append(f"The {p.name} does not come{where}.")
            continue
        left = [v for v in wanted if stock.get(v.sku, 1) > 0]
        if left:
            options = ", ".join(" / ".join(x for x in (v.size, v.color) if x) or v.sku for v in left[:12])
            lines.append(f"Yes — the {p.name} is in stock{where}: {options}.")
        else:
            others = available_variants(p, stock)
            tail = f" Still available: {', '.join(others[:12])}." if others else ""
            lines.append(f"No — the {p.name} is sold out{where}.{tail}")
    return "\n".join(lines)
