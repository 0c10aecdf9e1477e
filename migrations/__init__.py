"""Alembic migrations for the store (shipped with the package so `ingest db upgrade` works)."""
