"""The fetch log: one row per HTTP request, successful or not."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import Connection, insert

from ingest.types import FetchRecord, utcnow
from storage.models import Fetch


def log_fetches(conn: Connection, records: list[FetchRecord]) -> None:
    if not records:
        return
    rows = [{**asdict(r), "fetched_at": r.fetched_at or utcnow()} for r in records]
    conn.execute(insert(Fetch), rows)
