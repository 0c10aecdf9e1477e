"""`Store`: the one way into the store, for the worker and the command line alike.

The contract:

- **Errors**: any call may raise `StoreError` (kind "store"), and no other database error:
  a refused write, a lost connection or a locked file all come out as that one type, with
  the database's own message as text. `check_schema()` raises `SchemaMismatch`, and
  `hold_daemon_lock()` `DaemonAlreadyRunningError`, both `StoreError`s.
- **Time**: every datetime in or out is an aware UTC datetime.
- **Threads and processes**: a `Store` belongs to the process that opened it (engines do
  not survive a fork): the writer process opens its own from `url`. The plain calls block;
  the `async` ones run in a thread, so that while another process holds SQLite's write lock
  the event loop goes on fetching. Each call is its own transaction, except `intake()`,
  which hands out one transaction for the writer's batch.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import IO, Any, TypeVar

from sqlalchemy import Connection, Engine, delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from ingest.errors import StoreError, describe
from ingest.types import (
    EntryData,
    FeedCheck,
    FeedState,
    FetchRecord,
    PendingEntry,
    Subscription,
    utcnow,
)
from ingest.urls import canonical_url, spellings
from storage import (
    articles,
    dedup,
    entries,
    feeds,
    fetches,
    page_claims,
    reads,
    reports,
    retention,
    schema,
)
from storage.engine import (
    SQLITE_CACHE_KIB,
    create_store_engine,
    reading,
    sqlite_location_problem,
)
from storage.intake import IntakeTransaction
from storage.models import Article, ArticleUrl, Entry, Feed
from storage.page_claims import ClaimState as ClaimState
from storage.reports import Copy

R = TypeVar("R")


class DaemonAlreadyRunningError(StoreError):
    pass


class NoStoreError(StoreError):
    """No store can be at the SQLite path given (missing, a directory, no directory)."""


@dataclass(frozen=True)
class Lookup:
    """Entries looked up against the store: those whose page is an article already (now
    linked to it) and those whose page is still to fetch."""

    known: int
    unknown: list[PendingEntry]


class Store:
    def __init__(
        self, url: str, sqlite_cache_kib: int = SQLITE_CACHE_KIB, create: bool = False
    ) -> None:
        """`create`: a missing SQLite file (and its directory) may be made (`ingest db
        upgrade`); otherwise it is an error, as is every URL that cannot be a store."""
        try:
            self.engine: Engine = create_store_engine(url, sqlite_cache_kib=sqlite_cache_kib)
        except (ValueError, SQLAlchemyError) as exc:
            raise StoreError(str(exc)) from exc
        problem = sqlite_location_problem(self.engine.url, create)
        if problem is not None:
            self.engine.dispose()
            raise NoStoreError(problem)

    @property
    def url(self) -> str:
        """The store's URL, password included: for the worker processes to open it too."""
        return self.engine.url.render_as_string(hide_password=False)

    @property
    def shared(self) -> bool:
        """Whether several workers may share this store (PostgreSQL); they then claim the
        pages they fetch. One daemon works on an SQLite file."""
        return self.engine.dialect.name == "postgresql"

    @property
    def in_memory(self) -> bool:
        return self.engine.dialect.name == "sqlite" and self.engine.url.database in (
            None,
            "",
            ":memory:",
        )

    def close(self) -> None:
        self.engine.dispose()

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise StoreError(describe(exc)) from exc

    def _write(self, work: Callable[[Connection], R]) -> R:
        with self._errors(), self.engine.begin() as conn:
            return work(conn)

    def _read(self, work: Callable[[Connection], R]) -> R:
        with self._errors(), reading(self.engine) as conn:
            return work(conn)

    async def _write_off_loop(self, work: Callable[[Connection], R]) -> R:
        return await asyncio.to_thread(self._write, work)

    async def _read_off_loop(self, work: Callable[[Connection], R]) -> R:
        return await asyncio.to_thread(self._read, work)

    @contextmanager
    def intake(self) -> Iterator[IntakeTransaction]:
        """The writer's transaction for a batch of articles (which waits for the others it
        could collide with: `IntakeTransaction.lock_keys`)."""
        with self._errors(), self.engine.begin() as conn:
            transaction = IntakeTransaction(conn)
            yield transaction
            transaction.flush()

    # -- schema -------------------------------------------------------------------------

    def upgrade(self) -> None:
        with self._errors():
            schema.upgrade(self.engine)

    def revision(self) -> str | None:
        with self._errors():
            return schema.current_revision(self.engine)

    def check_schema(self) -> None:
        """Raise `SchemaMismatch` (one sentence naming the command to run) unless the
        store's schema is the one this code needs."""
        with self._errors():
            schema.check_schema(self.engine)

    def hold_daemon_lock(self) -> IO[str] | None:
        """For SQLite, an exclusive lock beside the file for the daemon's lifetime (close
        the handle to let go); a second daemon on the file is refused."""
        if self.engine.dialect.name != "sqlite" or not self.engine.url.database:
            return None
        path = Path(self.engine.url.database).expanduser().resolve()
        handle = open(f"{path}.daemon.lock", "a+", encoding="utf-8")  # noqa: SIM115 - held
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise DaemonAlreadyRunningError(
                f"another `ingest run` ({holder}) is already working on {path}: one daemon "
                "per SQLite file (use PostgreSQL to run several workers)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        return handle

    # -- subscriptions and reports (the command line) -----------------------------------

    def add_feeds(self, urls: Iterable[str | Subscription], poll_interval: int) -> None:
        self._write(lambda conn: feeds.add_feeds(conn, urls, poll_interval=poll_interval))

    def remove_feed(self, url: str) -> bool:
        return self._write(lambda conn: feeds.remove_feed(conn, url))

    def list_feeds(self) -> Sequence[Feed]:
        return self._read(feeds.list_feeds)

    def feed_ids(self, urls: Iterable[str] | None = None) -> list[int]:
        """Ids of the given feeds (all enabled feeds when `urls` is None)."""
        return self._read(lambda conn: feeds.feed_ids(conn, urls))

    def search(self, words: str, wanted: reads.ArticleFilter) -> list[reads.ArticleSummary]:
        return self._read(lambda conn: reads.search_articles(conn, words, wanted))

    def articles(self, wanted: reads.ArticleFilter) -> list[reads.ArticleSummary]:
        return self._read(lambda conn: reads.list_articles(conn, wanted))

    def article(self, article_id: int) -> reads.ArticleDetail | None:
        return self._read(lambda conn: reads.article_detail(conn, article_id))

    def feed_overview(self) -> list[reads.FeedOverview]:
        return self._read(reads.feed_overview)

    def find_feed(self, ref: str) -> tuple[int, str] | None:
        """(id, URL) of the feed named by URL or id."""
        return self._read(lambda conn: reads.find_feed(conn, ref))

    def set_feed_enabled(self, feed_id: int, enabled: bool, reason: str | None = None) -> None:
        self._write(lambda conn: feeds.set_enabled(conn, feed_id, enabled, reason))

    def gauges(self) -> dict[str, int]:
        """Feeds by status (`feeds_ok`, `feeds_erroring`, `feeds_disabled`) and `articles`."""
        return self._read(reports.gauges)

    def stats(self) -> dict[str, dict[str, int]]:
        return self._read(reports.store_stats)

    def clusters(self) -> list[tuple[Copy, int]]:
        return self._read(reports.clusters)

    def copies_of(self, article_id: int) -> list[Copy]:
        return self._read(lambda conn: reports.copies_of(conn, article_id))

    # -- retention ----------------------------------------------------------------------

    def prune(self, cutoffs: retention.Cutoffs, keys_of: retention.BlockKeys) -> retention.Pruned:
        """Remove what is older than the cutoffs (see `storage.retention`), a chunk of
        articles per transaction, so that intake waits for one chunk at most."""
        done = retention.Pruned()
        if cutoffs.articles is not None:
            before = cutoffs.articles
            ids = self._read(lambda conn: retention.old_article_ids(conn, before))
            for start in range(0, len(ids), retention.CHUNK):
                done += self._write(
                    partial(
                        retention.remove_articles,
                        ids=ids[start : start + retention.CHUNK],
                        keys_of=keys_of,
                    )
                )
        if cutoffs.raw_html is not None:
            raw_before = cutoffs.raw_html
            dropped = self._write(lambda conn: retention.drop_raw_html(conn, raw_before))
            done += retention.Pruned(raw_html=dropped)
        if cutoffs.fetches is not None:
            fetch_before = cutoffs.fetches
            deleted = self._write(lambda conn: retention.delete_fetches(conn, fetch_before))
            done += retention.Pruned(fetches=deleted)
        return done

    def prune_preview(self, cutoffs: retention.Cutoffs) -> retention.Pruned:
        return self._read(lambda conn: retention.preview(conn, cutoffs))

    def reclaim_space(self) -> str:
        """Give freed space back (SQLite) or say how (PostgreSQL); a sentence saying which."""
        with self._errors():
            return retention.reclaim_space(self.engine)

    def size_bytes(self) -> int:
        return self._read(retention.store_bytes)

    async def stored_page_ids(self, since: datetime | None) -> list[int]:
        return await self._read_off_loop(lambda conn: articles.stored_page_ids(conn, since))

    async def stored_pages(self, ids: list[int]) -> list[tuple[int, str, str, EntryData | None]]:
        """(id, canonical URL, raw HTML, what its first entry's feed says) of these
        articles."""

        def read(conn: Connection) -> list[tuple[int, str, str, EntryData | None]]:
            feed = _entry_data(conn, ids)
            return [(i, url, raw, feed.get(i)) for i, url, raw in articles.stored_pages(conn, ids)]

        return await self._read_off_loop(read)

    async def merged_url_groups(self) -> list[MergedUrls]:
        """The URLs that joined an article after it was stored (by its text, or as new
        spellings of its page), grouped by the moment they joined."""
        return await self._read_off_loop(_merged_url_groups)

    async def split_off(self, article_id: int, urls: Sequence[str]) -> int:
        """Take `urls` from the article, and unlink the entries that named them, so that
        their pages are fetched again as articles of their own; the entries unlinked."""

        def split(conn: Connection) -> int:
            conn.execute(
                delete(ArticleUrl).where(
                    ArticleUrl.article_id == article_id, ArticleUrl.url.in_(list(urls))
                )
            )
            result = conn.execute(
                update(Entry)
                .where(Entry.article_id == article_id, Entry.link.in_(list(urls)))
                .values(article_id=None, attempts=0, retry_at=None, last_error=None)
            )
            return int(result.rowcount)

        return await self._write_off_loop(split)

    # -- the worker ---------------------------------------------------------------------

    async def due_feeds(
        self, owner: str, lease_seconds: int, limit: int, due_by: datetime
    ) -> list[int]:
        """Lease up to `limit` feeds due by `due_by` and not leased by a live worker."""
        return await self._write_off_loop(
            lambda conn: feeds.claim_due_feeds(
                conn, owner, utcnow(), lease_seconds, limit, due_by=due_by
            )
        )

    async def release_leases(self, owner: str, feed_ids: Iterable[int] | None = None) -> None:
        await self._write_off_loop(lambda conn: feeds.release_leases(conn, owner, feed_ids))

    async def feed_state(self, feed_id: int) -> FeedState:
        return await self._read_off_loop(lambda conn: feeds.load_feed_state(conn, feed_id))

    async def record_check(self, check: FeedCheck, max_attempts: int) -> Lookup:
        """Write what one check of a feed found (its state, entries and fetch log row), and
        in the same transaction look up the feed's entries that are not articles yet (and
        whose page has not failed `max_attempts` times, nor is waiting to be retried):
        those whose page is one already (in any spelling of its URL) are linked to it, the
        others are returned, to fetch."""

        def record(conn: Connection) -> Lookup:
            feeds.save_feed_check(conn, check)
            pending = _pending_entries(conn, check.feed_id, utcnow(), max_attempts)
            return _look_up(conn, pending)

        return await self._write_off_loop(record)

    async def look_up(self, pending: Sequence[PendingEntry]) -> Lookup:
        """As `record_check` does, for entries given directly (pages without a feed)."""
        return await self._write_off_loop(lambda conn: _look_up(conn, pending))

    async def claim_pages(
        self, pending: Sequence[PendingEntry], owner: str, lease: float
    ) -> tuple[set[str], Lookup]:
        """Claim the entries' pages (by canonical URL) for `owner` to fetch, where no other
        worker holds them. Pages another worker stored since they were looked up are linked
        instead. Returns the pages claimed, and the entries linked and still unknown."""

        def claim(conn: Connection) -> tuple[set[str], Lookup]:
            spelled = {entry.id: spellings(entry.link) for entry in pending}
            pages: dict[str, list[str]] = {}
            for entry in pending:
                pages.setdefault(canonical_url(entry.link), []).extend(spelled[entry.id])
            claimed, known = page_claims.claim_unstored_pages(conn, pages, owner, utcnow(), lease)
            return claimed, _link_known(conn, pending, known, spelled)

        return await self._write_off_loop(claim)

    async def page_claim(self, page: str, link: str) -> tuple[ClaimState, int | None]:
        """Where another worker's claim on `page` stands, and the article the page became
        (None while it is held, or when it failed or was abandoned)."""

        def look(conn: Connection) -> tuple[ClaimState, int | None]:
            state = page_claims.claim_state(conn, page, utcnow())
            if state is ClaimState.HELD:
                return state, None
            known = dedup.articles_for_urls(conn, spellings(link))
            return state, next(iter(known.values()), None)

        return await self._read_off_loop(look)

    async def link_entry(self, entry: PendingEntry, article_id: int) -> None:
        """Point an entry at the article its page became (fetched for another entry), and
        record the URL it gave as one of the article's."""

        def write(conn: Connection) -> None:
            if entry.feed_id is not None:
                entries.link_entries(conn, {entry.id: article_id})
            _add_spellings(conn, dict.fromkeys(spellings(entry.link), article_id))

        await self._write_off_loop(write)

    async def log_fetches(self, records: list[FetchRecord]) -> None:
        await self._write_off_loop(lambda conn: fetches.log_fetches(conn, records))

    async def page_failed(
        self, record: FetchRecord, entry: PendingEntry, retry_at: datetime | None, attempts: int
    ) -> None:
        """A page that failed: its fetch log row (kind and reason), and on its entry the
        failures counted so far (`attempts`), its reason, and when to try again (None: given
        up)."""

        def write(conn: Connection) -> None:
            fetches.log_fetches(conn, [record])
            if entry.feed_id is not None:
                error = f"{record.error_kind}: {record.error}"
                entries.record_page_failure(conn, entry.id, attempts, retry_at, error)

        await self._write_off_loop(write)

    async def release_pages(self, pages: list[str], owner: str) -> None:
        await self._write_off_loop(lambda conn: page_claims.release_pages(conn, pages, owner))


def _pending_entries(
    conn: Connection, feed_id: int, now: datetime, max_attempts: int
) -> list[PendingEntry]:
    """The feed's entries with a link that have not become an article yet, but those whose
    page failed and waits for its retry, or was given up."""
    query = select(
        Entry.id,
        Entry.feed_id,
        Entry.link,
        Entry.title,
        Entry.author,
        Entry.published_at,
        Entry.content,
        Entry.attempts,
    ).where(
        Entry.article_id.is_(None),
        Entry.pruned_at.is_(None),
        Entry.link.is_not(None),
        Entry.feed_id == feed_id,
        Entry.attempts < max_attempts,
        or_(Entry.retry_at.is_(None), Entry.retry_at <= now),
    )
    return [
        PendingEntry(
            r.id,
            r.feed_id,
            r.link,
            EntryData(r.title, r.author, r.published_at, r.content),
            r.attempts,
        )
        for r in conn.execute(query)
    ]


def _entry_data(conn: Connection, article_ids: list[int]) -> dict[int, EntryData]:
    """What the first entry of each article says of it."""
    query = (
        select(Entry.article_id, Entry.title, Entry.author, Entry.published_at, Entry.content)
        .where(Entry.article_id.in_(article_ids))
        .order_by(Entry.id.desc())
    )
    return {
        r.article_id: EntryData(r.title, r.author, r.published_at, r.content)
        for r in conn.execute(query)
    }


@dataclass(frozen=True)
class MergedUrls:
    """URLs that joined a stored article together, and what the article is."""

    article_id: int
    canonical_url: str
    host: str
    words: int
    wall: str | None
    urls: tuple[str, ...]


def _merged_url_groups(conn: Connection) -> list[MergedUrls]:
    query = (
        select(
            Article.id,
            Article.canonical_url,
            Article.host,
            Article.word_count,
            Article.wall,
            ArticleUrl.url,
            ArticleUrl.first_seen_at,
        )
        .join(ArticleUrl, ArticleUrl.article_id == Article.id)
        .where(ArticleUrl.first_seen_at != Article.first_seen_at)
        .order_by(Article.id, ArticleUrl.first_seen_at, ArticleUrl.url)
    )
    groups: dict[tuple[int, datetime], list[Any]] = {}
    for row in conn.execute(query):
        groups.setdefault((row.id, row.first_seen_at), []).append(row)
    return [
        MergedUrls(
            rows[0].id,
            rows[0].canonical_url,
            rows[0].host,
            rows[0].word_count,
            rows[0].wall,
            tuple(r.url for r in rows),
        )
        for rows in groups.values()
    ]


def _look_up(conn: Connection, pending: Sequence[PendingEntry]) -> Lookup:
    spelled = {entry.id: spellings(entry.link) for entry in pending}
    known = dedup.articles_for_urls(conn, [url for urls in spelled.values() for url in urls])
    return _link_known(conn, pending, known, spelled)


def _link_known(
    conn: Connection,
    pending: Sequence[PendingEntry],
    known: Mapping[str, int],
    spelled: Mapping[int, list[str]],
) -> Lookup:
    """Link the entries whose page is in `known` (URL -> article); the others are left
    (`spelled`: each entry's spellings of its link)."""
    links: dict[int, int] = {}
    urls: dict[str, int] = {}
    unknown = []
    for entry in pending:
        article_id = next((known[u] for u in spelled[entry.id] if u in known), None)
        if article_id is None:
            unknown.append(entry)
            continue
        if entry.feed_id is not None:
            links[entry.id] = article_id
        urls.update(dict.fromkeys(spelled[entry.id], article_id))
    entries.link_entries(conn, links)
    _add_spellings(conn, urls)
    return Lookup(len(pending) - len(unknown), unknown)


def _add_spellings(conn: Connection, urls: Mapping[str, int]) -> None:
    """Every URL an entry linked to is one of its article's, whichever spelling was stored
    first (a tracking-URL variant linked to a known page included)."""
    articles.add_urls(conn, urls, utcnow())
