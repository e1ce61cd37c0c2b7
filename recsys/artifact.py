"""Versioned model artifacts under ``settings.var_dir / "models"``.

Layout::

    models/<version>/model.txt        LightGBM ranker (text format: diffable, portable)
    models/<version>/crosssell.txt    LightGBM cross-sell model (optional)
    models/<version>/metadata.json    ArtifactMetadata
    models/CURRENT                    the version "current" resolves to

A version is ``ltr-<UTC timestamp>-<data hash prefix>``: sortable and tied to its training data.
The pointer is a one-line file rather than a symlink so it works on every filesystem; it is
replaced atomically (write + rename) so a reader never sees half a version id.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
from pydantic import BaseModel, Field

MODEL_FILE = "model.txt"
CROSSSELL_FILE = "crosssell.txt"
METADATA_FILE = "metadata.json"
POINTER = "CURRENT"


class ArtifactMissing(FileNotFoundError):
    """No trained model where the settings point: run ``ctp recsys train``."""


class ArtifactMetadata(BaseModel):
    version: str
    created_at: datetime
    feature_version: str
    features: list[str]
    label_sources: list[str]
    data_hash: str
    params: dict[str, Any]
    metrics: dict[str, float] = Field(default_factory=dict)
    rows: int = 0
    queries: int = 0
    seconds: float = 0.0
    crosssell_features: list[str] = Field(default_factory=list)
    crosssell_metrics: dict[str, float] = Field(default_factory=dict)
    encoder_version: str | None = Field(
        default=None,
        description="Encoder of the index whose vectors the features were computed from; the API "
        "refuses to serve the artifact with another (None: made before this was recorded).",
    )


def models_dir(var_dir: Path) -> Path:
    return Path(var_dir) / "models"


def resolve(var_dir: Path, version: str = "current") -> Path:
    """The directory of ``version`` ('current' follows the pointer); ``ArtifactMissing`` if absent."""
    root = models_dir(var_dir)
    if version == "current":
        pointer = root / POINTER
        if not pointer.exists():
            raise ArtifactMissing(f"no trained ranker in {root}: run `ctp recsys train`")
        version = pointer.read_text().strip()
    path = root / version
    if not (path / MODEL_FILE).exists() or not (path / METADATA_FILE).exists():
        raise ArtifactMissing(f"ranker version '{version}' not found in {root}: run `ctp recsys train`")
    return path


def exists(var_dir: Path, version: str = "current") -> bool:
    try:
        resolve(var_dir, version)
    except ArtifactMissing:
        return False
    return True


def save(
    var_dir: Path,
    meta: ArtifactMetadata,
    model: lgb.Booster,
    crosssell: lgb.Booster | None = None,
    make_current: bool = True,
) -> Path:
    path = models_dir(var_dir) / meta.version
    path.mkdir(parents=True, exist_ok=True)
    model.save_model(str(path / MODEL_FILE))
    if crosssell is not None:
        crosssell.save_model(str(path / CROSSSELL_FILE))
    (path / METADATA_FILE).write_text(meta.model_dump_json(indent=2))
    if make_current:
        tmp = models_dir(var_dir) / (POINTER + ".tmp")
        tmp.write_text(meta.version + "\n")
        os.replace(tmp, models_dir(var_dir) / POINTER)
    return path


def load(var_dir: Path, version: str = "current") -> tuple[ArtifactMetadata, lgb.Booster, lgb.Booster | None]:
    path = resolve(var_dir, version)
    meta = ArtifactMetadata.model_validate_json((path / METADATA_FILE).read_text())
    model = lgb.Booster(model_file=str(path / MODEL_FILE))
    cross = lgb.Booster(model_file=str(path / CROSSSELL_FILE)) if (path / CROSSSELL_FILE).exists() else None
    return meta, model, cross
