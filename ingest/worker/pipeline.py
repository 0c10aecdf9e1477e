"""The pipeline for a batch of feeds: fetch -> parse -> (page) fetch -> extract -> clean ->
dedup -> store, with every failure recorded and the rest going on.

Each page is fetched once per article: an entry whose URL (in any spelling) is already an
article is linked to it without a request, and two entries naming the same page in one run
share one fetch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum

from ingest.config import Settings
from ingest.errors import ErrorKind, FetchError, IngestError, StoreError, describe
from ingest.feeds.check import check_feed, failed_check
from ingest.feeds.schedule import Policy, page_retry_at
from ingest.http.fetch import Fetcher
from ingest.http.pages import PageFetcher
from ingest.owners import worker_name
from ingest.types import (
    Claim,
    FeedCheck,
    FeedState,
    FetchRecord,
    Intake,
    Outcome,
    PendingEntry,
    utcnow,
)
from ingest.urls import canonical_url
from ingest.worker.durations import Durations
from ingest.worker.page_workers import Page, PageWorkers
from storage.store import ClaimState, Lookup, Store

log = logging.getLogger("ingest")
CLAIM_POLL = 0.25  # seconds between looks at a page another worker is fetching


class Count(StrEnum):
    """What a run counts: the backfill summary, the progress line and the daemon's
    Prometheus counters all read these."""

    FEEDS = "feeds checked"
    FEEDS_FAILED = "feeds failed"
    FEEDS_PUT_OFF = "feeds put off"
    """Asked to come back later (429 or 503 with Retry-After), or left in the queue: not
    errors."""
    ENTRIES = "entries"
    PAGES_FOUND = "pages to fetch"
    PAGES_DONE = "pages done"
    """Pages fetched and stored, or failed."""
    PAGES = "pages stored"
    NEW = "new articles"
    UPDATED = "updated articles"
    COPIES = "copies"
    """Pages stored as near or exact copies of an article already stored."""
    KNOWN_PAGES = "already known"
    """Entries whose page was an article already: not fetched again."""
    SHARED_FETCHES = "shared fetches"
    ERRORS = "errors"


@dataclass
class RunStats:
    counts: Counter[Count] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    interrupted: bool = False
    """Stopped by a signal before the work was done."""
    durations: Durations = field(default_factory=Durations)
    """Fetches, feed and page (extraction and intake are the page workers')."""

    def error(self, message: str) -> None:
        self.counts[Count.ERRORS] += 1
        self.errors.append(message)

    @property
    def rate(self) -> float:
        """Articles stored (new or copies) per second so far."""
        stored = self.counts[Count.NEW] + self.counts[Count.COPIES]
        return stored / max(1e-9, time.monotonic() - self.started)


def _put_off(before: FeedState, check: FeedCheck) -> bool:
    """A check that did not count as the feed's failure: asked to come back later, or
    never sent."""
    return check.state.error_count <= before.error_count and not check.state.disabled


class Pipeline:
    """Shared by all the work of one process; use within `async with`.

    One feed check is three calls to the store: its state, the check recorded (with the
    entries still to fetch, found in the same transaction), and, with several workers, the
    claim of the pages to fetch."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        workers: PageWorkers,
        owner: str | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
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
        self.owner = owner or worker_name()
        self.claim_lease = 2 * settings.request_timeout + settings.extract_timeout + 60

    async def __aenter__(self) -> Pipeline:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.fetcher.aclose()

    async def process_feed(self, feed_id: int) -> None:
        state = await self.store.feed_state(feed_id)
        check = await check_feed(
            self.fetcher, feed_id, state, self.policy, parse=self.workers.parse_feed
        )
        try:
            lookup = await self.store.record_check(check, self.settings.max_page_attempts)
        except StoreError as exc:
            # The store refused what this check found (a store that cannot be reached
            # refuses the failed check too, and that error goes up): the feed fails alone.
            error = StoreError(f"the store refused this feed's entries: {exc}", url=state.url)
            check = failed_check(feed_id, state, self.policy, error, utcnow(), utcnow(), 0.5)
            lookup = await self.store.record_check(check, self.settings.max_page_attempts)
        self.stats.counts[Count.FEEDS] += 1
        self.stats.durations.observe("fetch_feed", check.fetch.duration_ms / 1000)
        log.info(
            "fetch feed=%s status=%s bytes=%s ms=%.0f error=%s",
            state.url,
            check.fetch.status,
            check.fetch.bytes,
            check.fetch.duration_ms,
            check.fetch.error or "-",
        )
        if check.fetch.error:
            if _put_off(state, check):
                self.stats.counts[Count.FEEDS_PUT_OFF] += 1
            else:
                self.stats.error(f"{state.url}: {check.fetch.error}")
                self.stats.counts[Count.FEEDS_FAILED] += 1
        self.stats.counts[Count.ENTRIES] += len(check.entries)
        await self._fetch_unknown(lookup)

    async def ingest_pages(self, urls: Sequence[str]) -> None:
        """Pages given directly (no feed): those already articles are counted, the others
        fetched."""
        await self._fetch_unknown(
            await self.store.look_up([PendingEntry(0, None, u) for u in urls])
        )

    async def _fetch_unknown(self, lookup: Lookup) -> None:
        """Fetch the pages not yet articles; with several workers, those this one claims."""
        self.stats.counts[Count.KNOWN_PAGES] += lookup.known
        unknown, claimed = lookup.unknown, None
        if self.store.shared and unknown:
            claimed, again = await self.store.claim_pages(unknown, self.owner, self.claim_lease)
            # Pages another worker stored between the first look and the claim.
            self.stats.counts[Count.KNOWN_PAGES] += again.known
            unknown = again.unknown
        self.stats.counts[Count.PAGES_FOUND] += len(unknown)
        await asyncio.gather(*(self._page_done(entry, claimed) for entry in unknown))

    async def _page_done(self, entry: PendingEntry, claimed: set[str] | None) -> None:
        try:
            await self._ingest_unknown(entry, claimed)
        finally:
            self.stats.counts[Count.PAGES_DONE] += 1

    async def _ingest_unknown(self, entry: PendingEntry, claimed: set[str] | None) -> None:
        """Fetch the entry's page, or share the fetch of another entry naming the same page:
        in this process, or (on PostgreSQL) in another worker that claimed the page first."""
        key = canonical_url(entry.link)
        shared = self.inflight.get(key)
        if shared is None:
            if claimed is None or key in claimed:  # fetched here; linked as it is stored
                claim = Claim(key, self.owner) if claimed is not None else None
                page = asyncio.ensure_future(self._ingest_page(entry, claim))
                self._share(key, page)
                await page
                return
            shared = asyncio.ensure_future(self._article_from_other_worker(entry, key))
            self._share(key, shared)
        else:
            self.stats.counts[Count.SHARED_FETCHES] += 1
        article_id = await shared
        if article_id is not None:
            await self.store.link_entry(entry, article_id)

    def _share(self, key: str, page: asyncio.Future[int | None]) -> None:
        self.inflight[key] = page
        page.add_done_callback(lambda _: self.inflight.pop(key, None))

    async def _article_from_other_worker(self, entry: PendingEntry, key: str) -> int | None:
        """The article of a page another worker claimed, once it lets go of the page; None
        when it failed (its error is recorded there; the entry waits for its next check).
        A page whose holder died (its lease lapsed, or it ran on this machine and is gone)
        is claimed and fetched here instead."""
        while True:
            await asyncio.sleep(CLAIM_POLL)
            state, article_id = await self.store.page_claim(key, entry.link)
            if state is ClaimState.RELEASED or article_id is not None:
                return article_id
            if state is ClaimState.ABANDONED:
                claimed, lookup = await self.store.claim_pages(
                    [entry], self.owner, self.claim_lease
                )
                if key in claimed:
                    return await self._ingest_page(entry, Claim(key, self.owner))
                if lookup.known:  # stored meanwhile, and linked by the claim's second look
                    state, article_id = await self.store.page_claim(key, entry.link)
                    return article_id

    async def _ingest_page(self, entry: PendingEntry, claim: Claim | None) -> int | None:
        """Fetch one page here; extract and store it in a worker process, where the fetch
        log row, the article and the entry's link to it (and the page's claim, let go) are
        written in one transaction."""
        article_id = None
        try:
            async with self.pages_held:
                article_id = await self._fetch_and_process(entry, claim)
            return article_id
        except StoreError:
            raise  # the store failing is the run's error, not this page's
        except Exception as exc:  # noqa: BLE001 - the page boundary: this page fails alone
            message = f"the page failed: {describe(exc)}"
            record = self._fetch_record(entry, time.monotonic(), None, 0, ErrorKind.ERROR, message)
            article_id = await self._page_failed(entry, record, claim)
            return article_id
        finally:
            if claim is not None and article_id is None:  # not stored: let go here
                await self.store.release_pages([claim.page], claim.owner)

    async def _fetch_and_process(self, entry: PendingEntry, claim: Claim | None) -> int | None:
        url = entry.link
        async with self.page_slots:
            started = time.monotonic()
            try:
                response = await self.pages.fetch(url)
            except FetchError as exc:
                record = self._fetch_record(entry, started, None, 0, exc.kind, str(exc))
                return await self._page_failed(entry, record, claim)
        size = len(response.content)
        if response.status != 200:
            error = f"HTTP {response.status}"
            record = self._fetch_record(
                entry, started, response.status, size, ErrorKind.HTTP, error
            )
            return await self._page_failed(entry, record, claim)
        fetched = self._fetch_record(entry, started, 200, size, None, None)
        page = Page(
            content=response.content,
            url=response.url,
            content_type=response.headers.get("content-type"),
            seen_urls=(url, *response.redirects),
            entry_id=entry.id if entry.feed_id is not None else None,
            fetch=fetched,
            claim=claim,
            feed=entry.feed,
        )
        try:
            intake = await self.workers.process(page)
        except IngestError as exc:
            self.stats.error(f"{url}: {exc}")
            failed = replace(fetched, error_kind=exc.kind, error=str(exc))
            return await self._page_failed(entry, failed, claim)
        return self._stored(intake)

    async def _page_failed(
        self, entry: PendingEntry, record: FetchRecord, claim: Claim | None
    ) -> int | None:
        """A page that could not be fetched, extracted or stored: when its feed entry has
        content of its own, the article is made from that (the failure stays in the fetch
        log); otherwise the failure is recorded on the entry, to retry later. A request
        that never left the queue is not the page's failure: it is retried, not counted."""
        settings = self.settings
        if record.error_kind is ErrorKind.QUEUE_TIMEOUT:
            later = utcnow() + timedelta(seconds=settings.page_retry_interval)
            await self.store.page_failed(record, entry, later, entry.attempts)
            return None
        if entry.feed is not None and entry.feed.content:
            page = Page(
                b"",
                entry.link,
                entry_id=entry.id if entry.feed_id is not None else None,
                fetch=record,
                claim=claim,
                feed=entry.feed,
                feed_only=True,
            )
            try:
                return self._stored(await self.workers.process(page))
            except IngestError as exc:
                self.stats.error(f"{entry.link} (from its feed): {exc}")
        retry_at = page_retry_at(
            entry.attempts + 1,
            utcnow(),
            settings.page_retry_interval,
            settings.max_backoff,
            settings.max_page_attempts,
        )
        await self.store.page_failed(record, entry, retry_at, entry.attempts + 1)
        return None

    def _stored(self, intake: Intake) -> int:
        self.stats.counts[Count.PAGES] += 1
        if intake.outcome in (Outcome.SAME_TEXT, Outcome.NEAR_DUPLICATE):
            self.stats.counts[Count.COPIES] += 1
        elif intake.outcome is Outcome.NEW:
            self.stats.counts[Count.NEW] += 1
        elif intake.outcome is Outcome.UPDATED:
            self.stats.counts[Count.UPDATED] += 1
        return intake.article_id

    def _fetch_record(
        self,
        entry: PendingEntry,
        started: float,
        status: int | None,
        size: int,
        kind: ErrorKind | None,
        error: str | None,
    ) -> FetchRecord:
        """The fetch log row for a page, and its structured log line."""
        duration = (time.monotonic() - started) * 1000
        self.stats.durations.observe("fetch_page", duration / 1000)
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
