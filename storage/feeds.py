"""Writes and reads of the `feeds` table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, delete, select

from storage.models import Feed, utcnow
from storage.upsert import upsert

FEEDS = Feed.__table__


def add_feeds(conn: Connection, urls: Iterable[str], poll_interval: int = 3600) -> int:
    """Subscribe to `urls`; a URL already subscribed is left as it is. Returns rows sent."""
    now = utcnow()
    rows = [
        {
            "url": url,
            "poll_interval": poll_interval,
            "next_check_at": now,
            "error_count": 0,
            "disabled": False,
            "created_at": now,
        }
        for url in urls
    ]
    return upsert(conn, FEEDS, rows, key=["url"])  # type: ignore[arg-type]


def remove_feed(conn: Connection, url: str) -> bool:
    result = conn.execute(delete(Feed).where(Feed.url == url))
    return bool(result.rowcount)


def list_feeds(conn: Connection) -> Sequence[Feed]:
    rows = conn.execute(select(Feed.__table__).order_by(Feed.url)).all()
    return [Feed(**row._mapping) for row in rows]
