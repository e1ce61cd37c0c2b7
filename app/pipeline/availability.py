"""Availability: what is in stock, read from the inventory table at the moment it matters.

The catalog snapshot a worker holds is loaded once; stock changes with every order, so these
functions take a ``StockLookup`` (``OrderService.available``: one ``IN`` query) instead of trusting
the snapshot's ``in_stock`` flags.

* ``sellable`` is the "in stock only" filter of a search: a product whose every tracked SKU is at 0
  is not offered.
* ``stock_answer`` answers "is it in stock in M?" about the products a question refers to.
* ``sold_out_question`` is what adding a sold-out variant says instead of adding it, naming the
  sizes and colours that are still available.
* ``with_stock`` marks each ranking candidate ``in_stock`` for the size/colour the search asks for
  (any variant when it asks for none), so the rankers can demote a product whose wanted variant is
  gone while others of it are left (the filter above only drops products sold out in *every* variant).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product
from app.domain.turn import Candidate, CartLine, Filters

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


def wanted_skus(product: Product, size: str | None, color: str | None) -> list[str]:
    """The SKUs of ``product`` in the asked size/colour (all of them when none is asked); an empty
    list when it has variants but none in that size/colour."""
    if not product.variants:
        return [product.sku]
    return [
        v.sku
        for v in product.variants
        if (size is None or (v.size or "").upper() == size.upper())
        and (color is None or (v.color or "").lower() == color.lower())
    ]


def with_stock(
    candidates: Sequence[Candidate], catalog: CatalogSnapshot, filters: Filters, lookup: StockLookup
) -> list[Candidate]:
    """``candidates`` with ``in_stock`` set: a unit is left of a variant in the asked size/colour
    (any variant when none is asked), read in one lookup. Untracked SKUs count as in stock; a product
    missing from the snapshot, or without a variant in that size/colour, is left unknown (None) —
    matching the size is the structured-match features' job, not availability's."""
    wanted: dict[str, list[str]] = {}
    for c in candidates:
        product = catalog.get(c.product_id)
        if product is not None:
            wanted[c.product_id] = wanted_skus(product, filters.size, filters.color)
    stock = lookup([sku for skus in wanted.values() for sku in skus])

    def flag(pid: str) -> bool | None:
        skus = wanted.get(pid)
        return any(stock.get(sku, 1) > 0 for sku in skus) if skus else None

    return [c.model_copy(update={"in_stock": flag(c.product_id)}) for c in candidates]


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
        skus = set(wanted_skus(p, size, color))
        wanted = [v for v in p.variants if v.sku in skus]
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
