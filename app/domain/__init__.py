"""Pydantic models at every boundary: catalog, turn, API."""
