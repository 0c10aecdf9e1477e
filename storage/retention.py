"""Retention: old articles, old raw HTML and old fetch log rows removed, in chunks.

An article goes with everything that is only its own: its LSH bands (deleted here: on
PostgreSQL that index has no foreign key, see `storage.models.NearDupBand`), its URLs,
removed blocks, host block counts and full-text row (by the foreign keys' cascades and the
FTS triggers). A canonical article whose copies are kept is not simply dropped: its
earliest kept copy becomes the cluster's canonical article (it gains the host block counts
only canonical articles have) and the other kept copies point at it. The entries of a
removed article stay, marked pruned, so that a feed that still lists them does not bring
the article back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import astuple, dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, func, select, text, update

from ingest.types import utcnow
from storage import dedup, site_boilerplate
from storage.models import Article, Entry, Fetch, NearDupBand
from storage.reports import count

CHUNK = 500  # articles per transaction: the writer waits for one chunk at most

BlockKeys = Callable[[str], Iterable[str]]
"""The host block keys of an article's text (for a copy that becomes canonical)."""


@dataclass(frozen=True)
class Cutoffs:
    """What is older than these goes (None: kept whatever its age)."""

    articles: datetime | None = None  # by when the article was first stored
    raw_html: datetime | None = None
    fetches: datetime | None = None

    @property
    def keep_all(self) -> bool:
        return self.articles is None and self.raw_html is None and self.fetches is None


@dataclass(frozen=True)
class Pruned:
    articles: int = 0
    promoted: int = 0
    """Kept copies that became their cluster's canonical article."""
    repointed: int = 0
    """Other kept copies pointed at the new canonical article."""
    entries: int = 0
    """Entries marked pruned (their article went)."""
    raw_html: int = 0
    fetches: int = 0

    def __add__(self, other: Pruned) -> Pruned:
        return Pruned(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


def preview(conn: Connection, cutoffs: Cutoffs) -> Pruned:
    """What `prune` would remove now (copies promoted are counted as clusters)."""
    articles = promoted = entries = raw_html = fetches = 0
    if cutoffs.articles is not None:
        old = select(Article.id).where(Article.first_seen_at < cutoffs.articles)
        articles = count(conn, select(func.count()).select_from(old.subquery()))
        promoted = count(
            conn,
            select(func.count(Article.duplicate_of.distinct())).where(
                Article.duplicate_of.in_(old), Article.id.not_in(old)
            ),
        )
        entries = count(conn, select(func.count()).where(Entry.article_id.in_(old)))
    if cutoffs.raw_html is not None:
        dropped = [Article.first_seen_at < cutoffs.raw_html, Article.raw_html.is_not(None)]
        if cutoffs.articles is not None:  # not the HTML that goes with its article
            dropped.append(Article.first_seen_at >= cutoffs.articles)
        raw_html = count(conn, select(func.count()).where(*dropped))
    if cutoffs.fetches is not None:
        fetches = count(conn, select(func.count()).where(Fetch.fetched_at < cutoffs.fetches))
    return Pruned(articles, promoted, 0, entries, raw_html, fetches)


def old_article_ids(conn: Connection, before: datetime) -> list[int]:
    rows = conn.execute(
        select(Article.id).where(Article.first_seen_at < before).order_by(Article.id)
    )
    return [int(r[0]) for r in rows]


def remove_articles(conn: Connection, ids: Sequence[int], keys_of: BlockKeys) -> Pruned:
    """Remove these articles (one chunk, in the caller's transaction)."""
    dedup.hold_intake(conn)  # no intake points a copy at one of them meanwhile
    promoted = repointed = 0
    kept_copies = (
        select(Article.duplicate_of)
        .distinct()
        .where(Article.duplicate_of.in_(ids), Article.id.not_in(ids))
    )
    roots = [root for root in conn.execute(kept_copies).scalars() if root is not None]
    for root in roots:
        kept = conn.execute(
            select(Article.id, Article.host, Article.text)
            .where(Article.duplicate_of == root, Article.id.not_in(ids))
            .order_by(Article.first_seen_at, Article.id)
        ).all()
        heir, rest = kept[0], [r.id for r in kept[1:]]
        conn.execute(update(Article).where(Article.id == heir.id).values(duplicate_of=None))
        if rest:
            conn.execute(update(Article).where(Article.id.in_(rest)).values(duplicate_of=heir.id))
        site_boilerplate.record_blocks(conn, [(heir.host, heir.id, set(keys_of(heir.text)))])
        promoted += 1
        repointed += len(rest)
    entries = conn.execute(
        update(Entry).where(Entry.article_id.in_(ids)).values(pruned_at=utcnow(), article_id=None)
    ).rowcount
    conn.execute(delete(NearDupBand).where(NearDupBand.article_id.in_(ids)))
    removed = conn.execute(delete(Article).where(Article.id.in_(ids))).rowcount
    return Pruned(articles=removed, promoted=promoted, repointed=repointed, entries=entries)


def drop_raw_html(conn: Connection, before: datetime) -> int:
    return int(
        conn.execute(
            update(Article)
            .where(Article.first_seen_at < before, Article.raw_html.is_not(None))
            .values(raw_html=None)
        ).rowcount
    )


def delete_fetches(conn: Connection, before: datetime) -> int:
    return int(conn.execute(delete(Fetch).where(Fetch.fetched_at < before)).rowcount)


def reclaim_space(engine: Engine) -> str:
    """Give the freed pages back (SQLite), or say how (PostgreSQL); a sentence saying which.

    SQLite stores made before incremental vacuum was on are converted once (a full
    VACUUM); after that, only the free pages are released."""
    if engine.dialect.name != "sqlite":
        return (
            "PostgreSQL reuses the freed space itself (autovacuum); to give it back to the "
            "system, run VACUUM FULL on the articles table at a quiet time"
        )
    raw = engine.raw_connection()  # autocommit (see storage.engine): VACUUM needs no BEGIN
    try:
        sqlite = raw.driver_connection
        assert sqlite is not None
        if sqlite.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:  # not incremental yet
            sqlite.execute("PRAGMA auto_vacuum=INCREMENTAL")
            sqlite.execute("VACUUM")
        else:
            # Run to completion (a plain execute steps it once: one page freed).
            sqlite.executescript("PRAGMA incremental_vacuum;")
        sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        raw.close()
    return "free space returned to the file system"


def store_bytes(conn: Connection) -> int:
    """The store's size: the SQLite file's pages (free ones included: they are given back
    only by a vacuum), or the PostgreSQL database's size on disk."""
    if conn.dialect.name == "sqlite":
        pages, size = (
            int(conn.exec_driver_sql(f"PRAGMA {name}").scalar_one())
            for name in ("page_count", "page_size")
        )
        return pages * size
    return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
