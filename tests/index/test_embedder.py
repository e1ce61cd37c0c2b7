"""The packaged MiniLM encoder: unit vectors, sensible similarities, a bounded query cache."""

from __future__ import annotations

import re

import numpy as np

from app.index.embedder import Encoder


def test_unit_vectors_of_dim_384(encoder: Encoder) -> None:
    vecs = encoder.encode(["black running jacket", "stainless steel kitchen pan", ""])
    assert encoder.dim == 384
    assert vecs.shape == (3, 384)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_empty_input_gives_empty_matrix(encoder: Encoder) -> None:
    assert encoder.encode([]).shape == (0, 384)


def test_similar_texts_score_higher_than_unrelated(encoder: Encoder) -> None:
    anchor, similar, unrelated = encoder.encode(
        ["black running jacket", "hooded windbreaker for jogging", "stainless steel kitchen pan"]
    )
    assert float(anchor @ similar) > float(anchor @ unrelated) + 0.1


def test_batching_does_not_change_vectors(encoder: Encoder) -> None:
    texts = [f"cotton tee number {i}" for i in range(7)]
    np.testing.assert_allclose(encoder.encode(texts, batch_size=2), encoder.encode(texts), atol=1e-5)


def test_encode_query_matches_encode_and_is_cached(encoder: Encoder) -> None:
    first = encoder.encode_query("waterproof hiking boots")
    again = encoder.encode_query("waterproof hiking boots")
    assert again is first  # served from the cache
    assert not first.flags.writeable  # shared, so read-only
    np.testing.assert_allclose(first, encoder.encode(["waterproof hiking boots"])[0], atol=1e-6)


def test_query_cache_is_bounded() -> None:
    small = Encoder(threads=1, cache_size=3)  # shares the already-loaded model
    for i in range(10):
        small.encode_query(f"query {i}")
    assert len(small._cache) == 3
    assert list(small._cache) == ["query 7", "query 8", "query 9"]


def test_version_names_the_model_and_its_weights(encoder: Encoder) -> None:
    assert re.fullmatch(r"all-MiniLM-L6-v2@[0-9a-f]{12}", encoder.version)
    assert Encoder(threads=1).version == encoder.version
