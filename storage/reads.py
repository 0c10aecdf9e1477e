"""Reads for people and scripts: articles listed, filtered and searched, one article in
full, and feeds with their status and article counts (`ingest articles`, `show`, `search`,
`feeds list`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from storage.models import Article, ArticleUrl, Entry, Feed, RemovedBlock
from storage.search import has_words, rank_and_match

article_date = func.coalesce(Article.published_at, Article.first_seen_at)
"""An article's date for filters and order: published, else first stored."""


@dataclass(frozen=True)
class ArticleFilter:
    feed_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    with_copies: bool = False
    """Copies (near or exact copies stored as articles of their own) are listed too."""
    limit: int = 50


@dataclass(frozen=True)
class ArticleSummary:
    id: int
    title: str | None
    url: str
    host: str
    author: str | None
    published_at: datetime | None
    first_seen_at: datetime
    language: str | None
    words: int
    copy_of: int | None
    wall: str | None
    text_source: str


@dataclass(frozen=True)
class RemovedText:
    position: int
    reason: str
    text: str


@dataclass(frozen=True)
class ArticleDetail:
    summary: ArticleSummary
    site_name: str | None
    lead_image: str | None
    text: str
    html: str
    urls: list[str]
    copies: list[int]
    """The other articles of its cluster (its canonical article first, when it is a copy)."""
    feeds: list[tuple[int, str]]
    """(id, URL) of the feeds that listed it."""
    removed: list[RemovedText] = field(default_factory=list)


_SUMMARY = (
    Article.id,
    Article.title,
    Article.canonical_url,
    Article.host,
    Article.author,
    Article.published_at,
    Article.first_seen_at,
    Article.language,
    Article.word_count,
    Article.duplicate_of,
    Article.wall,
    Article.text_source,
)


def _summary(row: Any) -> ArticleSummary:
    return ArticleSummary(*row[: len(_SUMMARY)])


def _filtered(query: Any, wanted: ArticleFilter) -> Any:
    if not wanted.with_copies:
        query = query.where(Article.duplicate_of.is_(None))
    if wanted.since is not None:
        query = query.where(article_date >= wanted.since)
    if wanted.until is not None:
        query = query.where(article_date < wanted.until)
    if wanted.feed_id is not None:
        listed = aliased(Article)
        # Without copies, an article counts as the feed's when one of its copies is.
        of_cluster = (
            Entry.article_id == Article.id
            if wanted.with_copies
            else and_(
                Entry.article_id == listed.id,
                or_(listed.id == Article.id, listed.duplicate_of == Article.id),
            )
        )
        query = query.where(exists().where(Entry.feed_id == wanted.feed_id, of_cluster))
    return query.limit(wanted.limit)


def list_articles(conn: Connection, wanted: ArticleFilter) -> list[ArticleSummary]:
    """Newest first (by published date, else first stored)."""
    query = select(*_SUMMARY).order_by(article_date.desc(), Article.id.desc())
    return [_summary(row) for row in conn.execute(_filtered(query, wanted))]


def search_articles(conn: Connection, words: str, wanted: ArticleFilter) -> list[ArticleSummary]:
    """Best matches first; every word must match (see `storage.search`)."""
    if not has_words(words):
        return []
    query, params = rank_and_match(conn.dialect.name, select(*_SUMMARY), words)
    return [_summary(row) for row in conn.execute(_filtered(query, wanted), params)]


def article_detail(conn: Connection, article_id: int) -> ArticleDetail | None:
    row = conn.execute(
        select(*_SUMMARY, Article.site_name, Article.lead_image, Article.text, Article.html).where(
            Article.id == article_id
        )
    ).first()
    if row is None:
        return None
    summary = _summary(row)
    root = summary.copy_of or summary.id
    urls = conn.execute(
        select(ArticleUrl.url).where(ArticleUrl.article_id == article_id).order_by(ArticleUrl.url)
    ).scalars()
    cluster = conn.execute(
        select(Article.id)
        .where(or_(Article.id == root, Article.duplicate_of == root), Article.id != article_id)
        .order_by(Article.duplicate_of.is_not(None), Article.id)
    ).scalars()
    feeds = conn.execute(
        select(Feed.id, Feed.url)
        .where(exists().where(Entry.feed_id == Feed.id, Entry.article_id == article_id))
        .order_by(Feed.id)
    ).all()
    removed = conn.execute(
        select(RemovedBlock.position, RemovedBlock.reason, RemovedBlock.text)
        .where(RemovedBlock.article_id == article_id)
        .order_by(RemovedBlock.position)
    ).all()
    return ArticleDetail(
        summary,
        row.site_name,
        row.lead_image,
        row.text,
        row.html,
        list(urls),
        list(cluster),
        [(f.id, f.url) for f in feeds],
        [RemovedText(*r) for r in removed],
    )


@dataclass(frozen=True)
class FeedOverview:
    id: int
    url: str
    title: str | None
    category: str | None
    status: str
    """"ok", "erroring" or "disabled"."""
    reason: str | None
    """The last error (erroring) or why it is disabled."""
    articles: int
    error_count: int
    last_success_at: datetime | None
    next_check_at: datetime | None


def feed_overview(conn: Connection) -> list[FeedOverview]:
    counts = (
        select(Entry.feed_id, func.count(Entry.article_id.distinct()).label("n"))
        .group_by(Entry.feed_id)
        .subquery()
    )
    rows = conn.execute(
        select(Feed.__table__, func.coalesce(counts.c.n, 0).label("articles"))
        .outerjoin(counts, counts.c.feed_id == Feed.id)
        .order_by(Feed.id)
    ).all()
    overview = []
    for feed in rows:
        if feed.disabled:
            status, reason = "disabled", feed.disabled_reason
        elif feed.error_count:
            status, reason = "erroring", feed.last_error
        else:
            status, reason = "ok", None
        overview.append(
            FeedOverview(
                feed.id,
                feed.url,
                feed.title,
                feed.category,
                status,
                reason,
                int(feed.articles),
                feed.error_count,
                feed.last_success_at,
                None if feed.disabled else feed.next_check_at,
            )
        )
    return overview


def find_feed(conn: Connection, ref: str) -> tuple[int, str] | None:
    """(id, URL) of the feed named by its URL or its id."""
    condition = Feed.url == ref
    if ref.isdigit() and len(ref) < 19:
        condition = or_(condition, Feed.id == int(ref))
    row = conn.execute(select(Feed.id, Feed.url).where(condition).order_by(Feed.id)).first()
    return (row.id, row.url) if row is not None else None
