"""Full-text search over article titles and text.

SQLite: the FTS5 table `articles_fts` (porter stemming), kept current by triggers.
PostgreSQL: the generated column `articles.search_vector` ('english' configuration, title
weighted above text) with a GIN index. Both are created by the migrations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from storage.models import UTCDateTime

_WORD = re.compile(r"\w+", re.UNICODE)

SQLITE_SEARCH = text(
    """
    SELECT a.id, a.title, a.canonical_url, a.published_at
    FROM articles_fts JOIN articles AS a ON a.id = articles_fts.rowid
    WHERE articles_fts MATCH :query
    ORDER BY bm25(articles_fts, 4.0, 1.0)
    LIMIT :limit
    """
).columns(published_at=UTCDateTime())

POSTGRES_SEARCH = text(
    """
    SELECT a.id, a.title, a.canonical_url, a.published_at
    FROM articles AS a, websearch_to_tsquery('english', :query) AS q
    WHERE a.search_vector @@ q
    ORDER BY ts_rank(a.search_vector, q) DESC
    LIMIT :limit
    """
).columns(published_at=UTCDateTime())


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    title: str | None
    url: str
    published_at: datetime | None


def fts5_query(words: str) -> str:
    """Every word must match; words are quoted so user input is never FTS5 syntax."""
    return " ".join(f'"{w}"' for w in _WORD.findall(words))


def search_articles(conn: Connection, words: str, limit: int = 20) -> list[SearchHit]:
    if not _WORD.search(words):
        return []
    if conn.dialect.name == "sqlite":
        rows = conn.execute(SQLITE_SEARCH, {"query": fts5_query(words), "limit": limit})
    else:
        rows = conn.execute(POSTGRES_SEARCH, {"query": words, "limit": limit})
    return [SearchHit(r.id, r.title, r.canonical_url, r.published_at) for r in rows]
