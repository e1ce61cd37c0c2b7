"""Build the catalog from the configured sources: one merged ``SourceBatch``.

Sources are independent (each prefixes its ids with its name), so merging is concatenation plus
two checks that would otherwise surface much later as confusing bugs: no product id may appear
twice, and every link must join two products of the merged catalog.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.catalog.sources import make_source
from app.catalog.sources.base import DataMissingError, SourceBatch

log = logging.getLogger(__name__)


def load_catalog(
    data_dir: Path,
    source_names: list[str],
    eur_to_usd: float,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> SourceBatch:
    """Load and merge ``source_names`` from ``data_dir``.

    ``eur_to_usd`` goes to the sources priced in EUR (``kibana``); ``options`` holds extra
    constructor arguments per source name (``{"generic": {"path": ..., "mapping": ...}}``).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataMissingError(
            f"data directory {data_dir} does not exist; set CTP_DATA_DIR to the folder that holds "
            "the data sets (magento-luma-sample, kibana-ecommerce-orders ...)"
        )
    if not source_names:
        raise ValueError("no catalog sources configured (CTP_SOURCES is empty)")
    merged = SourceBatch()
    owner: dict[str, str] = {}
    for name in source_names:
        kwargs = dict((options or {}).get(name, {}))
        if name == "kibana":
            kwargs.setdefault("eur_to_usd", eur_to_usd)
        batch = make_source(name, **kwargs).load(data_dir)
        for p in batch.products:
            if p.id in owner:
                raise ValueError(f"product id {p.id!r} comes from both {owner[p.id]!r} and {name!r}")
            owner[p.id] = name
        merged.products.extend(batch.products)
        merged.links.extend(batch.links)
        log.info("catalog source %s: %d products, %d links", name, len(batch.products), len(batch.links))
    dangling = [link for link in merged.links if link.product_id not in owner or link.linked_id not in owner]
    if dangling:
        raise ValueError(f"{len(dangling)} links point outside the catalog, e.g. {dangling[0]}")
    return merged
