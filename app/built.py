"""What ``ctp build`` leaves behind — the SQL catalog and the vector index — opened for reading.

Below the composition root on purpose: the API's wiring (``app.bootstrap``) and the offline jobs
(``recsys`` training and evaluation, the guard's calibration command) all open the same built
artifacts, and none of them may import another's wiring to do it.
"""

from __future__ import annotations

from sqlalchemy import Engine

from app.catalog.snapshot import CatalogSnapshot
from app.catalog.store import CatalogStore
from app.index.base import VectorIndex
from app.index.factory import open_index
from app.settings import Settings
from app.storage.db import create_schema, make_engine


class NotBuilt(RuntimeError):
    """The catalog or index is missing: run ``ctp build`` first."""


def open_built(settings: Settings) -> tuple[Engine, CatalogStore, CatalogSnapshot, VectorIndex]:
    """The database, catalog snapshot and vector index that ``ctp build`` made; ``NotBuilt`` if either
    is empty. Shared by the API and the offline jobs (recsys training and evaluation)."""
    engine = make_engine(settings.resolved_database_url)
    create_schema(engine)
    store = CatalogStore(engine)
    if store.count() == 0:
        raise NotBuilt(f"the catalog in {settings.resolved_database_url} is empty: run `ctp build`")
    catalog = CatalogSnapshot(store.all(), store.catalog_hash())
    index = open_index(settings)
    if index.count() == 0:
        raise NotBuilt("the vector index is empty: run `ctp build`")
    return engine, store, catalog, index
