"""Index builds are idempotent, versioned by content, crash-safe and survive a restart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.domain.catalog import Product
from app.domain.turn import Filters
from app.index import edge as edge_module
from app.index.base import VectorIndex
from app.index.build import DocumentVectors, build_index, index_version
from app.index.edge import EdgeIndex
from app.index.embedder import Encoder
from app.index.server import ServerIndex


@pytest.fixture
def products(catalog: list[Product]) -> list[Product]:
    return catalog[:12]  # small: these tests encode and rebuild several times


def test_build_then_skip_then_force(
    empty_index: VectorIndex, encoder: Encoder, products: list[Product], capsys: pytest.CaptureFixture[str]
) -> None:
    first = build_index(products, encoder, empty_index, progress=True)
    assert not first.skipped
    assert first.count == empty_index.count() == len(products)
    assert empty_index.version() == first.version == index_version(products, encoder.version)
    assert "encode" in capsys.readouterr().err  # the tqdm bar goes to stderr

    again = build_index(products, encoder, empty_index, progress=False)
    assert again.skipped and again.version == first.version and again.count == len(products)

    forced = build_index(products, encoder, empty_index, force=True, progress=False)
    assert not forced.skipped and forced.version == first.version
    assert empty_index.count() == len(products)


def test_changed_product_changes_version_and_is_reindexed(
    empty_index: VectorIndex, encoder: Encoder, products: list[Product]
) -> None:
    first = build_index(products, encoder, empty_index, progress=False)
    cheaper = [p.model_copy(update={"price": 5.0}) if p.id == "test:05" else p for p in products]
    second = build_index(cheaper, encoder, empty_index, progress=False)
    assert not second.skipped and second.version != first.version
    assert empty_index.version() == second.version
    q = encoder.encode_query("leather biker jacket")
    hits = empty_index.search(q, "leather biker jacket", Filters(price_max=10), 10, "hybrid")
    assert [h.product_id for h in hits] == ["test:05"]


def test_version_depends_on_content_not_order(encoder: Encoder, products: list[Product]) -> None:
    v = index_version(products, encoder.version)
    assert index_version(list(reversed(products)), encoder.version) == v
    assert index_version(products, "other-encoder@000000000000") != v
    edited = [products[0].model_copy(update={"description": "new text"}), *products[1:]]
    assert index_version(edited, encoder.version) != v
    assert index_version(products[:-1], encoder.version) != v


def test_duplicate_ids_are_rejected(
    empty_index: VectorIndex, encoder: Encoder, products: list[Product]
) -> None:
    with pytest.raises(ValueError, match="duplicate"):
        build_index([products[0], products[0]], encoder, empty_index, progress=False)


# --- Qdrant Edge on disk ------------------------------------------------------------------------


def test_edge_reopens_from_disk(
    tmp_path: Path, encoder: Encoder, products: list[Product], embeddings: np.ndarray
) -> None:
    path = tmp_path / "qdrant-edge" / "products"
    index = EdgeIndex(path)
    index.rebuild(products, embeddings[: len(products)], "v-disk")
    index.close()
    assert path.is_symlink() and (path / "ctp_index.json").exists()

    reopened = EdgeIndex(path)
    try:
        assert reopened.count() == len(products)
        assert reopened.version() == "v-disk"
        assert reopened.nearest(embeddings[3], 1)[0][0] == products[3].id
        assert build_index(products, encoder, reopened, progress=False).skipped is False  # other version
        assert build_index(products, encoder, reopened, progress=False).skipped is True
    finally:
        reopened.close()


def test_edge_failed_build_leaves_the_old_index_serving(
    tmp_path: Path, products: list[Product], embeddings: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "products"
    index = EdgeIndex(path)
    index.rebuild(products, embeddings[: len(products)], "good")
    generations = sorted(p.name for p in tmp_path.glob("products.gen-*"))

    calls = 0

    def crash_midway(text: str) -> tuple[list[int], list[float]]:
        nonlocal calls
        calls += 1
        if calls > 5:
            raise RuntimeError("simulated crash")
        return ([1], [1.0])

    monkeypatch.setattr(edge_module, "sparse_document", crash_midway)
    with pytest.raises(RuntimeError, match="simulated crash"):
        index.rebuild(products, embeddings[: len(products)], "bad")
    monkeypatch.undo()

    assert index.version() == "good" and index.count() == len(products)
    assert sorted(p.name for p in tmp_path.glob("products.gen-*")) == generations
    assert not list(tmp_path.glob(".products.build-*"))  # the half-built shard is gone
    (tmp_path / ".products.build-deadbeef").mkdir()  # as after a hard crash (kill -9)
    reopened = EdgeIndex(path)  # a restart after the crash sees the good index too
    assert reopened.version() == "good"
    reopened.rebuild(products, embeddings[: len(products)], "next")  # and the next build cleans up
    assert not list(tmp_path.glob(".products.build-*"))
    reopened.close()
    index.close()


def test_edge_reader_keeps_working_across_a_rebuild_and_refreshes(
    tmp_path: Path, products: list[Product], embeddings: np.ndarray
) -> None:
    path = tmp_path / "products"
    builder = EdgeIndex(path)
    builder.rebuild(products, embeddings[: len(products)], "v1")
    reader = EdgeIndex(path)  # e.g. another API worker

    builder.rebuild(products[:5], embeddings[:5], "v2")
    assert reader.version() == "v1" and reader.count() == len(products)  # still on its generation
    assert reader.nearest(embeddings[0], 1)[0][0] == products[0].id

    assert reader.refresh() is True
    assert reader.version() == "v2" and reader.count() == 5
    assert reader.refresh() is False
    assert len(list(tmp_path.glob("products.gen-*"))) == 2  # current + previous, older ones collected
    builder.close()
    reader.close()


# --- Qdrant server (local mode) -----------------------------------------------------------------


def test_server_rebuild_swaps_an_alias(products: list[Product], embeddings: np.ndarray) -> None:
    from qdrant_client import QdrantClient

    index = ServerIndex(QdrantClient(":memory:"), "products")
    for version in ("v1", "v2", "v3"):
        index.rebuild(products, embeddings[: len(products)], version)
    aliases = {a.alias_name: a.collection_name for a in index.client.get_aliases().aliases}
    physical = sorted(c.name for c in index.client.get_collections().collections)
    assert aliases["products"].startswith("products__v3_")
    assert len(physical) == 2 and aliases["products"] in physical  # current + previous
    assert index.version() == "v3" and index.count() == len(products)
    index.close()


def test_server_failed_build_keeps_the_old_collection(
    products: list[Product], embeddings: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qdrant_client import QdrantClient

    from app.index import server as server_module

    index = ServerIndex(QdrantClient(":memory:"), "products")
    index.rebuild(products, embeddings[: len(products)], "good")
    before = sorted(c.name for c in index.client.get_collections().collections)

    def crash(text: str) -> tuple[list[int], list[float]]:
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(server_module, "sparse_document", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        index.rebuild(products, embeddings[: len(products)], "bad")
    assert index.version() == "good" and index.count() == len(products)
    assert sorted(c.name for c in index.client.get_collections().collections) == before
    index.close()


def test_factory_picks_the_backend_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qdrant_client

    from app.index.factory import open_index
    from app.settings import Settings

    local = open_index(Settings(var_dir=tmp_path, qdrant_url=None))
    assert isinstance(local, EdgeIndex) and local.path == tmp_path / "qdrant-edge" / "products"
    local.close()

    seen: dict[str, object] = {}
    real_client = qdrant_client.QdrantClient

    def fake_client(**kwargs: object) -> qdrant_client.QdrantClient:  # no server runs here
        seen.update(kwargs)
        return real_client(":memory:")

    monkeypatch.setattr(qdrant_client, "QdrantClient", fake_client)
    settings = Settings(
        var_dir=tmp_path, qdrant_url="http://qdrant:6333", qdrant_api_key="k", collection="shop"
    )
    remote = open_index(settings)
    assert isinstance(remote, ServerIndex) and remote.collection == "shop"
    assert seen == {"url": "http://qdrant:6333", "api_key": "k"}
    remote.close()


# --- document vectors kept between builds (issue 18) ---------------------------------------------


def test_a_rebuild_encodes_only_the_texts_it_has_not_seen(
    tmp_path: Path, empty_index: VectorIndex, encoder: Encoder, products: list[Product]
) -> None:
    cache = DocumentVectors(tmp_path / "index-cache")
    first = build_index(products, encoder, empty_index, progress=False, cache=cache)
    assert first.encoded == len(products)
    forced = build_index(products, encoder, empty_index, force=True, progress=False, cache=cache)
    assert forced.encoded == 0 and forced.version == first.version
    renamed = [
        p.model_copy(update={"name": "Quilted down parka"}) if p.id == "test:05" else p for p in products
    ]
    third = build_index(renamed, encoder, empty_index, progress=False, cache=cache)
    assert third.encoded == 1
    stored = empty_index.vectors([p.id for p in renamed])
    fresh = encoder.encode([p.embedding_text() for p in renamed])
    for i, p in enumerate(renamed):
        assert float(np.dot(stored[p.id], fresh[i])) > 0.999


def test_vectors_of_another_encoder_are_never_reused(tmp_path: Path, products: list[Product]) -> None:
    cache = DocumentVectors(tmp_path)
    texts = [p.embedding_text() for p in products]
    cache.save("enc-a@1", texts, np.ones((len(texts), 4), dtype=np.float32))
    assert len(cache.load("enc-a@1")) == len(texts)
    assert cache.load("enc-b@1") == {}
    cache.path("enc-a@1").write_bytes(b"not an npz")
    assert cache.load("enc-a@1") == {}


def test_a_key_ending_in_a_zero_byte_survives_the_round_trip(tmp_path: Path) -> None:
    from app.index.build import text_key

    texts = [f"text {i}" for i in range(2000)]
    assert any(text_key(t).endswith(b"\x00") for t in texts)
    cache = DocumentVectors(tmp_path)
    cache.save("enc@1", texts, np.zeros((len(texts), 2), dtype=np.float32))
    assert set(cache.load("enc@1")) == {text_key(t) for t in texts}
