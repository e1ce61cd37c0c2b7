"""What the API loads at start: the configured ranker and the cross-sell recommender.

``settings.ranker = "lightgbm"`` loads ``settings.ranker_version`` from ``var_dir/models`` and fails
start-up with ``ArtifactMissing`` ("run `ctp recsys train`") when it is not there — a silent
fallback to the heuristic would make the logged ``versions["ranker"]`` the only clue. Cross-sell
uses the artifact's cross-sell model when one exists and link grade + similarity otherwise.
"""

from __future__ import annotations

from app.catalog.snapshot import CatalogSnapshot
from app.catalog.store import CatalogStore
from app.index.base import VectorIndex
from app.pipeline.rank import HeuristicRanker, Ranker
from app.settings import Settings
from recsys import artifact
from recsys.crosssell import CrossSell
from recsys.ranker import LightGbmRanker
from recsys.runtime import unit_vectors


def open_recommender(
    settings: Settings, index: VectorIndex, store: CatalogStore, catalog: CatalogSnapshot
) -> tuple[Ranker, CrossSell]:
    ids = [p.id for p in catalog.all()]
    vectors = unit_vectors(index, ids)
    cross_model = None
    ranker: Ranker
    if settings.ranker == "lightgbm":
        meta, model, cross_model = artifact.load(settings.var_dir, settings.ranker_version)
        ranker = LightGbmRanker(model, meta.version, vectors, catalog)
    else:
        ranker = HeuristicRanker()
        if artifact.exists(settings.var_dir, settings.ranker_version):
            _, _, cross_model = artifact.load(settings.var_dir, settings.ranker_version)
    return ranker, CrossSell(catalog, store.links_for(ids), vectors, cross_model)
