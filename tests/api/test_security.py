"""Staff keys: hashed at rest, roles ordered, production without safe keys refuses to start."""

from __future__ import annotations

import re

import pytest

from app.api.security import (
    DEV_REVIEWER_KEY,
    authenticate,
    check_production,
    configured_keys,
    hash_key,
)
from app.settings import Settings


def settings(**kw: object) -> Settings:
    return Settings(**kw)  # type: ignore[arg-type]


def test_a_configured_key_authenticates_by_its_hash() -> None:
    s = settings(api_keys={"ana": "admin:" + hash_key("s3cret-key")})
    principal = authenticate(s, "Bearer s3cret-key")
    assert principal is not None and (principal.name, principal.role) == ("ana", "admin")


def test_a_wrong_or_missing_key_is_anonymous() -> None:
    s = settings(api_keys={"ana": "admin:" + hash_key("s3cret-key")})
    assert authenticate(s, "Bearer nope") is None
    assert authenticate(s, None) is None
    assert authenticate(s, "s3cret-key") is None  # not a bearer header


def test_development_without_keys_accepts_only_the_dev_reviewer_key() -> None:
    principal = authenticate(settings(), f"Bearer {DEV_REVIEWER_KEY}")
    assert principal is not None and principal.role == "reviewer"


def test_configured_keys_disable_the_dev_key() -> None:
    s = settings(api_keys={"ana": "reviewer:" + hash_key("k" * 20)})
    assert authenticate(s, f"Bearer {DEV_REVIEWER_KEY}") is None


def test_malformed_key_spec_is_rejected() -> None:
    with pytest.raises(ValueError, match=re.escape("must be '<reviewer|admin>:<sha256 hex>'")):
        configured_keys(settings(api_keys={"x": "superuser:abc"}))


def test_production_without_keys_refuses_to_start() -> None:
    with pytest.raises(RuntimeError, match="no staff keys"):
        check_production(settings(environment="production"))


def test_production_with_the_dev_key_refuses_to_start() -> None:
    s = settings(environment="production", api_keys={"x": "reviewer:" + hash_key(DEV_REVIEWER_KEY)})
    with pytest.raises(RuntimeError, match="development reviewer key"):
        check_production(s)
