"""Read-only summaries of the store for `ingest stats` and `ingest duplicates`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from storage.models import Article, ArticleUrl, Feed, Fetch, RemovedBlock


def count(conn: Connection, query: object) -> int:
    """The one number a `SELECT count(...)` query gives."""
    return int(conn.execute(query).scalar_one())  # type: ignore[call-overload]


def store_stats(conn: Connection) -> dict[str, dict[str, int]]:
    feeds = {
        "feeds": count(conn, select(func.count()).select_from(Feed)),
        "disabled": count(conn, select(func.count()).where(Feed.disabled.is_(True))),
        "failing": count(conn, select(func.count()).where(Feed.error_count > 0)),
    }
    articles = {
        "articles": count(conn, select(func.count()).select_from(Article)),
        "copies": count(conn, select(func.count()).where(Article.duplicate_of.is_not(None))),
        "urls": count(conn, select(func.count()).select_from(ArticleUrl)),
    }
    removed = dict(
        conn.execute(select(RemovedBlock.reason, func.count()).group_by(RemovedBlock.reason)).all()
    )
    errors: dict[str, int] = dict(
        conn.execute(  # type: ignore[arg-type]
            select(Fetch.error_kind, func.count())
            .where(Fetch.error_kind.is_not(None))
            .group_by(Fetch.error_kind)
        ).all()
    )
    return {"feeds": feeds, "articles": articles, "removed blocks": removed, "fetch errors": errors}


def gauges(conn: Connection) -> dict[str, int]:
    disabled = Feed.disabled.is_(True)
    row = conn.execute(
        select(
            func.count().filter(disabled),
            func.count().filter(~disabled, Feed.error_count > 0),
            func.count().filter(~disabled, Feed.error_count == 0),
        ).select_from(Feed)
    ).one()
    articles = count(conn, select(func.count()).select_from(Article))
    return {
        "feeds_disabled": row[0],
        "feeds_erroring": row[1],
        "feeds_ok": row[2],
        "articles": articles,
    }


@dataclass(frozen=True)
class Copy:
    id: int
    title: str | None
    url: str
    duplicate_of: int | None


def clusters(conn: Connection, limit: int = 50) -> list[tuple[Copy, int]]:
    """Canonical articles with copies, most copies first."""
    copies = (
        select(Article.duplicate_of, func.count().label("n"))
        .where(Article.duplicate_of.is_not(None))
        .group_by(Article.duplicate_of)
        .subquery()
    )
    rows = conn.execute(
        select(Article.id, Article.title, Article.canonical_url, copies.c.n)
        .join(copies, copies.c.duplicate_of == Article.id)
        .order_by(copies.c.n.desc(), Article.id)
        .limit(limit)
    )
    return [(Copy(r.id, r.title, r.canonical_url, None), int(r.n)) for r in rows]


def copies_of(conn: Connection, article_id: int) -> list[Copy]:
    """The article's cluster: its canonical article first, then every copy."""
    root = conn.execute(
        select(func.coalesce(Article.duplicate_of, Article.id)).where(Article.id == article_id)
    ).scalar()
    if root is None:
        return []
    rows = conn.execute(
        select(Article.id, Article.title, Article.canonical_url, Article.duplicate_of)
        .where((Article.id == root) | (Article.duplicate_of == root))
        .order_by(Article.id)
    )
    return [Copy(r.id, r.title, r.canonical_url, r.duplicate_of) for r in rows]
