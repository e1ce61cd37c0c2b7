"""A read-only, in-memory snapshot of the catalog for the request path.

The SQL database is the source of truth; each worker loads the ~3k products once at start (a few
MB) so a turn never pays a database round trip to turn 100 candidate ids into products.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.domain.catalog import Product


class CatalogSnapshot:
    def __init__(self, products: Iterable[Product], version: str) -> None:
        self._by_id = {p.id: p for p in products}
        self.version = version

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._by_id

    def get(self, product_id: str) -> Product | None:
        return self._by_id.get(product_id)

    def many(self, ids: Sequence[str]) -> list[Product]:
        """Products for ``ids`` in the given order; unknown ids are skipped."""
        return [p for i in ids if (p := self._by_id.get(i)) is not None]

    def all(self) -> list[Product]:
        return list(self._by_id.values())
