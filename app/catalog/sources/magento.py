"""Magento 2 "Luma" sample catalog: apparel with size x colour variants, gear, reviews, links.

What is read (paths below ``<data_dir>/magento-luma-sample``):

* ``ConfigurableSampleData/fixtures/products.csv``: the 147 ``configurable`` parents become products;
  their ``simple`` children (listed in ``configurable_variations``) become ``Variant``\\ s.
* ``CatalogSampleData/fixtures/SimpleProduct/products_gear_*.csv``: bags, watches and fitness
  equipment. Rows sharing a name (the Sprite Stasis Balls, one row per colour) are folded into one
  product whose id is the SKUs' common prefix (``24-WG081``), with one variant per colour. The
  variant colour is read from the SKU suffix (``-pink``) before the ``color`` column, because the
  fixture labels the pink balls ``Red``.
* ``BundleSampleData`` / ``GroupedProductSampleData``: a bundle or grouped product is kept only if
  its row has a price. Upstream both rows are priced dynamically from their parts and carry no
  price, so both are skipped (listed in ``MagentoSource.skipped``).
* ``ReviewSampleData/fixtures/products_reviews.csv``: mean ``rating_value`` and the count per
  product. Reviews name parent SKUs; the stasis balls are named without the ``24-`` prefix
  (``WG081``), which is resolved. Reviews of SKUs absent from the sample (boots, polos ...) are dropped.
* ``*/fixtures/Links/{related,upsell,crosssell}.csv``: ``linked_sku`` is a newline-separated list
  in one cell; links are kept only when both ends are products here (variant SKUs map to parents).

Gear's ``special_price``, when lower than ``price``, is the price the shop charges (Magento's final
price without a date window), so it becomes ``Product.price`` and the product gets the ``sale`` flag.
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from app.catalog.sources.base import (
    LINK_KINDS,
    ProductLink,
    SourceBatch,
    clean_inline,
    html_to_text,
    require_path,
    unique,
)
from app.catalog.vocabulary import Vocabulary, load_vocabulary
from app.domain.catalog import Product, Variant

log = logging.getLogger(__name__)

BRAND = "Luma"
FLAG_COLUMNS = ("eco_collection", "performance_fabric", "erin_recommends", "new", "sale")
GEAR_TYPES = {"bags": "bags", "watches": "watches", "fitness equipment": "fitness equipment"}
_BRANCHES = ("Collections", "Promotions")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [{k: (v or "") for k, v in row.items()} for row in csv.DictReader(fh)]


def _split(value: str, sep: str) -> list[str]:
    """Cleaned, non-empty parts of a multi-value cell."""
    return [c for part in value.split(sep) if (c := clean_inline(part))]


def _common_prefix(values: list[str]) -> str:
    lo, hi = min(values), max(values)
    n = next((i for i, (a, b) in enumerate(zip(lo, hi, strict=False)) if a != b), min(len(lo), len(hi)))
    return lo[:n]


def parse_additional_attributes(value: str) -> dict[str, str]:
    """``"material=Wool|Fleece,pattern=Solid"`` -> ``{"material": "Wool|Fleece", ...}``."""
    out: dict[str, str] = {}
    key = ""
    for piece in value.split(","):
        name, eq, rest = piece.partition("=")
        if eq and name.strip().replace("_", "").isalnum():
            key = name.strip()
            out[key] = rest
        elif key:  # a comma inside a value
            out[key] += "," + piece
    return out


class MagentoSource:
    """The Luma sample store; ``load`` returns ~185 products and the merchandiser links."""

    name = "magento"

    def __init__(self, folder: str = "magento-luma-sample", vocabulary: Vocabulary | None = None) -> None:
        self.folder = folder
        self.vocab = vocabulary or load_vocabulary()
        self.skipped: list[str] = []

    # --- entry point --------------------------------------------------------------------------

    def load(self, data_dir: Path) -> SourceBatch:
        root = require_path(Path(data_dir) / self.folder, "Magento Luma sample data")
        self.skipped = []
        aliases: dict[str, str] = {}  # any SKU the fixtures use -> Product.id
        products = [*self._configurables(root, aliases), *self._gear(root, aliases)]
        for p in products:  # the stasis balls are reviewed as "WG081": accept SKUs without "24-"
            if p.sku.startswith("24-"):
                aliases.setdefault(p.sku[3:], p.id)
        self._apply_reviews(root, products, aliases)
        links = self._links(root, aliases)
        return SourceBatch(products=products, links=links)

    # --- configurable apparel -----------------------------------------------------------------

    def _configurables(self, root: Path, aliases: dict[str, str]) -> Iterator[Product]:
        rows = _read_csv(require_path(root / "ConfigurableSampleData/fixtures/products.csv", "products.csv"))
        simples = {r["sku"]: r for r in rows if r["product_type"] == "simple"}
        for row in rows:
            if row["product_type"] != "configurable":
                continue
            attrs = parse_additional_attributes(row["additional_attributes"])
            path, collections = self._category_paths(row["categories"].split(","), sep="/")
            variants = self._variants(row, simples)
            attributes: dict[str, list[str]] = {}
            self._put(attributes, "pattern", _split(attrs.get("pattern", ""), "|"))
            self._put(attributes, "climate", _split(attrs.get("climate", ""), "|"))
            style = _split(attrs.get("style_general", ""), "|") + _split(attrs.get("style_bottom", ""), "|")
            self._put(attributes, "style", style)
            self._put(attributes, "flags", self._flags(attrs))
            self._put(attributes, "collections", collections)
            name = clean_inline(row["name"])
            leaf_type = self.vocab.canonical_type(path[-1]) if path else None
            product = Product(
                id=f"magento:{row['sku']}",
                source=self.name,
                sku=row["sku"],
                name=name,
                description=html_to_text(row["description"]),
                category=leaf_type or self.vocab.product_type_of(name),
                category_path=path,
                gender=path[0].lower() if path and path[0] in ("Men", "Women") else None,
                brand=BRAND,
                price=float(row["price"]),
                currency="USD",
                colors=unique(v.color for v in variants),
                sizes=self._sorted_sizes(v.size for v in variants),
                materials=self._materials(_split(attrs.get("material", ""), "|")),
                attributes=attributes,
                variants=variants,
            )
            aliases[product.sku] = product.id
            for v in variants:
                aliases[v.sku] = product.id
            yield product

    def _variants(self, parent: dict[str, str], simples: dict[str, dict[str, str]]) -> list[Variant]:
        variants = []
        for spec in filter(None, parent["configurable_variations"].split("|")):
            fields = dict(part.split("=", 1) for part in spec.split(",") if "=" in part)
            child = simples.get(fields.get("sku", ""))
            if child is None:
                log.warning("magento: variant %s of %s is missing", fields.get("sku"), parent["sku"])
                continue
            price = float(child["price"]) if child["price"] else None
            in_stock = child["is_in_stock"] != "0" and float(child["qty"] or 0) > 0
            variants.append(
                Variant(
                    sku=child["sku"],
                    size=self._size(fields.get("size", "")),
                    color=self._color(fields.get("color", "")),
                    price=price,
                    in_stock=in_stock,
                )
            )
        return variants

    # --- gear -----------------------------------------------------------------------------------

    def _gear_rows(self, root: Path) -> Iterator[dict[str, str]]:
        gear_dir = require_path(root / "CatalogSampleData/fixtures/SimpleProduct", "Magento gear products")
        for path in sorted(gear_dir.glob("products_gear_*.csv")):
            yield from _read_csv(path)
        for rel in (
            "BundleSampleData/fixtures/yoga_bundle.csv",
            "GroupedProductSampleData/fixtures/yoga_grouped.csv",
        ):
            if not (root / rel).exists():
                continue
            for row in _read_csv(root / rel):
                if row.get("price", "").strip():
                    yield row
                else:
                    self.skipped.append(f"{row['sku']} ({clean_inline(row['name'])}): no price in {rel}")

    def _gear(self, root: Path, aliases: dict[str, str]) -> Iterator[Product]:
        groups: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in self._gear_rows(root):
            groups[clean_inline(row["name"])].append(row)
        for name, rows in groups.items():
            first = rows[0]
            if len(rows) == 1:
                sku, variants = first["sku"], []
            else:  # one row per colour of the same item
                sku = _common_prefix([r["sku"] for r in rows]).rstrip("-_ ") or first["sku"]
                variants = [
                    Variant(
                        sku=r["sku"],
                        color=self.vocab.canonical_color(r["sku"][len(sku) :].replace("-", " "))
                        or self._color(r.get("color", "")),
                        price=self._gear_price(r),
                        in_stock=float(r.get("qty") or 0) > 0,
                    )
                    for r in rows
                ]
            path, collections = self._category_paths([first["category"]], sep="\n")
            attributes: dict[str, list[str]] = {}
            for key, column in (
                ("pattern", "pattern"),
                ("activity", "activity"),
                ("style", "style_bags"),
                ("features", "features_bags"),
                ("strap", "strap_bags"),
                ("gear_type", "category_gear"),
            ):
                self._put(attributes, key, _split(first.get(column, ""), "\n"))
            flags = self._flags(first)
            price = min(self._gear_price(r) for r in rows)
            if price < float(first["price"]) and "sale" not in flags:
                flags.append("sale")
            self._put(attributes, "flags", flags)
            self._put(attributes, "collections", collections)
            leaf = path[-1].lower() if path else ""
            product = Product(
                id=f"magento:{sku}",
                source=self.name,
                sku=sku,
                name=name,
                description=html_to_text(first.get("description", "")),
                category=GEAR_TYPES.get(leaf) or self.vocab.product_type_of(name),
                category_path=path,
                gender=self._gear_gender(first.get("gender", "")),
                brand=BRAND,
                price=price,
                currency="USD",
                colors=unique(v.color for v in variants),
                materials=self._materials(_split(first.get("material", ""), "\n")),
                attributes=attributes,
                variants=variants,
            )
            aliases[sku] = product.id
            for r in rows:
                aliases[r["sku"]] = product.id
            yield product

    @staticmethod
    def _gear_price(row: dict[str, str]) -> float:
        price = float(row["price"])
        special = row.get("special_price", "").strip()
        return min(price, float(special)) if special else price

    @staticmethod
    def _gear_gender(value: str) -> str | None:
        """Gear lists every audience ("Men\\nWomen\\nUnisex"); one of Men/Women is that gender,
        anything wider is unisex, nothing is unknown."""
        values = {v.strip().lower() for v in value.splitlines() if v.strip()}
        if not values:
            return None
        if values == {"men"} or values == {"women"}:
            return values.pop()
        return "unisex"

    # --- shared normalisation ------------------------------------------------------------------

    @staticmethod
    def _category_paths(paths: Iterable[str], sep: str) -> tuple[list[str], list[str]]:
        """(the product's own category path, its collection names). Magento mixes real paths
        with merchandising ones (``Collections/...``, ``Promotions/...``); gear cells chain them as
        one newline list ("Gear / Bags / Collections / Erin Recommends")."""
        own: list[str] = []
        collections: list[str] = []
        for raw in paths:
            parts = [p.strip() for p in raw.split(sep) if p.strip() and p.strip() != "Default Category"]
            head: list[str] = []
            i = 0
            while i < len(parts):
                if parts[i] in _BRANCHES:
                    if parts[i] == "Collections" and i + 1 < len(parts):
                        collections.append(parts[i + 1].lower())
                    i += 2
                    continue
                head.append(parts[i])
                i += 1
            if len(head) > len(own):
                own = head
        return own, unique(collections)

    def _flags(self, attrs: dict[str, str]) -> list[str]:
        return [k.replace("_", " ") for k in FLAG_COLUMNS if attrs.get(k, "").strip().lower() in ("yes", "1")]

    def _materials(self, raw: list[str]) -> list[str]:
        """Vocabulary names (``Lycra`` -> ``spandex``, ``CoolTech`` -> ``performance fabric``);
        materials the vocabulary does not know are kept, lower-cased (``burlap``, ``silicone``)."""
        return unique(self.vocab.canonical_material(m) or m.lower() for m in raw)

    def _color(self, value: str) -> str | None:
        value = value.strip()
        return (self.vocab.canonical_color(value) or value.lower()) if value else None

    def _size(self, value: str) -> str | None:
        value = value.strip()
        return (self.vocab.canonical_size(value) or value.upper()) if value else None

    def _sorted_sizes(self, sizes: Iterable[str | None]) -> list[str]:
        order = {s: i for i, s in enumerate(self.vocab.sizes)}
        return sorted(unique(sizes), key=lambda s: order.get(s, len(order)))

    @staticmethod
    def _put(attributes: dict[str, list[str]], key: str, values: list[str]) -> None:
        values = unique(v.lower() for v in values)
        if values:
            attributes[key] = values

    # --- reviews and links ----------------------------------------------------------------------

    def _apply_reviews(self, root: Path, products: list[Product], aliases: dict[str, str]) -> None:
        path = root / "ReviewSampleData/fixtures/products_reviews.csv"
        if not path.exists():
            return
        ratings: dict[str, list[int]] = defaultdict(list)
        dropped = 0
        for row in _read_csv(path):
            pid = aliases.get(row["sku"].strip())
            if pid is None or not row["rating_value"].strip():
                dropped += 1
                continue
            ratings[pid].append(int(row["rating_value"]))
        for p in products:
            values = ratings.get(p.id)
            if values:
                p.rating = round(sum(values) / len(values), 2)
                p.review_count = len(values)
        log.info(
            "magento: %d reviews matched, %d for products not in the sample",
            sum(map(len, ratings.values())),
            dropped,
        )

    def _links(self, root: Path, aliases: dict[str, str]) -> list[ProductLink]:
        seen: set[tuple[str, str, str]] = set()
        links: list[ProductLink] = []
        for module in ("ConfigurableSampleData", "CatalogSampleData"):
            for kind in LINK_KINDS:
                path = root / module / "fixtures" / "Links" / f"{kind}.csv"
                if not path.exists():
                    continue
                for row in _read_csv(path):
                    src = aliases.get(row["sku"].strip())
                    for target in row["linked_sku"].splitlines():
                        dst = aliases.get(target.strip())
                        key = (src or "", dst or "", kind)
                        if src and dst and src != dst and key not in seen:
                            seen.add(key)
                            links.append(ProductLink(product_id=src, linked_id=dst, kind=kind))
        return links
