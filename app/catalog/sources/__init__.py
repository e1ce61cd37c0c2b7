"""Catalog source adapters, by name, so configuration (``CTP_SOURCES``) can pick them.

``magento`` and ``kibana`` read the bundled real data sets below the data directory; ``generic``
reads a shop's own CSV/JSONL file through a column mapping (it needs ``path`` and ``mapping``).
"""

from __future__ import annotations

from typing import Any

from app.catalog.sources.base import CatalogSource, DataMissingError, ProductLink, SourceBatch
from app.catalog.sources.generic import GenericSource
from app.catalog.sources.kibana import KibanaSource
from app.catalog.sources.magento import MagentoSource

SOURCES: dict[str, type] = {
    "magento": MagentoSource,
    "kibana": KibanaSource,
    "generic": GenericSource,
}


def make_source(name: str, **kwargs: Any) -> CatalogSource:
    """An adapter by registry name; ``kwargs`` go to its constructor."""
    try:
        cls = SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown catalog source {name!r}; known sources: {sorted(SOURCES)}") from None
    source: CatalogSource = cls(**kwargs)
    return source


__all__ = [
    "SOURCES",
    "CatalogSource",
    "DataMissingError",
    "GenericSource",
    "KibanaSource",
    "MagentoSource",
    "ProductLink",
    "SourceBatch",
    "make_source",
]
