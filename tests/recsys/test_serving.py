"""``CTP_INTERLEAVE``: the setting, the rankers it names and the composition root's wiring."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.bootstrap import Services, open_services
from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product
from app.domain.turn import Candidate, ConversationState
from app.settings import Settings
from recsys.artifact import ArtifactMissing
from recsys.serving import RetrievalRanker, open_interleaver


def test_interleaving_is_off_by_default_and_names_two_different_known_rankers() -> None:
    assert Settings().interleave_pair is None
    assert Settings(interleave="lightgbm,heuristic").interleave_pair == ("lightgbm", "heuristic")
    for bad in ("heuristic,heuristic", "lightgbm", "lightgbm,bm25", "lightgbm, heuristic"):
        with pytest.raises(ValidationError):
            Settings(interleave=bad)


def test_the_retrieval_ranker_keeps_the_retrieval_order_of_known_products() -> None:
    catalog = CatalogSnapshot(
        [Product(id=p, source="t", sku=p, name=p, price=1.0) for p in "ab"], version="v"
    )
    cands = [Candidate(product_id=p, retrieval_rank=r) for p, r in (("b", 2), ("ghost", 1), ("a", 1))]
    ranked = RetrievalRanker().rank(cands, catalog, ConversationState(conversation_id="c"))
    assert [c.product_id for c in ranked] == ["a", "b"]


def test_no_interleaver_without_the_setting(services: Services) -> None:
    assert open_interleaver(services.settings, services.index, services.catalog) is None


def test_a_named_lightgbm_without_an_artifact_fails_start_up(services: Services, tmp_path: Path) -> None:
    settings = services.settings.model_copy(update={"interleave": "lightgbm,heuristic", "var_dir": tmp_path})
    with pytest.raises(ArtifactMissing):
        open_interleaver(settings, services.index, services.catalog)


def test_the_composition_root_wires_both_rankers_and_serves_the_first(services: Services) -> None:
    settings = services.settings.model_copy(update={"interleave": "retrieval,heuristic"})
    svc = open_services(settings, encoder=services.encoder)
    try:
        mixer = svc.pipeline.interleaver
        assert mixer is not None and mixer.pair == ("retrieval-rrf", "heuristic-v2")
        assert svc.pipeline.ranker is mixer.first
        assert svc.pipeline.versions["interleave"] == "team-draft:retrieval-rrf,heuristic-v2"
    finally:
        svc.engine.dispose()
