"""Kibana "sample eCommerce orders": a flat fashion catalog recovered from order lines.

The data set is 4,675 synthetic orders (gzip NDJSON, prices in EUR). It has no product table, so
products are rebuilt from the order lines: every Kibana ``product_id`` is one colour of an item
("Basic T-shirt - dark blue/white"), and lines are grouped into parent products by (base name =
the name before its *last* " - ", manufacturer, category). "3 PACK - Socks - blue" is therefore
"3 PACK - Socks" in blue; the 14 names without " - " have no colour. The grouping key is the
product id, a slug of (manufacturer, base name, category), so spellings that differ only in case
and punctuation merge: "(3) Pack - Socks" and "3 PACK - Socks" (three such pairs in the data).

Per product: ``price`` is the cheapest variant's list price (``base_unit_price``; ``price`` on a line
is the discounted line total) converted to USD at a fixed rate and rounded to cents; ``popularity``
is the quantity sold over all its variants; ``brand`` is the manufacturer (None when blank).
The data has no descriptions, ratings or reviews: ``description`` is *derived* from the fields
above ("Jumper by Oceanavigations in women's clothing. Available in blue, black.") so the encoder
has a sentence to read; it adds no facts.

Links: ``copurchase`` in both directions, weight = number of orders holding both products.

``iter_orders`` exposes the typed order stream and ``kibana_product_id`` the line -> product id
mapping, for popularity and co-purchase features elsewhere.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from app.catalog.sources.base import ProductLink, SourceBatch, require_path, slugify, unique
from app.catalog.vocabulary import Vocabulary, load_vocabulary
from app.domain.catalog import Product, Variant

ORDERS_FILE = "ecommerce.json.gz"
_KIND_FALLBACK = {"clothing": "clothing", "shoes": "shoes", "accessories": "accessories"}


@dataclass(frozen=True)
class OrderLine:
    """One product line of an order, prices in EUR as in the data."""

    product_id: int
    sku: str
    name: str
    category: str
    manufacturer: str
    unit_price: float  # list price of one unit (``base_unit_price``)
    quantity: int

    @property
    def base_name(self) -> str:
        return split_name(self.name)[0]

    @property
    def color_text(self) -> str | None:
        return split_name(self.name)[1]


@dataclass(frozen=True)
class Order:
    order_id: str
    order_date: str  # ISO 8601
    customer_id: str
    customer_gender: str
    lines: tuple[OrderLine, ...]


def split_name(name: str) -> tuple[str, str | None]:
    """``"3 PACK - Socks - blue "`` -> ``("3 PACK - Socks", "blue")``; no " - " means no colour."""
    base, sep, suffix = name.rpartition(" - ")
    if not sep:
        return name.strip(), None
    return base.strip(), suffix.strip() or None


def kibana_product_id(base_name: str, manufacturer: str, category: str) -> str:
    """The deterministic ``Product.id`` of a grouped Kibana product."""
    return "kibana:" + slugify(manufacturer, base_name, category)


def line_product_id(line: OrderLine) -> str:
    """The ``Product.id`` an order line belongs to."""
    return kibana_product_id(line.base_name, line.manufacturer, line.category)


def iter_orders(path: Path) -> Iterator[Order]:
    """The orders of ``ecommerce.json.gz`` in file order (a pure read, nothing cached)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for raw in fh:
            if not raw.strip():
                continue
            doc = json.loads(raw)
            lines = tuple(
                OrderLine(
                    product_id=int(p["product_id"]),
                    sku=str(p["sku"]),
                    name=str(p["product_name"]),
                    category=str(p["category"]),
                    manufacturer=str(p.get("manufacturer") or "").strip(),
                    unit_price=float(p["base_unit_price"]),
                    quantity=int(p.get("quantity") or 1),
                )
                for p in doc["products"]
            )
            yield Order(
                order_id=str(doc["order_id"]),
                order_date=str(doc["order_date"]),
                customer_id=str(doc["customer_id"]),
                customer_gender=str(doc.get("customer_gender") or ""),
                lines=lines,
            )


def _gender_and_kind(category: str) -> tuple[str | None, str]:
    """``"Women's Clothing"`` -> ``("women", "Clothing")``."""
    who, _, kind = category.partition(" ")
    gender = {"women's": "women", "men's": "men"}.get(who.lower())
    return (gender, kind.strip()) if gender else (None, category.strip())


class KibanaSource:
    """Products, popularity and co-purchase links from the Kibana order history."""

    name = "kibana"

    def __init__(
        self,
        eur_to_usd: float = 1.08,
        folder: str = "kibana-ecommerce-orders",
        vocabulary: Vocabulary | None = None,
    ) -> None:
        if eur_to_usd <= 0:
            raise ValueError(f"eur_to_usd must be positive, got {eur_to_usd}")
        self.eur_to_usd = eur_to_usd
        self.folder = folder
        self.vocab = vocabulary or load_vocabulary()

    def usd(self, eur: float) -> float:
        return round(eur * self.eur_to_usd, 2)

    def load(self, data_dir: Path) -> SourceBatch:
        path = require_path(Path(data_dir) / self.folder / ORDERS_FILE, "Kibana e-commerce orders")
        first_line: dict[int, OrderLine] = {}
        sold: Counter[int] = Counter()
        baskets: list[set[str]] = []
        for order in iter_orders(path):
            for line in order.lines:
                first_line.setdefault(line.product_id, line)
                sold[line.product_id] += line.quantity
            baskets.append({line_product_id(line) for line in order.lines})

        groups: dict[str, list[OrderLine]] = defaultdict(list)
        for pid in sorted(first_line):
            line = first_line[pid]
            groups[line_product_id(line)].append(line)
        products = [self._product(pid, lines, sold) for pid, lines in sorted(groups.items())]
        return SourceBatch(products=products, links=self._copurchase(baskets))

    def _product(self, product_id: str, lines: list[OrderLine], sold: Counter[int]) -> Product:
        head = lines[0]
        # Spellings that slug alike ("(3) Pack - Socks", "3 PACK - Socks") are one item: name it
        # by the spelling most of its variants use.
        spellings = Counter(line.base_name for line in lines)
        base = min(spellings, key=lambda s: (-spellings[s], s))
        brand = head.manufacturer or None
        gender, kind = _gender_and_kind(head.category)
        variants = [
            Variant(
                sku=line.sku,
                color=self.vocab.canonical_color(line.color_text) if line.color_text else None,
                price=self.usd(line.unit_price),
            )
            for line in lines
        ]
        colors = unique(v.color for v in variants)
        category = self.vocab.product_type_of(base) or _KIND_FALLBACK.get(kind.lower(), kind.lower())
        return Product(
            id=product_id,
            source=self.name,
            sku=product_id.split(":", 1)[1],
            name=base,
            description=self._describe(base, brand, head.category, colors),
            category=category,
            category_path=[gender.capitalize(), kind] if gender else [kind],
            gender=gender,
            brand=brand,
            price=self.usd(min(line.unit_price for line in lines)),
            currency="USD",
            colors=colors,
            popularity=sum(sold[line.product_id] for line in lines),
            variants=variants,
        )

    @staticmethod
    def _describe(base: str, brand: str | None, category: str, colors: list[str]) -> str:
        text = base + (f" by {brand}" if brand else "") + f" in {category.lower()}."
        if colors:
            text += " Available in " + ", ".join(colors) + "."
        return text

    @staticmethod
    def _copurchase(baskets: list[set[str]]) -> list[ProductLink]:
        pairs: Counter[tuple[str, str]] = Counter()
        for basket in baskets:
            for a, b in combinations(sorted(basket), 2):
                pairs[(a, b)] += 1
        links: list[ProductLink] = []
        for (a, b), n in sorted(pairs.items()):
            links.append(ProductLink(product_id=a, linked_id=b, kind="copurchase", weight=float(n)))
            links.append(ProductLink(product_id=b, linked_id=a, kind="copurchase", weight=float(n)))
        return links
