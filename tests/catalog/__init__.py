"""Catalog ingestion and the SQL catalog store, tested on the real data sets."""
