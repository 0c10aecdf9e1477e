"""Rows an intake transaction sends a batch at a time.

An article's URLs, band keys and removed blocks are rows of tables of their own: sent as
each article went in, they cost three statements an article (and as many round trips to
PostgreSQL). They wait here instead, and go in as one statement per table whenever the
transaction next needs the store to show them: before any other statement but an article's
upsert (which reads none of these tables), at a savepoint's edges, and before it commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Table

from storage.driver import insert_new_rows, insert_rows
from storage.models import ArticleUrl, NearDupBand, RemovedBlock
from storage.upsert import upsert

BANDS: Table = NearDupBand.__table__  # type: ignore[assignment]
REMOVED: Table = RemovedBlock.__table__  # type: ignore[assignment]
URLS: Table = ArticleUrl.__table__  # type: ignore[assignment]


def write_urls(conn: Connection, urls: Mapping[str, tuple[int, datetime]]) -> None:
    """URL -> (its article, first seen) rows in one statement; a URL already known keeps
    its article. On PostgreSQL unnested arrays: an executemany there is a statement per
    row."""
    rows = sorted((url, article_id, seen_at) for url, (article_id, seen_at) in urls.items())
    if conn.dialect.name == "postgresql":
        insert_new_rows(conn, URLS, ("url", "article_id", "first_seen_at"), rows, ["url"])
    elif rows:
        named = [{"url": u, "article_id": a, "first_seen_at": t} for u, a, t in rows]
        upsert(conn, URLS, named, key=["url"])


@dataclass
class PendingRows:
    urls: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    """URL -> (its article, first seen): the first given wins, as the store's own rule
    (a URL already known keeps its article)."""
    bands: list[tuple[int, int]] = field(default_factory=list)
    """(band key, article)"""
    removed: list[tuple[int, int, str, str]] = field(default_factory=list)
    """(article, position, reason, text)"""

    def add_urls(self, urls: Mapping[str, int], seen_at: datetime) -> None:
        for url, article_id in urls.items():
            self.urls.setdefault(url, (article_id, seen_at))

    def flush(self, conn: Connection) -> None:
        """Send what waits, one statement per table. The rows are gone from here even if
        that fails: the failure undoes the transaction, or the savepoint they belong to."""
        if not (self.urls or self.bands or self.removed):
            return
        urls, bands, removed = self.urls, self.bands, self.removed
        self.clear()
        write_urls(conn, urls)
        insert_rows(conn, BANDS, ("band_key", "article_id"), bands)
        insert_rows(conn, REMOVED, ("article_id", "position", "reason", "text"), removed)

    def clear(self) -> None:
        self.urls, self.bands, self.removed = {}, [], []
