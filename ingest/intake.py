"""Taking an extracted article into the store: one article per URL (in any spelling) and per
text, near copies linked to the earliest of their cluster, changed pages updated in place.

Runs inside the caller's transaction. Races between workers are settled by the store's
unique constraints (canonical URL, content hash), not by locks of our own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from ingest.dedup import (
    Fingerprint,
    band_keys,
    choose_canonical_url,
    content_hash,
    content_words,
    fingerprint,
    is_near_duplicate,
)
from ingest.extract import Article
from ingest.site_boilerplate import SITE_BOILERPLATE, block_keys, strip_blocks
from ingest.urls import host_of, normalise_url
from storage.articles import ArticleRecord, RemovedText, add_article_urls, store_article
from storage.dedup import article_for_urls, article_with_hash, near_candidates, replace_bands
from storage.models import Article as ArticleRow
from storage.site_boilerplate import (
    article_content,
    articles_with_blocks,
    frequent_blocks,
    record_blocks,
    replace_content,
)

NEW, UPDATED, UNCHANGED, SAME_TEXT, NEAR_DUPLICATE = (
    "new",
    "updated",
    "unchanged",
    "same-text",
    "near-duplicate",
)


@dataclass(frozen=True)
class Intake:
    article_id: int
    outcome: str
    duplicate_of: int | None = None


def strip_site_boilerplate(
    conn: Connection, host: str, article_id: int, text: str, canonical: bool, minimum: int
) -> None:
    """Count the article's blocks for its host (canonical articles only, so copies of one
    story count once), then strip every block that has become the host's boilerplate from
    every article of the host that has it."""
    keys = block_keys(text)
    if canonical:
        record_blocks(conn, host, article_id, keys)
    frequent = frequent_blocks(conn, host, keys, minimum)
    if not frequent:
        return
    for other in sorted({article_id, *articles_with_blocks(conn, host, frequent)}):
        old_text, old_html = article_content(conn, other)
        new_text, new_html, removed = strip_blocks(old_text, old_html, frequent)
        if removed:
            replace_content(conn, other, new_text, new_html, SITE_BOILERPLATE, removed)


def urls_of(page_url: str, seen: Sequence[str], canonical: str) -> list[str]:
    """Every spelling to remember: as seen, normalised, and the canonical URL."""
    urls = {canonical, page_url, normalise_url(page_url)}
    for url in seen:
        urls.update((url, normalise_url(url)))
    return sorted(urls)


def take_in(
    conn: Connection,
    page_url: str,
    article: Article,
    seen_at: datetime,
    seen_urls: Sequence[str] = (),
    raw_html: str | None = None,
    site_min_articles: int = 5,
    precomputed: Fingerprint | None = None,
) -> Intake:
    canonical = choose_canonical_url(page_url, article.canonical_url)
    urls = urls_of(page_url, seen_urls, canonical)
    words = content_words(article.text)
    digest = content_hash(words)
    fp = precomputed or fingerprint(words)

    existing = article_for_urls(conn, urls)
    if existing is not None:
        canonical = conn.execute(
            select(ArticleRow.canonical_url).where(ArticleRow.id == existing)
        ).scalar_one()
    elif digest is not None:
        same = article_with_hash(conn, digest)
        if same is not None:
            add_article_urls(conn, same, urls, seen_at)
            return Intake(same, SAME_TEXT)

    duplicate_of = None
    keys = band_keys(fp)
    for candidate in near_candidates(conn, keys, exclude=existing):
        if candidate.fingerprint and is_near_duplicate(
            fp, Fingerprint.from_bytes(candidate.fingerprint)
        ):
            duplicate_of = candidate.duplicate_of or candidate.id
            break

    record = ArticleRecord(
        canonical_url=canonical,
        host=host_of(canonical),
        seen_at=seen_at,
        text=article.text,
        html=article.html,
        urls=tuple(urls),
        title=article.title,
        author=article.author,
        published_at=article.published,
        language=article.language,
        site_name=article.site_name,
        lead_image=article.lead_image,
        word_count=len(words),
        content_hash=digest,
        fingerprint=fp.to_bytes(),
        raw_html=raw_html,
        removed=tuple(RemovedText(r.reason, r.text) for r in article.removed),
    )
    try:
        with conn.begin_nested():
            stored = store_article(conn, record, duplicate_of if existing is None else None)
    except IntegrityError:
        # Another worker stored the same text under another URL a moment ago.
        same = article_with_hash(conn, digest) if digest else None
        if same is None:
            raise
        add_article_urls(conn, same, urls, seen_at)
        return Intake(same, SAME_TEXT)
    if stored.created or stored.content_changed:
        replace_bands(conn, stored.id, keys)
        strip_site_boilerplate(
            conn, record.host, stored.id, article.text, duplicate_of is None, site_min_articles
        )
    if stored.created:
        return Intake(stored.id, NEAR_DUPLICATE if duplicate_of else NEW, duplicate_of)
    return Intake(stored.id, UPDATED if stored.content_changed else UNCHANGED)
