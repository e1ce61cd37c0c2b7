"""Choose the vector-index backend from the settings."""

from __future__ import annotations

from app.index.base import VectorIndex
from app.settings import Settings


def open_index(settings: Settings) -> VectorIndex:
    """``ServerIndex`` when ``CTP_QDRANT_URL`` is set, else the embedded ``EdgeIndex``.

    The returned index owns its resources (shard files or HTTP client): call ``close()``.
    """
    if settings.qdrant_url:
        from qdrant_client import QdrantClient

        from app.index.server import ServerIndex

        client = QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key or None)
        return ServerIndex(
            client,
            settings.collection,
            shard_number=settings.qdrant_shard_number,
            replication_factor=settings.qdrant_replication_factor,
            write_consistency_factor=settings.qdrant_write_consistency_factor,
        )
    from app.index.edge import EdgeIndex

    return EdgeIndex(settings.edge_path)
