"""Shared fixtures: real PostgreSQL and Redis on this machine, never mocks.

Each test session gets its own PostgreSQL database (created and dropped here) and its own Redis
key prefix, so parallel runs and helper processes never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.bootstrap import BuildReport, Services, build_catalog, open_services
from app.index.embedder import Encoder
from app.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PG_ADMIN_URL = os.environ.get("CTP_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CTP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DATA_DIR = Path(
    os.environ.get("CTP_DATA_DIR", Path(__file__).resolve().parents[1].parent / "shared" / "data")
)


# --- tiers: `make test-fast` runs what needs no server, no browser, no built catalog or encoder ----

#: Fixtures that reach a server: the session PostgreSQL and Redis, the real app's services (Redis),
#: a started API (tests/ui) or the whole stack (tests/browser), private servers (tests/reliability).
SERVER_FIXTURES = frozenset(
    {"pg_url", "redis_url", "services", "api_url", "stack", "private_pg", "private_redis"}
)
#: Fixtures that build the real catalog and index, or load the encoder model.
SLOW_FIXTURES = frozenset({"built", "settings", "encoder"})
#: Modules whose every test loads the encoder model, some without the ``encoder`` fixture.
ENCODER_MODULES = frozenset({"tests/index/test_embedder.py", "tests/index/test_encoders.py"})
#: Fixtures that launch Chromium.
BROWSER_FIXTURES = frozenset({"browser"})


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by what its fixtures (their whole closure) start: ``server``, ``slow``,
    ``browser``. Only adds markers, never deselects: ``make test`` still runs every test."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_url") == "postgresql":
            names.add("pg_url")  # db_url asks for it through request.getfixturevalue
        if names & SERVER_FIXTURES:
            item.add_marker(pytest.mark.server)
        if names & SLOW_FIXTURES or item.nodeid.split("::")[0] in ENCODER_MODULES:
            item.add_marker(pytest.mark.slow)
        if names & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "magento-luma-sample").exists():
        pytest.fail(f"real data sets not found at {DATA_DIR}; set CTP_DATA_DIR")
    return DATA_DIR


@contextmanager
def fresh_pg_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database on the real server, dropped afterwards (its
    connections terminated first, so a test's leftover pool cannot block the drop)."""
    name = f"{prefix}_{uuid.UUID(bytes=os.urandom(16)).hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    with fresh_pg_database("ctp_test") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run a test against both SQL backends the catalog supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return REDIS_URL


# --- the real app on the real catalog, built once per session (SQLite + Qdrant Edge + Redis) -------


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return Encoder(threads=1)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, redis_url: str, encoder: Encoder):
    var = tmp_path_factory.mktemp("var")
    settings = Settings(
        data_dir=data_dir,
        var_dir=var,
        redis_url=redis_url,
        qdrant_url=None,
        database_url=None,
        rate_limit_enabled=False,  # every test client is 127.0.0.1; tests/security enable it
        encoder="torch",  # the session's encoder fixture: the reference the variants are tested against
        stock_cache_s=0.0,  # tests change stock and search at once; the cache has its own test
    )
    report = build_catalog(settings, encoder=encoder, progress=False)
    return settings, report


@pytest.fixture(scope="session")
def settings(built: tuple[Settings, BuildReport]) -> Settings:
    return built[0]


@pytest.fixture(scope="session")
def services(settings: Settings, encoder: Encoder) -> Iterator[Services]:
    svc = open_services(settings, encoder=encoder)
    yield svc
    svc.index.close()
    svc.engine.dispose()
