"""SQL storage: one schema for the catalog and the turn log, SQLite by default, PostgreSQL in production."""
