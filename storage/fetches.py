"""The fetch log: one row per HTTP request, successful or not."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Connection, insert

from storage.models import Fetch, utcnow


@dataclass(frozen=True)
class FetchRecord:
    url: str
    status: int | None
    bytes: int
    duration_ms: float
    feed_id: int | None = None
    error_kind: str | None = None
    error: str | None = None
    fetched_at: datetime | None = None


def log_fetches(conn: Connection, records: list[FetchRecord]) -> None:
    if not records:
        return
    rows = [{**asdict(r), "fetched_at": r.fetched_at or utcnow()} for r in records]
    conn.execute(insert(Fetch), rows)
