"""The pipeline for a batch of feeds: fetch -> parse -> (page) fetch -> extract -> clean ->
dedup -> store, with every failure recorded and the rest going on.

Each page is fetched once per article: an entry whose URL (in any spelling) is already an
article is linked to it without a request, and two entries naming the same page in one run
share one fetch.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Connection, Engine, select

from ingest.config import Settings
from ingest.feedcheck import check_feed
from ingest.fetch import Fetcher, FetchError
from ingest.intake import NEAR_DUPLICATE, NEW, SAME_TEXT, UPDATED
from ingest.page_workers import Page, PageError, PageWorkers
from ingest.pages import PageFetcher
from ingest.schedule import Policy
from ingest.urls import canonical_url, normalise_url
from storage.dedup import articles_for_urls
from storage.engine import reading
from storage.entries import link_entries
from storage.feeds import load_feed_state, save_feed_check
from storage.fetches import FetchRecord, log_fetches
from storage.models import Entry, utcnow
from storage.page_claims import claim_unstored_pages, page_claimed, release_pages

log = logging.getLogger("ingest")
R = TypeVar("R")
CLAIM_POLL = 0.25  # seconds between looks at a page another worker is fetching


def worker_name() -> str:
    """Who holds a lease or a claim: unique per process, readable in the store."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _spellings(link: str) -> list[str]:
    return list(dict.fromkeys([link, normalise_url(link), canonical_url(link)]))


@dataclass
class RunStats:
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def error(self, message: str) -> None:
        self.counts["errors"] += 1
        self.errors.append(message)

    @property
    def rate(self) -> float:
        """Articles stored (new or copies) per second so far."""
        stored = self.counts[NEW] + self.counts["duplicates"]
        return stored / max(1e-9, time.monotonic() - self.started)


@dataclass(frozen=True)
class PendingEntry:
    id: int
    feed_id: int | None
    link: str


class Pipeline:
    """Shared by all the work of one process; use within `async with`."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        workers: PageWorkers,
        owner: str | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.workers = workers
        self.policy = Policy.from_settings(settings)
        self.fetcher = Fetcher(settings)
        self.pages = PageFetcher(self.fetcher)
        self.inflight: dict[str, asyncio.Future[int | None]] = {}
        self.page_slots = asyncio.Semaphore(settings.max_connections)
        # Pages fetched or being fetched and not yet stored: bounds memory when fetching
        # outpaces the workers.
        self.pages_held = asyncio.Semaphore(settings.max_connections + workers.capacity)
        self.stats = RunStats()
        # Page claims, for several workers on one PostgreSQL (one SQLite daemon per file).
        self.claims = engine.dialect.name == "postgresql"
        self.owner = owner or worker_name()
        self.claim_lease = 2 * settings.request_timeout + settings.extract_timeout + 60

    async def __aenter__(self) -> Pipeline:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.fetcher.aclose()

    async def process_feed(self, feed_id: int) -> None:
        with reading(self.engine) as conn:
            state = load_feed_state(conn, feed_id)
        check = await check_feed(
            self.fetcher, feed_id, state, self.policy, parse=self.workers.parse_feed
        )
        await self.write(lambda conn: save_feed_check(conn, check))
        self.stats.counts["feeds"] += 1
        log.info(
            "fetch feed=%s status=%s bytes=%s ms=%.0f error=%s",
            state.url,
            check.fetch.status,
            check.fetch.bytes,
            check.fetch.duration_ms,
            check.fetch.error or "-",
        )
        if check.fetch.error:
            self.stats.error(f"{state.url}: {check.fetch.error}")
            self.stats.counts["feeds failed"] += 1
        self.stats.counts["entries"] += len(check.entries)
        await self.ingest_entries(self.pending_entries(feed_id))

    def pending_entries(self, feed_id: int | None = None) -> list[PendingEntry]:
        """Entries with a link that have not become an article yet."""
        query = select(Entry.id, Entry.feed_id, Entry.link).where(
            Entry.article_id.is_(None), Entry.link.is_not(None)
        )
        if feed_id is not None:
            query = query.where(Entry.feed_id == feed_id)
        with reading(self.engine) as conn:
            return [PendingEntry(r.id, r.feed_id, r.link) for r in conn.execute(query)]

    async def ingest_entries(self, entries: Sequence[PendingEntry]) -> None:
        """Link the entries whose page is already an article (in any spelling of its URL,
        one query for them all); fetch the others' pages."""
        spellings = {entry.id: _spellings(entry.link) for entry in entries}
        with reading(self.engine) as conn:
            known = articles_for_urls(conn, [url for urls in spellings.values() for url in urls])
        unknown = await self._link_known(entries, spellings, known)
        claimed = None
        if self.claims and unknown:
            pages: dict[str, list[str]] = {}
            for entry in unknown:
                pages.setdefault(canonical_url(entry.link), []).extend(spellings[entry.id])
            claimed, known = await self.write(
                lambda conn: claim_unstored_pages(
                    conn, pages, self.owner, utcnow(), self.claim_lease
                )
            )
            # Pages another worker stored between the first look and the claim.
            unknown = await self._link_known(unknown, spellings, known)
        await asyncio.gather(*(self._ingest_unknown(entry, claimed) for entry in unknown))

    async def _link_known(
        self,
        entries: Sequence[PendingEntry],
        spellings: dict[int, list[str]],
        known: dict[str, int],
    ) -> list[PendingEntry]:
        """Link the entries whose page is in `known`; the others, left to fetch."""
        links: dict[int, int] = {}
        unknown = []
        for entry in entries:
            article_id = next((known[u] for u in spellings[entry.id] if u in known), None)
            if article_id is None:
                unknown.append(entry)
                continue
            self.stats.counts["known pages"] += 1
            if entry.feed_id is not None:
                links[entry.id] = article_id
        if links:
            await self.write(lambda conn: link_entries(conn, links))
        return unknown

    async def ingest_entry(self, entry: PendingEntry) -> None:
        await self.ingest_entries([entry])

    async def _ingest_unknown(self, entry: PendingEntry, claimed: set[str] | None) -> None:
        """Fetch the entry's page, or share the fetch of another entry naming the same page:
        in this process, or (on PostgreSQL) in another worker that claimed the page first."""
        key = canonical_url(entry.link)
        shared = self.inflight.get(key)
        if shared is None:
            if claimed is None or key in claimed:  # fetched here; linked as it is stored
                page = asyncio.ensure_future(
                    self._ingest_page(entry, key if claimed is not None else None)
                )
                self._share(key, page)
                await page
                return
            shared = asyncio.ensure_future(self._article_from_other_worker(entry.link, key))
            self._share(key, shared)
        else:
            self.stats.counts["shared fetches"] += 1
        article_id = await shared
        if article_id is not None and entry.feed_id is not None:
            await self.write(lambda conn: link_entries(conn, {entry.id: article_id}))

    def _share(self, key: str, page: asyncio.Future[int | None]) -> None:
        self.inflight[key] = page
        page.add_done_callback(lambda _: self.inflight.pop(key, None))

    async def _article_from_other_worker(self, link: str, key: str) -> int | None:
        """The article of a page another worker claimed, once it lets go of the page; None
        when it failed (its error is recorded there; the entry waits for its next check)."""
        while True:
            await asyncio.sleep(CLAIM_POLL)
            with reading(self.engine) as conn:
                if not page_claimed(conn, key, utcnow()):
                    known = articles_for_urls(conn, _spellings(link))
                    return next(iter(known.values()), None)

    async def write(self, write: Callable[[Connection], R]) -> R:
        """One write transaction, in a thread: while another process holds the store's
        write lock, the event loop goes on fetching."""

        def run() -> R:
            with self.engine.begin() as conn:
                return write(conn)

        return await asyncio.to_thread(run)

    async def _ingest_page(self, entry: PendingEntry, claim: str | None) -> int | None:
        """Fetch one page here; extract and store it in a worker process, where the fetch
        log row, the article and the entry's link to it (and the page's claim, let go) are
        written in one transaction."""
        article_id = None
        try:
            async with self.pages_held:
                article_id = await self._fetch_and_process(entry, claim)
            return article_id
        finally:
            if claim is not None and article_id is None:  # not stored: let go here
                await self.write(lambda conn: release_pages(conn, [claim], self.owner))

    async def _fetch_and_process(self, entry: PendingEntry, claim: str | None) -> int | None:
        url = entry.link
        async with self.page_slots:
            started = time.monotonic()
            try:
                response = await self.pages.fetch(url)
            except FetchError as exc:
                record = self._fetch_record(entry, started, None, 0, exc.kind, str(exc))
                await self.write(lambda conn: log_fetches(conn, [record]))
                return None
        size = len(response.content)
        if response.status != 200:
            error = f"HTTP {response.status}"
            record = self._fetch_record(entry, started, response.status, size, "http", error)
            await self.write(lambda conn: log_fetches(conn, [record]))
            return None
        fetched = self._fetch_record(entry, started, 200, size, None, None)
        page = Page(
            response.content,
            response.url,
            response.headers.get("content-type"),
            (url, *response.redirects),
            entry.id if entry.feed_id is not None else None,
            fetched,
            (claim, self.owner) if claim is not None else None,
        )
        try:
            intake = await self.workers.process(page)
        except PageError as exc:
            await self.write(lambda conn: log_fetches(conn, [fetched]))
            self.stats.error(f"{url}: {exc}")
            return None
        self.stats.counts["pages"] += 1
        if intake.outcome in (SAME_TEXT, NEAR_DUPLICATE):
            self.stats.counts["duplicates"] += 1
        elif intake.outcome in (NEW, UPDATED):
            self.stats.counts[intake.outcome] += 1
        return intake.article_id

    def _fetch_record(
        self,
        entry: PendingEntry,
        started: float,
        status: int | None,
        size: int,
        kind: str | None,
        error: str | None,
    ) -> FetchRecord:
        """The fetch log row for a page, and its structured log line."""
        duration = (time.monotonic() - started) * 1000
        log.info(
            "fetch page=%s status=%s bytes=%s ms=%.0f error=%s",
            entry.link,
            status,
            size,
            duration,
            error or "-",
        )
        if error:
            self.stats.error(f"{entry.link}: {error}")
        return FetchRecord(entry.link, status, size, duration, entry.feed_id, kind, error)
