"""Queries behind deduplication: URL and content-hash lookups, and the LSH band index.

The band index is a table (`near_dup_bands`, indexed by band key), so every worker and every
restart sees the same index. The statements are built once: they run for every article, and
building them cost more than running them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, select, text

from ingest.types import Candidate
from storage.driver import any_of, execute, execute_any, fill, insert_rows, pg_array, slots
from storage.models import Article, ArticleUrl, NearDupBand
from storage.pending import PendingRows

URL_SLOTS = 8  # an article's spellings of its URL: as seen, normalised, canonical, redirects
KEY_SLOTS = 40  # an article's band keys (32 bands of the text, 8 of the lead)
_BY_URL = (
    select(Article.id, Article.canonical_url)
    .join(ArticleUrl, ArticleUrl.article_id == Article.id)
    .where(ArticleUrl.url.in_(slots("url", URL_SLOTS)))
    .limit(1)
)
_BY_HASH = (
    select(Article.id)
    .where(Article.content_hash == bindparam("digest"))
    .order_by(Article.id)
    .limit(1)
)
_BY_HASH_EXCEPT = (
    select(Article.id)
    .where(Article.content_hash == bindparam("digest"), Article.id != bindparam("exclude"))
    .order_by(Article.id)
    .limit(1)
)
_SHARING_A_BAND = (
    select(Article.id, Article.duplicate_of, Article.fingerprint)
    .where(
        Article.id.in_(
            select(NearDupBand.article_id)
            .where(NearDupBand.band_key.in_(slots("key", KEY_SLOTS)))
            .distinct()
            .scalar_subquery()
        ),
        Article.id != bindparam("exclude"),
    )
    .order_by(Article.first_seen_at, Article.id)
)
_DELETE_BANDS = delete(NearDupBand).where(NearDupBand.article_id == bindparam("article_id"))
BANDS: Table = NearDupBand.__table__  # type: ignore[assignment]


# Any fixed 64-bit number naming the lock; the other advisory locks of a shared database
# must just not use it. Every intake transaction holds it shared, so that intake runs side
# by side; pruning holds it alone.
INTAKE_LOCK = 0x66656564_696E7461  # "feedinta"
_SHARE_INTAKE = select(func.pg_advisory_xact_lock_shared(bindparam("key")))
_HOLD_INTAKE = select(func.pg_advisory_xact_lock(bindparam("key")))
# The keys in ascending order, so that two transactions never wait on each other in a cycle.
_LOCK_KEYS = text(
    "SELECT count(pg_advisory_xact_lock(k)) FROM "
    "(SELECT unnest(CAST(:keys AS BIGINT[])) AS k ORDER BY k) AS ordered"
)


def lock_keys(conn: Connection, keys: Iterable[int]) -> None:
    """Wait for the other intake transactions that hold any of these keys (on PostgreSQL;
    SQLite's write lock already serialises all writes), until this transaction ends.

    The keys are what two intakes can collide on: band keys (a near copy and its original
    share one), content hashes and URLs (`ingest.dedup.prepare.collision_keys`); then, in
    a second call, the hosts whose blocks it counts (`ingest.dedup.prepare.host_key`).
    Transactions with no key in common run at the same time."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(_SHARE_INTAKE, {"key": INTAKE_LOCK})
    if ordered := sorted(set(keys)):
        conn.execute(_LOCK_KEYS, {"keys": pg_array(ordered)})


def hold_intake(conn: Connection) -> None:
    """Wait until no intake transaction runs, and keep any from starting until this
    transaction ends (on PostgreSQL; SQLite's write lock already does this)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_HOLD_INTAKE, {"key": INTAKE_LOCK})


def article_for_urls(conn: Connection, urls: Iterable[str]) -> tuple[int, str] | None:
    """The article (id, canonical URL) already seen under any of these URLs."""
    urls = list(urls)
    for start in range(0, len(urls), URL_SLOTS):
        chunk = urls[start : start + URL_SLOTS]
        row = execute(conn, _BY_URL, fill("url", chunk, URL_SLOTS)).first()
        if row is not None:
            return int(row[0]), row[1]
    return None


@lru_cache(maxsize=4)
def _urls(dialect: str) -> Any:
    return select(ArticleUrl.url, ArticleUrl.article_id).where(
        any_of(ArticleUrl.url, "urls", dialect)
    )


def articles_for_urls(conn: Connection, urls: Sequence[str]) -> dict[str, int]:
    """URL -> the article seen under it, for those of `urls` that are known."""
    rows = execute_any(conn, _urls(conn.dialect.name), "urls", sorted(set(urls)))
    return {url: int(article_id) for url, article_id in rows}


@dataclass(frozen=True)
class Known:
    """What the store held under a batch's URLs, content hashes and band keys when it was
    looked up: the answers of `article_for_urls`, `article_with_hash` and
    `near_candidates` for each article of the batch, from three statements in all."""

    urls: dict[str, tuple[int, str]]
    """URL -> (article, its canonical URL)."""
    hashes: dict[str, int]
    bands: dict[int, list[int]]
    """Band key -> the articles indexed under it."""
    candidates: dict[int, Candidate]
    order: dict[int, tuple[datetime, int]]
    """Article -> its place among candidates: oldest first."""

    def article_for_urls(self, urls: Iterable[str]) -> tuple[int, str] | None:
        return next((self.urls[url] for url in urls if url in self.urls), None)

    def article_with_hash(self, digest: str) -> int | None:
        return self.hashes.get(digest)

    def near_candidates(self, keys: Iterable[int]) -> list[Candidate]:
        ids = {article for key in keys for article in self.bands.get(key, ())}
        return [self.candidates[i] for i in sorted(ids, key=self.order.__getitem__)]


@lru_cache(maxsize=4)
def _known_statements(dialect: str) -> tuple[Any, Any, Any]:
    urls = select(ArticleUrl.url, Article.id, Article.canonical_url).join(
        Article, Article.id == ArticleUrl.article_id
    )
    hashes = select(Article.content_hash, Article.id)
    bands = select(
        NearDupBand.band_key,
        Article.id,
        Article.duplicate_of,
        Article.fingerprint,
        Article.first_seen_at,
    ).join(Article, Article.id == NearDupBand.article_id)
    return (
        urls.where(any_of(ArticleUrl.url, "values", dialect)),
        hashes.where(any_of(Article.content_hash, "values", dialect)),
        bands.where(any_of(NearDupBand.band_key, "values", dialect)),
    )


def known(
    conn: Connection, urls: Iterable[str], hashes: Iterable[str], keys: Iterable[int]
) -> Known:
    """What the store holds under any of these URLs, content hashes and band keys."""
    by_url, by_hash, by_band = _known_statements(conn.dialect.name)
    found = Known({}, {}, {}, {}, {})
    for url, article_id, canonical in execute_any(conn, by_url, "values", sorted(set(urls))):
        found.urls[url] = (article_id, canonical)
    for digest, article_id in execute_any(conn, by_hash, "values", sorted(set(hashes))):
        found.hashes[digest] = article_id
    for key, article_id, duplicate_of, fp, first_seen in execute_any(
        conn, by_band, "values", sorted(set(keys))
    ):
        found.bands.setdefault(key, []).append(article_id)
        found.candidates[article_id] = Candidate(article_id, duplicate_of, fp)
        found.order[article_id] = (first_seen, article_id)
    return found


def article_with_hash(conn: Connection, digest: str, exclude: int | None = None) -> int | None:
    if exclude is None:
        found = execute(conn, _BY_HASH, {"digest": digest}).scalar()
    else:
        found = execute(conn, _BY_HASH_EXCEPT, {"digest": digest, "exclude": exclude}).scalar()
    return int(found) if found is not None else None


def near_candidates(
    conn: Connection, keys: Sequence[int], exclude: int | None = None
) -> list[Candidate]:
    """Articles sharing at least one band key, each once, oldest first (at most
    `KEY_SLOTS` keys: an article's)."""
    if not keys:
        return []
    params = fill("key", keys, KEY_SLOTS)
    rows = execute(conn, _SHARING_A_BAND, {**params, "exclude": exclude or 0})
    return [Candidate(int(r[0]), r[1], r[2]) for r in rows]


def replace_bands(
    conn: Connection,
    article_id: int,
    keys: Sequence[int],
    replace: bool = True,
    pending: PendingRows | None = None,
) -> None:
    """The article's band keys; `replace=False` for a new article, which has none yet.
    The rows wait in `pending` when one is given (see `storage.pending`)."""
    if replace:
        if pending is not None:
            pending.flush(conn)  # this article's old keys may wait there
        conn.execute(_DELETE_BANDS, {"article_id": article_id})
    rows = [(key, article_id) for key in dict.fromkeys(keys)]
    if pending is not None:
        pending.bands += rows
    else:
        insert_rows(conn, BANDS, ("band_key", "article_id"), rows)
