"""The catalog's source of truth in SQL (SQLite or PostgreSQL), with SQLAlchemy Core.

Each product is stored whole as its JSON document beside the columns we filter on, plus a
``content_hash`` (sha256 of the canonical JSON). Upserts compare hashes, so re-ingesting an
unchanged catalog writes nothing, and ``catalog_hash`` (over all ids and content hashes) is a
cheap, deterministic catalog version for caches, the vector index and the turn log.

Writes are batched (one ``executemany`` per statement kind), so a few thousand products take well
under a second on either backend. Ordering is done in Python so results and hashes are identical on
both backends whatever the database collation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, bindparam, delete, func, insert, select, update

from app.catalog.sources.base import ProductLink
from app.domain.catalog import Product
from app.storage.schema import product_links, products

_CHUNK = 500
_ID_MAX = 128  # products.id is String(128)
T = TypeVar("T")


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def content_hash(product: Product) -> str:
    """sha256 of the product's canonical JSON (sorted keys, no whitespace)."""
    doc = product.model_dump(mode="json")
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class UpsertStats:
    inserted: int
    updated: int
    unchanged: int

    @property
    def written(self) -> int:
        return self.inserted + self.updated


class CatalogStore:
    """Products and product links in the ``products`` / ``product_links`` tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- products: writes ---------------------------------------------------------------------------

    def upsert(self, items: Iterable[Product]) -> UpsertStats:
        """Insert new products, rewrite changed ones, leave identical ones untouched."""
        rows = [self._row(p) for p in items]
        ids = [r["id"] for r in rows]
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1})[:5]  # error path only: O(n^2) is fine
            raise ValueError(f"upsert got the same product id more than once: {dupes}")
        with self.engine.begin() as conn:
            existing: dict[str, str] = {}
            for chunk in _chunks(ids):
                q = select(products.c.id, products.c.content_hash).where(products.c.id.in_(chunk))
                existing.update((i, h) for i, h in conn.execute(q))
            new = [r for r in rows if r["id"] not in existing]
            changed = [r for r in rows if r["id"] in existing and existing[r["id"]] != r["content_hash"]]
            if new:
                conn.execute(insert(products), new)
            if changed:
                stmt = (
                    update(products)
                    .where(products.c.id == bindparam("b_id"))
                    .values({c: bindparam(c) for c in changed[0] if c != "id"})
                )
                conn.execute(
                    stmt, [{**{k: v for k, v in r.items() if k != "id"}, "b_id": r["id"]} for r in changed]
                )
        return UpsertStats(
            inserted=len(new), updated=len(changed), unchanged=len(rows) - len(new) - len(changed)
        )

    def prune(self, keep_ids: Iterable[str]) -> int:
        """Delete every product not in ``keep_ids`` (and links touching it); returns how many."""
        keep = set(keep_ids)
        with self.engine.begin() as conn:
            gone = [i for (i,) in conn.execute(select(products.c.id)) if i not in keep]
            for chunk in _chunks(gone):
                conn.execute(delete(products).where(products.c.id.in_(chunk)))
                conn.execute(
                    delete(product_links).where(
                        product_links.c.product_id.in_(chunk) | product_links.c.linked_id.in_(chunk)
                    )
                )
        return len(gone)

    @staticmethod
    def _row(p: Product) -> dict[str, Any]:
        if len(p.id) > _ID_MAX:
            raise ValueError(f"product id longer than {_ID_MAX} characters: {p.id[:60]}...")
        return {
            "id": p.id,
            "source": p.source,
            "sku": p.sku[:128],
            "name": p.name[:512],
            "category": p.category[:64] if p.category else None,
            "gender": p.gender,
            "price": p.price,
            "doc": p.model_dump(mode="json"),
            "content_hash": content_hash(p),
        }

    # --- products: reads --------------------------------------------------------------------------

    def get_many(self, ids: Sequence[str]) -> list[Product]:
        """Products for ``ids`` in the given order; unknown ids are skipped, repeats repeated."""
        found: dict[str, Product] = {}
        unique_ids = list(dict.fromkeys(ids))
        with self.engine.connect() as conn:
            for chunk in _chunks(unique_ids):
                for pid, doc in conn.execute(
                    select(products.c.id, products.c.doc).where(products.c.id.in_(chunk))
                ):
                    found[pid] = Product.model_validate(doc)
        return [found[i] for i in ids if i in found]

    def get(self, product_id: str) -> Product | None:
        with self.engine.connect() as conn:
            doc = conn.execute(select(products.c.doc).where(products.c.id == product_id)).scalar_one_or_none()
        return None if doc is None else Product.model_validate(doc)

    def all(self, source: str | None = None) -> list[Product]:
        """Every product (of one source, if given), ordered by id."""
        q = select(products.c.id, products.c.doc)
        if source is not None:
            q = q.where(products.c.source == source)
        with self.engine.connect() as conn:
            rows = sorted(conn.execute(q).all(), key=lambda r: r[0])
        return [Product.model_validate(doc) for _, doc in rows]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(products)).scalar_one())

    def catalog_hash(self) -> str:
        """A deterministic version of the whole catalog: sha256 over sorted (id, content hash)."""
        with self.engine.connect() as conn:
            rows = sorted(conn.execute(select(products.c.id, products.c.content_hash)).all())
        digest = hashlib.sha256()
        for pid, h in rows:
            digest.update(f"{pid}\t{h}\n".encode())
        return digest.hexdigest()

    def brands(self) -> list[str]:
        """Distinct brand names, sorted."""
        brand = products.c.doc["brand"].as_string()
        with self.engine.connect() as conn:
            values = conn.execute(select(brand).distinct()).scalars().all()
        return sorted(v for v in values if v)

    # --- links --------------------------------------------------------------------------------------

    def replace_links(self, links: Iterable[ProductLink]) -> int:
        """Replace *all* stored links with ``links`` (one transaction); returns how many."""
        rows = [link.model_dump() for link in links]
        seen: set[tuple[str, str, str]] = set()
        for r in rows:
            key = (r["product_id"], r["linked_id"], r["kind"])
            if key in seen:
                raise ValueError(f"replace_links got a link twice: {key}")
            seen.add(key)
        with self.engine.begin() as conn:
            conn.execute(delete(product_links))
            if rows:
                conn.execute(insert(product_links), rows)
        return len(rows)

    def links_for(self, ids: Sequence[str], kinds: Iterable[str] | None = None) -> list[ProductLink]:
        """Links out of ``ids`` (optionally of some kinds), strongest first per product."""
        kind_list = list(kinds) if kinds is not None else None
        out: list[ProductLink] = []
        with self.engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(ids))):
                q = select(product_links).where(product_links.c.product_id.in_(chunk))
                if kind_list is not None:
                    q = q.where(product_links.c.kind.in_(kind_list))
                out.extend(ProductLink.model_validate(dict(r._mapping)) for r in conn.execute(q))
        order = {pid: i for i, pid in enumerate(ids)}
        out.sort(key=lambda link: (order[link.product_id], -link.weight, link.kind, link.linked_id))
        return out

    def link_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(product_links)).scalar_one())
