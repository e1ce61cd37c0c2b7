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
from app.index.encoders import check_encoder
from app.pipeline.rank import HeuristicRanker, Ranker
from app.settings import Settings
from recsys import artifact
from recsys.crosssell import CrossSell
from recsys.ranker import LightGbmRanker
from recsys.runtime import unit_vectors


def open_recommender(
    settings: Settings,
    index: VectorIndex,
    store: CatalogStore,
    catalog: CatalogSnapshot,
    encoder_version: str | None = None,
) -> tuple[Ranker, CrossSell]:
    """The ranker and cross-sell; a LightGBM artifact trained on another encoder's vectors raises
    ``EncoderMismatch`` (``encoder_version`` None skips the check, for offline tools)."""
    ids = [p.id for p in catalog.all()]
    vectors = unit_vectors(index, ids)
    cross_model = None
    ranker: Ranker
    if settings.ranker == "lightgbm":
        meta, model, cross_model = artifact.load(settings.var_dir, settings.ranker_version)
        if encoder_version is not None:
            check_encoder(f"ranker {meta.version}", meta.encoder_version, encoder_version)
        ranker = LightGbmRanker(model, meta.version, vectors, catalog)
    else:
        ranker = HeuristicRanker()
        if artifact.exists(settings.var_dir, settings.ranker_version):
            meta, _, cross_model = artifact.load(settings.var_dir, settings.ranker_version)
            if encoder_version is not None and meta.encoder_version not in (None, encoder_version):
                cross_model = None  # trained on another encoder's vectors: link grade + similarity
    return ranker, CrossSell(catalog, store.links_for(ids), vectors, cross_model)
