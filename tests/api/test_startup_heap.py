"""Start-up heap freezing: the objects a worker loads once are kept out of full GC passes."""

from __future__ import annotations

import gc

from app.api.lifespan import freeze_startup_heap


class Loaded:
    """Stands in for what a worker loads at start-up (model modules, catalog products)."""


def test_objects_alive_at_start_up_are_frozen_and_a_full_collection_skips_them() -> None:
    loaded = [Loaded() for _ in range(10_000)]
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() >= len(loaded)
        walked = {id(o) for o in gc.get_objects()}  # what a full collection would traverse
        assert id(loaded) not in walked and id(loaded[0]) not in walked
    finally:
        gc.unfreeze()
    assert id(loaded) in {id(o) for o in gc.get_objects()}
