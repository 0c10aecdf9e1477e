"""Writes of articles, the URLs they were seen under and the blocks cleaning removed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from ingest.types import ArticleRecord, decompress_html
from storage.models import Article, RemovedBlock
from storage.pending import PendingRows, write_urls

ARTICLES: Table = Article.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class StoredArticle:
    id: int
    created: bool
    content_changed: bool


ARTICLE_COLUMNS = (
    "canonical_url",
    "host",
    "title",
    "author",
    "published_at",
    "language",
    "site_name",
    "lead_image",
    "first_seen_at",
    "last_seen_at",
    "content_changed_at",
    "text",
    "html",
    "word_count",
    "content_hash",
    "fingerprint",
    "duplicate_of",
    "raw_html",
    "text_source",
    "feed_fields",
    "wall",
)
_DELETE_REMOVED = delete(RemovedBlock).where(RemovedBlock.article_id == bindparam("article_id"))
KEEP_ON_UPDATE = {"canonical_url", "first_seen_at", "content_changed_at", "duplicate_of"}


@lru_cache(maxsize=4)
def _article_upsert(dialect: str) -> Any:
    """The upsert, built once per dialect: building and cache-keying this statement on
    every call cost more than running it."""
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ARTICLES)
    new = stmt.excluded
    updated: dict[str, Any] = {
        name: new[name] for name in ARTICLE_COLUMNS if name not in KEEP_ON_UPDATE
    }
    updated["content_changed_at"] = case(
        (ARTICLES.c.content_hash.is_distinct_from(new.content_hash), new.content_changed_at),
        else_=ARTICLES.c.content_changed_at,
    )
    return stmt.on_conflict_do_update(index_elements=["canonical_url"], set_=updated).returning(
        ARTICLES.c.id, ARTICLES.c.first_seen_at, ARTICLES.c.content_changed_at
    )


def store_article(
    conn: Connection,
    record: ArticleRecord,
    duplicate_of: int | None = None,
    unseen: bool = False,
    pending: PendingRows | None = None,
) -> StoredArticle:
    """Insert the article or update the one with the same canonical URL, atomically.

    An update keeps `first_seen_at`; `content_changed_at` moves only when the content hash
    changes. The removed blocks are replaced when the content is new or changed; `unseen`
    says that no article had any of the record's URLs a moment ago, so that a new one has
    nothing to replace. Its URLs and removed blocks wait in `pending` when one is given
    (see `storage.pending`); otherwise they are written at once.
    """
    rows = PendingRows() if pending is None else pending
    row = {
        "canonical_url": record.canonical_url,
        "host": record.host,
        "title": record.title,
        "author": record.author,
        "published_at": record.published_at,
        "language": record.language,
        "site_name": record.site_name,
        "lead_image": record.lead_image,
        "first_seen_at": record.seen_at,
        "last_seen_at": record.seen_at,
        "content_changed_at": record.seen_at,
        "text": record.text,
        "html": record.html,
        "word_count": record.word_count,
        "content_hash": record.content_hash,
        "fingerprint": record.fingerprint,
        "duplicate_of": duplicate_of,
        "raw_html": record.raw_html_blob,
        "text_source": record.text_source,
        "feed_fields": " ".join(record.feed_fields) or None,
        "wall": record.wall,
    }
    article_id, first_seen, changed_at = conn.execute(_article_upsert(conn.dialect.name), row).one()
    created = first_seen == record.seen_at
    changed = changed_at == record.seen_at
    urls = {record.canonical_url, *record.urls}
    rows.add_urls(dict.fromkeys(sorted(urls), article_id), record.seen_at)
    if changed and not (created and unseen):
        rows.flush(conn)  # this article's blocks may wait there too
        conn.execute(_DELETE_REMOVED, {"article_id": article_id})
    if created or changed:
        rows.removed += [(article_id, i, r.reason, r.text) for i, r in enumerate(record.removed)]
    if pending is None:
        rows.flush(conn)
    return StoredArticle(id=article_id, created=created, content_changed=changed and not created)


def add_urls(conn: Connection, urls: Mapping[str, int], seen_at: datetime) -> None:
    """Remember URLs (-> their article) in one statement; a URL already known keeps its
    article."""
    write_urls(conn, {url: (article_id, seen_at) for url, article_id in urls.items()})


def stored_page_ids(conn: Connection, since: datetime | None = None) -> list[int]:
    """Ids of the articles whose page was kept (first seen since `since`), in order."""
    query = select(Article.id).where(Article.raw_html.is_not(None))
    if since is not None:
        query = query.where(Article.first_seen_at >= since)
    return list(conn.execute(query.order_by(Article.id)).scalars())


def stored_pages(conn: Connection, ids: list[int]) -> Iterator[tuple[int, str, str]]:
    """(id, canonical URL, raw HTML) of these articles."""
    query = select(Article.id, Article.canonical_url, Article.raw_html).where(
        Article.id.in_(ids), Article.raw_html.is_not(None)
    )
    for row in conn.execute(query.order_by(Article.id)):
        yield row.id, row.canonical_url, decompress_html(row.raw_html)
