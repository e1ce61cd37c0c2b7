"""The catalog: source adapters, the store vocabulary and the SQL source of truth."""
