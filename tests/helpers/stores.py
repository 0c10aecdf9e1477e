"""What is in a store, whole: for the tests that check a refused command changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, select

from storage.engine import create_store_engine


def dump(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (full-text index tables aside), sorted."""
    engine = create_store_engine(database_url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {
                name: sorted(map(tuple, conn.execute(select(table))), key=repr)
                for name, table in sorted(meta.tables.items())
                if not name.startswith("articles_fts")
            }
    finally:
        engine.dispose()
