"""Engine factory: SQLite file by default, PostgreSQL (psycopg 3) when ``CTP_DATABASE_URL`` says so."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from app.storage.schema import metadata


def _normalise(url: str) -> str:
    # Accept the libpq spelling people paste from elsewhere; we ship the psycopg 3 driver.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    url = _normalise(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def create_schema(engine: Engine) -> None:
    """Create missing tables, then add columns that were added to an existing table since the
    database was made (only nullable columns or columns with a server default: no data is rewritten).
    ``create_all`` alone never alters a table, so a database built before ``orders.status`` existed
    would otherwise fail on the first checkout."""
    metadata.create_all(engine)
    present = inspect(engine)
    for table in metadata.sorted_tables:
        have = {c["name"] for c in present.get_columns(table.name)}
        for column in table.columns:
            if column.name in have or not (column.nullable or column.server_default is not None):
                continue
            kind = column.type.compile(dialect=engine.dialect)
            default = ""
            if column.server_default is not None:
                default = f" DEFAULT '{column.server_default.arg}'"  # type: ignore[attr-defined]
            null = "" if column.nullable else " NOT NULL"
            with engine.begin() as conn:
                conn.execute(
                    text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}{default}{null}')
                )
