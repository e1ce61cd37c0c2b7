"""Merging the configured sources into one catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.catalog.ingest import load_catalog
from app.catalog.sources import SOURCES, CatalogSource, DataMissingError, make_source


def test_sources_are_registered_by_name() -> None:
    assert set(SOURCES) == {"magento", "kibana", "generic"}
    assert isinstance(make_source("kibana", eur_to_usd=1.1), CatalogSource)
    with pytest.raises(ValueError, match="unknown catalog source 'shopify'"):
        make_source("shopify")


def test_merged_catalog_holds_both_sources(data_dir: Path) -> None:
    batch = load_catalog(data_dir, ["magento", "kibana"], eur_to_usd=1.08)
    assert len(batch.products) == 185 + 994
    assert len(batch.links) == 1404 + 11360
    assert {p.source for p in batch.products} == {"magento", "kibana"}


def test_a_missing_data_folder_says_where_and_how_to_configure_it(tmp_path: Path) -> None:
    with pytest.raises(DataMissingError, match=r"nowhere.*CTP_DATA_DIR"):
        load_catalog(tmp_path / "nowhere", ["magento"], eur_to_usd=1.08)
    with pytest.raises(DataMissingError, match=r"magento-luma-sample.*CTP_DATA_DIR"):
        load_catalog(tmp_path, ["magento"], eur_to_usd=1.08)
    with pytest.raises(DataMissingError, match=r"ecommerce.json.gz.*CTP_DATA_DIR"):
        load_catalog(tmp_path, ["kibana"], eur_to_usd=1.08)
