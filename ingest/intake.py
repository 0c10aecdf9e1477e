"""Taking an extracted article into the store: one article per URL (in any spelling) and per
text, near copies linked to the earliest of their cluster, changed pages updated in place.

`prepare()` computes what needs no store (hashes, fingerprint, keys, the compressed page)
before the transaction; `take_in_all()` runs inside the caller's transaction, the SQL alone.
Races between workers are settled by the store's unique constraints (canonical URL, content
hash), not by locks of our own; but a near copy has no key to collide on, so intake
transactions take turns: SQLite's write lock does that, and on PostgreSQL one transaction-
level advisory lock. Otherwise an original and its copy stored at the same moment by two
workers would each miss the other.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ingest.dedup import (
    Fingerprint,
    band_keys,
    choose_canonical_url,
    content_hash,
    fingerprint,
    is_near_duplicate,
)
from ingest.extract import Article
from ingest.site_boilerplate import (
    SITE_BOILERPLATE,
    block_keys,
    normalised_blocks,
    strip_blocks,
)
from ingest.urls import host_of, normalise_url
from storage.articles import ArticleRecord, RemovedText, add_article_urls, store_article
from storage.dedup import (
    article_for_urls,
    article_with_hash,
    near_candidates,
    replace_bands,
    take_turns,
)
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


@dataclass(frozen=True)
class _Counted:
    """An article whose content is new or changed: its blocks count for its host."""

    article_id: int
    host: str
    keys: Collection[str]
    canonical: bool  # copies of a story count once, through their canonical article
    fresh: bool  # nothing of it in the store before


def _strip_site_boilerplate(conn: Connection, counted: Sequence[_Counted], minimum: int) -> None:
    """Count the articles' blocks for their host, then strip every block that has become
    the host's boilerplate from every article of the host that has it."""
    hosts: dict[str, list[_Counted]] = {}
    for item in counted:
        hosts.setdefault(item.host, []).append(item)
    for host, items in hosts.items():
        record_blocks(
            conn,
            host,
            [(i.article_id, i.keys) for i in items if i.canonical],
            replace=[i.article_id for i in items if i.canonical and not i.fresh],
        )
        keys = {key for i in items for key in i.keys}
        frequent = frequent_blocks(conn, host, keys, minimum)
        if not frequent:
            continue
        mine = {i.article_id for i in items}
        for other in sorted(mine | set(articles_with_blocks(conn, host, frequent))):
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


@dataclass(frozen=True)
class Prepared:
    """Everything about an article that does not need the store, computed before the
    transaction so that the store's write lock is held for the SQL alone."""

    record: ArticleRecord
    fingerprint: Fingerprint
    band_keys: list[int]
    block_keys: dict[str, str]


def prepare(
    page_url: str,
    article: Article,
    seen_at: datetime,
    seen_urls: Sequence[str] = (),
    raw_html: str | None = None,
) -> Prepared:
    """Everything about the article that needs no store (see `Prepared`)."""
    canonical = choose_canonical_url(page_url, article.canonical_url)
    blocks = normalised_blocks(article.text)
    words = " ".join(normalised for _, normalised in blocks).split()  # = content_words(text)
    fp = fingerprint(words)
    record = ArticleRecord(
        canonical_url=canonical,
        host=host_of(canonical),
        seen_at=seen_at,
        text=article.text,
        html=article.html,
        urls=tuple(urls_of(page_url, seen_urls, canonical)),
        title=article.title,
        author=article.author,
        published_at=article.published,
        language=article.language,
        site_name=article.site_name,
        lead_image=article.lead_image,
        word_count=len(words),
        content_hash=content_hash(words),
        fingerprint=fp.to_bytes(),
        raw_html=raw_html,
        removed=tuple(RemovedText(r.reason, r.text) for r in article.removed),
    )
    return Prepared(record, fp, band_keys(fp), block_keys(blocks))


def take_in(
    conn: Connection,
    page_url: str,
    article: Article,
    seen_at: datetime,
    seen_urls: Sequence[str] = (),
    raw_html: str | None = None,
    site_min_articles: int = 5,
) -> Intake:
    """Take one article in, in the caller's transaction."""
    prepared = prepare(page_url, article, seen_at, seen_urls, raw_html)
    outcome = take_in_all(conn, [prepared], site_min_articles)[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def take_in_all(
    conn: Connection,
    items: Sequence[Prepared],
    site_min_articles: int = 5,
    clock: Callable[[], datetime] | None = None,
    isolated: bool = True,
) -> list[Intake | SQLAlchemyError]:
    """Take in several articles in order, in the caller's transaction: each one's outcome,
    or the error that kept it out (its writes undone, the others unaffected). The per-host
    boilerplate counts are updated once for all of them.

    With a `clock`, each article is seen when it goes in rather than when it was prepared:
    articles prepared side by side in several processes are then first seen in the order
    they entered the store, so the earliest of a cluster of copies is the one the others
    point at.

    `isolated=False` takes them in without a savepoint each, and an error propagates: the
    caller rolls back and tries again isolated. That is the fast way when errors are rare:
    on SQLite, FTS5 writes its pending index out as a new segment at every savepoint,
    about 0.5 ms per article, where one segment per transaction would do."""
    outcomes: list[Intake | SQLAlchemyError] = []
    counted: list[_Counted] = []
    take_turns(conn)
    for prepared in items:
        if clock is not None:
            prepared = replace(prepared, record=replace(prepared.record, seen_at=clock()))
        if not isolated:
            intake, count = _take_in_one(conn, prepared)
        else:
            try:
                try:
                    with conn.begin_nested():
                        intake, count = _take_in_one(conn, prepared)
                except IntegrityError:
                    # Another worker stored the same text a moment ago: now it is visible.
                    with conn.begin_nested():
                        intake, count = _take_in_one(conn, prepared)
            except SQLAlchemyError as exc:
                outcomes.append(exc)
                continue
        outcomes.append(intake)
        if count is not None:
            counted.append(count)
    _strip_site_boilerplate(conn, counted, site_min_articles)
    return outcomes


def _take_in_one(conn: Connection, prepared: Prepared) -> tuple[Intake, _Counted | None]:
    record = prepared.record
    urls = list(record.urls)
    known = article_for_urls(conn, urls)
    existing = None
    if known is not None:
        existing, canonical = known
        record = replace(record, canonical_url=canonical)
    elif record.content_hash is not None:
        same = article_with_hash(conn, record.content_hash)
        if same is not None:
            add_article_urls(conn, same, urls, record.seen_at)
            return Intake(same, SAME_TEXT), None

    duplicate_of = None
    for candidate in near_candidates(conn, prepared.band_keys, exclude=existing):
        if candidate.fingerprint and is_near_duplicate(
            prepared.fingerprint, Fingerprint.from_bytes(candidate.fingerprint)
        ):
            duplicate_of = candidate.duplicate_of or candidate.id
            break

    stored = store_article(
        conn, record, duplicate_of if existing is None else None, unseen=existing is None
    )
    if not (stored.created or stored.content_changed):
        return Intake(stored.id, UNCHANGED), None
    fresh = stored.created and existing is None  # nothing of it in the store yet
    replace_bands(conn, stored.id, prepared.band_keys, replace=not fresh)
    count = _Counted(stored.id, record.host, prepared.block_keys, duplicate_of is None, fresh)
    if stored.created:
        outcome = NEAR_DUPLICATE if duplicate_of else NEW
        return Intake(stored.id, outcome, duplicate_of), count
    return Intake(stored.id, UPDATED), count
