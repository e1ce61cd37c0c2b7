"""What the API loads at start: the configured ranker and the cross-sell recommender.

``settings.ranker = "lightgbm"`` loads ``settings.ranker_version`` from ``var_dir/models`` and fails
start-up with ``ArtifactMissing`` ("run `ctp recsys train`") when it is not there — a silent
fallback to the heuristic would make the logged ``versions["ranker"]`` the only clue. Cross-sell
uses the artifact's cross-sell model when one exists and link grade + similarity otherwise.

``settings.interleave = "lightgbm,heuristic"`` builds both named rankers for team-draft
interleaving (``app.pipeline.interleave``); ``retrieval`` is the hybrid retrieval order as a ranker.
"""

from __future__ import annotations

from app.catalog.snapshot import CatalogSnapshot
from app.catalog.store import CatalogStore
from app.domain.turn import Candidate, ConversationState
from app.index.base import VectorIndex
from app.index.encoders import check_encoder
from app.pipeline.interleave import Interleaver
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


class RetrievalRanker:
    """The hybrid retrieval (RRF) order as a ranker: the "hybrid fusion" baseline of the offline
    table, so it can be interleaved against a learned ranker online."""

    version = "retrieval-rrf"

    def rank(
        self, candidates: list[Candidate], catalog: CatalogSnapshot, state: ConversationState
    ) -> list[Candidate]:
        kept = [c for c in candidates if catalog.get(c.product_id) is not None]
        kept.sort(key=lambda c: c.retrieval_rank)
        return [c.model_copy(update={"rank_score": 1.0 / (1 + c.retrieval_rank)}) for c in kept]


def open_interleaver(
    settings: Settings, index: VectorIndex, catalog: CatalogSnapshot, encoder_version: str | None = None
) -> Interleaver | None:
    """Both rankers ``settings.interleave`` names, or None when interleaving is off. A named
    ``lightgbm`` without an artifact fails as ``CTP_RANKER=lightgbm`` does."""
    pair = settings.interleave_pair
    if pair is None:
        return None
    rankers: list[Ranker] = []
    for name in pair:
        if name == "lightgbm":
            meta, model, _ = artifact.load(settings.var_dir, settings.ranker_version)
            if encoder_version is not None:
                check_encoder(f"ranker {meta.version}", meta.encoder_version, encoder_version)
            vectors = unit_vectors(index, [p.id for p in catalog.all()])
            rankers.append(LightGbmRanker(model, meta.version, vectors, catalog))
        elif name == "retrieval":
            rankers.append(RetrievalRanker())
        else:
            rankers.append(HeuristicRanker())
    return Interleaver(rankers[0], rankers[1])
