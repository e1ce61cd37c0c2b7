"""The calibration artifact: round trip, staleness, and recalibration when the index changes."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.bootstrap import Services
from app.catalog.vocabulary import load_vocabulary
from app.guard.calibration import (
    Calibration,
    calibration_path,
    calibration_queries,
    ensure_calibration,
    load_calibration,
    save_calibration,
)
from app.guard.conformal import conformal_rank
from app.index.build import build_index
from app.index.edge import EdgeIndex
from app.index.embedder import Encoder
from app.pipeline.extract.rules import RulesExtractor
from app.settings import Settings


def artifact(**overrides: object) -> Calibration:
    fields: dict[str, object] = {
        "version": "knn-catalog-k5-a0.05-abc",
        "method": "knn-catalog",
        "k": 5,
        "alpha": 0.05,
        "n": 3,
        "rank": 4,
        "threshold": math.inf,
        "encoder_version": "enc@1",
        "index_version": "idx1",
        "source": "shopper_queries.jsonl:calibration@x",
        "created_at": datetime(2026, 1, 2, tzinfo=UTC),
        "scores": [0.4, 0.5, 0.6],
    }
    return Calibration.model_validate({**fields, **overrides})


def test_artifact_round_trips_through_json(tmp_path: Path) -> None:
    cal = artifact(threshold=0.6)
    path = calibration_path(tmp_path)
    save_calibration(cal, path)
    assert load_calibration(path) == cal
    assert path == tmp_path / "calibration" / "guard.json"


def test_missing_or_corrupt_artifact_loads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "guard.json"
    assert load_calibration(path) is None
    path.write_text("{not json")
    assert load_calibration(path) is None


@pytest.mark.parametrize(
    ("index_version", "encoder_version", "alpha", "k"),
    [
        ("idx2", "enc@1", 0.05, 5),
        ("idx1", "enc@2", 0.05, 5),
        ("idx1", "enc@1", 0.1, 5),
        ("idx1", "enc@1", 0.05, 3),
    ],
)
def test_any_changed_input_makes_the_calibration_stale(
    index_version: str, encoder_version: str, alpha: float, k: int
) -> None:
    assert artifact().matches("idx1", "enc@1", 0.05, 5)
    assert not artifact().matches(index_version, encoder_version, alpha, k)


def test_calibration_queries_are_the_calibration_split_only() -> None:
    path = Settings().guard_calibration_queries
    queries, source = calibration_queries(path)
    test_queries, _ = calibration_queries(path, split="test")
    assert len(queries) == 136
    assert not set(queries) & set(test_queries)
    assert source.startswith("shopper_queries.jsonl:calibration@")


def test_build_leaves_a_calibration_matching_the_index(settings: Settings, services: Services) -> None:
    cal = load_calibration(calibration_path(settings.var_dir))
    assert cal is not None
    assert cal.matches(
        services.index.version(), services.encoder.version, settings.guard_alpha, settings.guard_k
    )
    assert cal.rank == conformal_rank(cal.n, cal.alpha)
    assert cal.threshold == cal.scores[cal.rank - 1]


QUERIES = Settings().guard_calibration_queries


def test_recalibrates_when_the_index_changes(tmp_path: Path, services: Services, encoder: Encoder) -> None:
    products = services.catalog.all()
    extractor = RulesExtractor(load_vocabulary(), sorted({p.brand for p in products if p.brand}))
    path = calibration_path(tmp_path)
    index = EdgeIndex(tmp_path / "edge" / "products")
    try:
        build_index(products[:150], encoder, index, progress=False)
        first, recalibrated = ensure_calibration(path, extractor, encoder, index, 0.1, 3, queries=QUERIES)
        assert recalibrated and first.index_version == index.version()
        again, recalibrated = ensure_calibration(path, extractor, encoder, index, 0.1, 3, queries=QUERIES)
        assert not recalibrated and again == first

        build_index(products[:200], encoder, index, progress=False)  # the catalog changed
        stale = load_calibration(path)
        assert stale is not None and not stale.matches(index.version(), encoder.version, 0.1, 3)
        second, recalibrated = ensure_calibration(path, extractor, encoder, index, 0.1, 3, queries=QUERIES)
        rebuilt_version = index.version()
    finally:
        index.close()
    assert recalibrated
    assert second.index_version == rebuilt_version != first.index_version
    assert load_calibration(path) == second
