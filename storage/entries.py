"""Writes of the `entries` table: one row per item seen in a feed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Table, bindparam, func, update

from ingest.types import utcnow
from storage.driver import pg_array
from storage.models import Entry
from storage.upsert import insert_for, upsert

ENTRIES: Table = Entry.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class EntryRecord:
    feed_id: int
    guid: str
    link: str | None
    title: str | None
    published_at: datetime | None
    article_id: int | None = None
    author: str | None = None
    content: str | None = None


def upsert_entries(conn: Connection, records: Sequence[EntryRecord]) -> int:
    """Record entries; seeing one again refreshes its link and title but keeps when it was
    first seen and never forgets the article it became."""
    now = utcnow()
    rows = [{**r.__dict__, "first_seen_at": now} for r in records]
    excluded = insert_for(conn, ENTRIES).excluded
    update = {
        "link": excluded.link,
        "title": excluded.title,
        "published_at": func.coalesce(excluded.published_at, ENTRIES.c.published_at),
        "author": func.coalesce(excluded.author, ENTRIES.c.author),
        "content": func.coalesce(excluded.content, ENTRIES.c.content),
        "article_id": func.coalesce(excluded.article_id, ENTRIES.c.article_id),
    }
    return upsert(conn, ENTRIES, rows, key=["feed_id", "guid"], update=update)


_LINK = (
    update(Entry)
    .where(Entry.id == bindparam("entry_id"))
    .values(article_id=bindparam("linked_article"))
)


_LINK_ALL = (
    "UPDATE entries SET article_id = linked.article_id "
    "FROM unnest(%s::INTEGER[], %s::INTEGER[]) AS linked(entry_id, article_id) "
    "WHERE entries.id = linked.entry_id"
)


def link_entries(conn: Connection, links: Mapping[int, int]) -> None:
    """Point entries (by id) at the article each became: in one statement on PostgreSQL
    (an executemany there is a statement per row)."""
    if not links:
        return
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_LINK_ALL, (pg_array(list(links)), pg_array(list(links.values()))))
        return
    rows = [{"entry_id": e, "linked_article": a} for e, a in links.items()]
    conn.execute(_LINK, rows)


def record_page_failure(
    conn: Connection, entry_id: int, attempts: int, retry_at: datetime | None, error: str
) -> None:
    """The entry's page failed again: tried `attempts` times, next at `retry_at` (None:
    given up), and why."""
    conn.execute(
        update(Entry)
        .where(Entry.id == entry_id)
        .values(attempts=attempts, retry_at=retry_at, last_error=error)
    )
