"""Atomic `INSERT ... ON CONFLICT` on both engines, never select-then-insert."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def dedupe_rows(rows: Iterable[Mapping[str, Any]], key: Sequence[str]) -> list[dict[str, Any]]:
    """Keep the last row for each key, in first-seen order.

    PostgreSQL rejects an upsert that touches one row twice ("ON CONFLICT DO UPDATE command
    cannot affect row a second time"), so a batch must not repeat a key.
    """
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        by_key[tuple(row[k] for k in key)] = dict(row)
    return list(by_key.values())


def insert_for(conn: Connection, table: Table) -> Any:
    """The dialect's own INSERT construct, which knows ON CONFLICT."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for {conn.dialect.name}")


def upsert_statement(
    conn: Connection,
    table: Table,
    key: Sequence[str],
    update: Sequence[str] | Mapping[str, Any] = (),
) -> Insert:
    """INSERT that on a key conflict updates `update` (names take the new row's value;
    a mapping gives expressions) or, when `update` is empty, does nothing."""
    if not isinstance(update, Mapping):
        return _plain_upsert(conn.dialect.name, table, tuple(key), tuple(update))
    stmt = insert_for(conn, table)
    return stmt.on_conflict_do_update(index_elements=list(key), set_=dict(update))  # type: ignore[no-any-return]


@lru_cache(maxsize=64)
def _plain_upsert(
    dialect: str, table: Table, key: tuple[str, ...], update: tuple[str, ...]
) -> Insert:
    """Built once per table and shape: SQLAlchemy then reuses its compiled form cheaply."""
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    if not update:
        return stmt.on_conflict_do_nothing(index_elements=list(key))
    values = {name: stmt.excluded[name] for name in update}
    return stmt.on_conflict_do_update(index_elements=list(key), set_=values)


def upsert(
    conn: Connection,
    table: Table,
    rows: Iterable[Mapping[str, Any]],
    key: Sequence[str],
    update: Sequence[str] | Mapping[str, Any] = (),
) -> int:
    """Insert or update `rows` in one statement; returns how many rows were sent."""
    batch = dedupe_rows(rows, key)
    if batch:
        conn.execute(upsert_statement(conn, table, key, update), batch)
    return len(batch)
