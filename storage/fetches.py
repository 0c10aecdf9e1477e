"""The fetch log: one row per HTTP request, successful or not."""

from __future__ import annotations

from dataclasses import asdict, fields

from sqlalchemy import Connection, Table, insert

from ingest.types import FetchRecord, utcnow
from storage.driver import insert_rows
from storage.models import Fetch

FETCHES: Table = Fetch.__table__  # type: ignore[assignment]
_COLUMNS = tuple(f.name for f in fields(FetchRecord))


def log_fetches(conn: Connection, records: list[FetchRecord]) -> None:
    """The rows in one statement (on PostgreSQL an executemany is a statement per row)."""
    if not records:
        return
    rows = [{**asdict(r), "fetched_at": r.fetched_at or utcnow()} for r in records]
    if conn.dialect.name == "postgresql":  # aware datetimes, as `UTCDateTime` would send
        insert_rows(conn, FETCHES, _COLUMNS, [tuple(row[c] for c in _COLUMNS) for row in rows])
    else:
        conn.execute(insert(Fetch), rows)
