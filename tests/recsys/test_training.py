"""Training on a small real slice: a versioned artifact, a deterministic ranker, cross-sell."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.bootstrap import Services
from app.catalog.store import CatalogStore
from app.catalog.vocabulary import load_vocabulary
from app.domain.turn import ConversationState, Filters
from app.pipeline.extract.rules import RulesExtractor
from recsys import artifact
from recsys.candidates import CandidateSource, ParsedQuery
from recsys.crosssell import CrossSell
from recsys.features import FEATURES
from recsys.golden import golden_texts, load_queries
from recsys.labels import generate_queries
from recsys.ranker import EXPLAINED, LightGbmRanker
from recsys.runtime import unit_vectors
from recsys.train import fit, generated_rows, hand_written_rows, new_version


@pytest.fixture(scope="module")
def source(services: Services) -> CandidateSource:
    brands = CatalogStore(services.engine).brands()
    return CandidateSource(
        RulesExtractor(load_vocabulary(), brands), services.encoder, services.index, services.catalog
    )


@pytest.fixture(scope="module")
def trained(source: CandidateSource, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    vectors = unit_vectors(source.index, [p.id for p in source.catalog.all()])
    queries = generate_queries(source.catalog.all(), 120, exclude=golden_texts())
    rows = generated_rows(source, queries, vectors)
    model, metrics = fit(rows)
    var = tmp_path_factory.mktemp("models")
    meta = artifact.ArtifactMetadata(
        version=new_version(rows.data_hash()), created_at="2026-01-01T00:00:00Z", feature_version="f1",
        features=list(FEATURES), label_sources=["generated"], data_hash=rows.data_hash(), params={},
        metrics=metrics, rows=len(rows.y),
    )  # fmt: skip
    artifact.save(var, meta, model)
    return var, meta, vectors


def test_artifact_is_saved_with_metadata_and_a_current_pointer(trained) -> None:  # type: ignore[no-untyped-def]
    var, meta, _ = trained
    loaded, model, _ = artifact.load(var, "current")
    assert loaded.version == meta.version
    assert loaded.features == list(FEATURES) == model.feature_name()
    assert loaded.rows > 0 and "valid_ndcg@10" in loaded.metrics


def test_held_out_test_queries_are_refused_as_training_rows(source: CandidateSource) -> None:
    test_split = load_queries(splits=("test",))[:2]
    with pytest.raises(AssertionError, match="never be trained on"):
        hand_written_rows(source, test_split)


def test_hand_written_rows_keep_only_lists_with_a_ranking_signal(source: CandidateSource) -> None:
    rows = hand_written_rows(source, load_queries(splits=("train",))[:40])
    assert all(q.startswith("hq") for q in rows.qids)
    for q in set(rows.qids):
        assert len({y for y, qq in zip(rows.y, rows.qids, strict=True) if qq == q}) >= 2


def test_a_missing_version_says_to_train(tmp_path: Path) -> None:
    with pytest.raises(artifact.ArtifactMissing, match="ctp recsys train"):
        artifact.load(tmp_path, "current")


def test_ranker_ranks_real_candidates_deterministically(trained, source: CandidateSource) -> None:  # type: ignore[no-untyped-def]
    var, meta, vectors = trained
    _, model, _ = artifact.load(var, meta.version)
    ranker = LightGbmRanker(model, meta.version, vectors)
    [parsed] = source.parse(["black hoodie for men"])
    cands = source.retrieve(parsed, source.encode([parsed])[0])
    state = ConversationState(conversation_id="c", filters=parsed.filters)
    first = ranker.rank(cands, source.catalog, state)
    second = ranker.rank(list(reversed(cands)), source.catalog, state)
    assert [c.product_id for c in first] == [c.product_id for c in second]
    assert sorted(c.product_id for c in first) == sorted(c.product_id for c in cands)
    assert set(first[0].features) == set(FEATURES)


def test_only_the_first_ranked_candidates_carry_their_features(trained, source: CandidateSource) -> None:  # type: ignore[no-untyped-def]
    var, meta, vectors = trained
    _, model, _ = artifact.load(var, meta.version)
    [parsed] = source.parse(["black hoodie for men"])
    unfiltered = ParsedQuery(parsed.text, Filters(), parsed.search)  # a full 100-candidate list
    cands = source.retrieve(unfiltered, source.encode([parsed])[0])
    ranked = LightGbmRanker(model, meta.version, vectors).rank(
        cands, source.catalog, ConversationState(conversation_id="c", filters=parsed.filters)
    )
    assert len(ranked) > EXPLAINED
    assert [bool(c.features) for c in ranked] == [i < EXPLAINED for i in range(len(ranked))]


def test_crosssell_returns_existing_products_never_the_anchor(services: Services) -> None:
    store = CatalogStore(services.engine)
    ids = [p.id for p in services.catalog.all()]
    cross = CrossSell(services.catalog, store.links_for(ids), unit_vectors(services.index, ids))
    anchors = [link.product_id for link in store.links_for(ids)[:1]] + [ids[0]]
    for anchor in anchors:
        picks = cross.recommend([anchor], 5)
        assert picks and all(p.id in services.catalog for p in picks)
        assert anchor not in [p.id for p in picks]


def test_ranker_trained_on_another_encoder_is_refused(trained, services: Services) -> None:  # type: ignore[no-untyped-def]
    from app.index.encoders import EncoderMismatch
    from recsys.serving import open_recommender

    var, meta, _ = trained
    _, model, _ = artifact.load(var, meta.version)
    other = meta.model_copy(
        update={"version": meta.version + "-other", "encoder_version": "all-MiniLM-L6-v2@x+static"}
    )
    artifact.save(var, other, model, make_current=False)
    settings = services.settings.model_copy(
        update={"var_dir": var, "ranker": "lightgbm", "ranker_version": other.version}
    )
    store = CatalogStore(services.engine)
    with pytest.raises(EncoderMismatch, match="was built with encoder all-MiniLM-L6-v2@x\\+static"):
        open_recommender(settings, services.index, store, services.catalog, services.encoder.version)
    same = other.model_copy(
        update={"version": meta.version + "-same", "encoder_version": services.encoder.version}
    )
    artifact.save(var, same, model, make_current=False)
    ranker, _ = open_recommender(
        settings.model_copy(update={"ranker_version": same.version}), services.index, store, services.catalog,
        services.encoder.version,
    )  # fmt: skip
    assert ranker.version == same.version


def test_services_refuse_an_index_built_with_another_encoder(services: Services) -> None:
    from app.bootstrap import open_services
    from app.index.encoders import EncoderMismatch

    class OtherEncoder(type(services.encoder)):  # type: ignore[misc]
        def __init__(self) -> None:  # the same model, another version string
            super().__init__(threads=1)
            self.version = self.version + "+onnx-int8@000000000000"

    with pytest.raises(EncoderMismatch, match="run `ctp build`"):
        open_services(services.settings, encoder=OtherEncoder())
