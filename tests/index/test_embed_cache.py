"""The Redis embedding cache: shared across workers, byte-exact, and never a point of failure."""

from __future__ import annotations

import socket
import uuid

import numpy as np
import pytest
import redis

from app.index.embed_cache import CachedEncoder, cache_key, from_bytes, normalise, to_bytes
from app.index.embedder import Encoder


@pytest.fixture
def prefix() -> str:
    return f"ctp:test-emb:{uuid.uuid4().hex[:8]}:"


@pytest.fixture
def client(redis_url: str, prefix: str):  # type: ignore[no-untyped-def]
    c = redis.Redis.from_url(redis_url)
    yield c
    for key in c.scan_iter(f"{prefix}*"):
        c.delete(key)
    c.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_normalise_trims_collapses_whitespace_and_lowercases() -> None:
    assert normalise("  Black   Hoodie\tfor MEN ") == "black hoodie for men"


def test_normalised_text_embeds_to_the_same_vector(encoder: Encoder) -> None:
    raw = encoder.encode(["  Black   Hoodie for MEN "])[0]
    norm = encoder.encode([normalise("  Black   Hoodie for MEN ")])[0]
    np.testing.assert_allclose(raw, norm, atol=1e-6)


def test_key_carries_encoder_version_and_ignores_case_and_spacing() -> None:
    assert cache_key("v1", "Red  Dress") == cache_key("v1", "red dress")
    assert cache_key("v1", "red dress") != cache_key("v2", "red dress")
    assert cache_key("v1", "red dress", prefix="p:").startswith("p:v1:")


def test_bytes_round_trip_and_foreign_values_are_rejected() -> None:
    vec = np.arange(4, dtype=np.float32) / 7
    np.testing.assert_array_equal(from_bytes(to_bytes(vec), 4), vec)
    assert from_bytes(b"not a vector", 4) is None


def test_a_miss_computes_and_stores_float32_bytes_with_ttl(
    encoder: Encoder, client: redis.Redis, prefix: str
) -> None:
    cached = CachedEncoder(encoder, client, ttl_s=600, prefix=prefix)
    vec = cached.encode_query("waterproof hiking jacket")
    key = cache_key(encoder.version, "waterproof hiking jacket", prefix)
    stored = client.get(key)
    assert isinstance(stored, bytes)
    assert len(stored) == 4 * encoder.dim
    np.testing.assert_array_equal(from_bytes(stored, encoder.dim), vec)
    assert 0 < client.ttl(key) <= 600
    assert (cached.stats.misses, cached.stats.redis_hits) == (1, 0)


def test_another_worker_reads_the_vector_from_redis_without_computing(
    encoder: Encoder, client: redis.Redis, prefix: str
) -> None:
    first = CachedEncoder(encoder, client, ttl_s=600, prefix=prefix)
    vec = first.encode_query("yoga pants")
    second = CachedEncoder(encoder, client, ttl_s=600, prefix=prefix)
    again = second.encode_query("Yoga  Pants")
    np.testing.assert_array_equal(again, vec)
    assert (second.stats.misses, second.stats.redis_hits) == (0, 1)


def test_repeated_query_is_served_by_the_local_lru(
    encoder: Encoder, client: redis.Redis, prefix: str
) -> None:
    cached = CachedEncoder(encoder, client, ttl_s=600, prefix=prefix)
    cached.encode_query("running shoes")
    cached.encode_query("running shoes")
    assert (cached.stats.misses, cached.stats.local_hits) == (1, 1)


def test_cached_vector_is_read_only(encoder: Encoder, client: redis.Redis, prefix: str) -> None:
    vec = CachedEncoder(encoder, client, ttl_s=600, prefix=prefix).encode_query("tote bag")
    with pytest.raises(ValueError):
        vec[0] = 1.0


def test_redis_down_falls_back_to_computing(encoder: Encoder) -> None:
    dead = redis.Redis(host="127.0.0.1", port=_closed_port(), socket_timeout=0.2, socket_connect_timeout=0.2)
    cached = CachedEncoder(encoder, dead, ttl_s=600, cooldown_s=60)
    vec = cached.encode_query("wool scarf")
    np.testing.assert_allclose(vec, encoder.encode(["wool scarf"])[0], atol=1e-6)
    assert cached.stats.errors == 1  # the GET failed; the SET was skipped during the cooldown


def test_redis_stays_off_during_the_cooldown(encoder: Encoder) -> None:
    dead = redis.Redis(host="127.0.0.1", port=_closed_port(), socket_timeout=0.2, socket_connect_timeout=0.2)
    cached = CachedEncoder(encoder, dead, ttl_s=600, cooldown_s=60)
    cached.encode_query("wool scarf")
    cached.encode_query("leather belt")
    assert (cached.stats.errors, cached.stats.misses) == (1, 2)


def test_a_foreign_value_under_the_key_is_recomputed(
    encoder: Encoder, client: redis.Redis, prefix: str
) -> None:
    client.set(cache_key(encoder.version, "gym bag", prefix), b"garbage")
    cached = CachedEncoder(encoder, client, ttl_s=600, prefix=prefix)
    vec = cached.encode_query("gym bag")
    np.testing.assert_allclose(vec, encoder.encode(["gym bag"])[0], atol=1e-6)
    assert cached.stats.misses == 1


def test_zero_ttl_turns_the_redis_cache_off(encoder: Encoder, redis_url: str) -> None:
    assert CachedEncoder.from_url(encoder, redis_url, ttl_s=0).client is None
    assert CachedEncoder.from_url(encoder, None, ttl_s=600).client is None
