"""Queries behind deduplication: URL and content-hash lookups, and the LSH band index.

The band index is a table (`near_dup_bands`, indexed by band key), so every worker and every
restart sees the same index."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select

from storage.models import Article, ArticleUrl, NearDupBand
from storage.upsert import upsert


@dataclass(frozen=True)
class Candidate:
    id: int
    duplicate_of: int | None
    fingerprint: bytes | None


def article_for_urls(conn: Connection, urls: Iterable[str]) -> int | None:
    """The article already seen under any of these URLs."""
    found = conn.execute(
        select(ArticleUrl.article_id).where(ArticleUrl.url.in_(list(urls))).limit(1)
    ).scalar()
    return int(found) if found is not None else None


def article_with_hash(conn: Connection, digest: str, exclude: int | None = None) -> int | None:
    query = select(Article.id).where(Article.content_hash == digest)
    if exclude is not None:
        query = query.where(Article.id != exclude)
    found = conn.execute(query.order_by(Article.id).limit(1)).scalar()
    return int(found) if found is not None else None


def near_candidates(
    conn: Connection, keys: Sequence[int], exclude: int | None = None
) -> list[Candidate]:
    """Articles sharing at least one band key, each once, oldest first."""
    if not keys:
        return []
    ids = (
        select(NearDupBand.article_id)
        .where(NearDupBand.band_key.in_(list(keys)))
        .distinct()
        .scalar_subquery()
    )
    query = select(Article.id, Article.duplicate_of, Article.fingerprint).where(Article.id.in_(ids))
    if exclude is not None:
        query = query.where(Article.id != exclude)
    rows = conn.execute(query.order_by(Article.first_seen_at, Article.id))
    return [Candidate(r.id, r.duplicate_of, r.fingerprint) for r in rows]


def replace_bands(conn: Connection, article_id: int, keys: Sequence[int]) -> None:
    conn.execute(delete(NearDupBand).where(NearDupBand.article_id == article_id))
    rows = [{"band_key": key, "article_id": article_id} for key in keys]
    upsert(conn, NearDupBand.__table__, rows, key=["band_key", "article_id"])  # type: ignore[arg-type]
