"""Extraction, cleaning, dedup and storing of fetched pages, in worker processes: a pool
that extracts with a time limit, and one writer that stores.

The main process only schedules and fetches; everything a page costs in CPU after that runs
here, and feeds are parsed here too, so both cores work and the event loop never waits on a
parser or the store. A page that
hangs the HTML parser (pathological nesting makes Lexbor quadratic) or crashes it must not
take the worker down: the pool is rebuilt, the pages of the batch are tried again one at a
time, and only the culprit fails, with an `ExtractError` (kind "extract-timeout" or
"extract-crash").

Extraction processes never write: the writer alone takes the store's write lock, so they
never wait for it, and no parser runs inside a transaction. A group of batches' fetch log
rows, articles and entry links are written in one transaction, so a process killed
mid-batch leaves nothing half-written.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from ingest.config import Settings
from ingest.dedup.prepare import Prepared, prepare
from ingest.errors import ErrorKind, ExtractError, FeedParseError, IngestError, StoreError, describe
from ingest.extract.article import Article, extract_article
from ingest.extract.feed import with_feed
from ingest.feeds.parse import ParsedFeed, parse_feed
from ingest.http.charset import utf8_html
from ingest.types import Claim, EntryData, FetchRecord, Intake, utcnow
from ingest.worker import writer
from ingest.worker.durations import Durations
from ingest.worker.pool import IsolatedPool
from storage.store import Store

Job = Callable[[bytes, str, str | None], Article]
FeedJob = Callable[[bytes, str, str | None], ParsedFeed]


@dataclass(frozen=True)
class Page:
    """A fetched page and where it belongs."""

    content: bytes
    url: str  # after redirects
    content_type: str | None = None
    seen_urls: tuple[str, ...] = ()  # the entry's link and the redirects on the way
    entry_id: int | None = None  # the entry to link to the article
    fetch: FetchRecord | None = None  # the fetch log row, written with the article
    claim: Claim | None = None  # the page's claim, let go with the article
    feed: EntryData | None = None  # what the entry's feed says: the second source
    feed_only: bool = False  # the page failed: the article is the feed's alone

    def stored(self) -> writer.Stored:
        """What the writer needs of it besides the article."""
        return writer.Stored(self.fetch, self.entry_id, self.claim)


@dataclass(frozen=True)
class StoreOptions:
    """How the worker processes store pages."""

    database_url: str
    keep_raw_html: bool = False
    site_min_articles: int = 5
    writers: int = 1
    """Writer processes: one for SQLite (its write lock admits one writer at a time); on
    PostgreSQL two, so that one runs its Python while the server works on the other's
    statements (their transactions wait for each other only on keys they share, as two
    workers' do)."""

    @classmethod
    def for_store(cls, store: Store, settings: Settings) -> StoreOptions:
        return cls(
            store.url,
            settings.store_raw_html,
            settings.site_boilerplate_min_articles,
            writers=2 if store.shared else 1,
        )


def extract_job(content: bytes, url: str, content_type: str | None) -> Article:
    return extract_article(content, url, content_type)


_keep_raw_html = False


def _start_extractor(keep_raw_html: bool) -> None:
    """Initialises an extraction process."""
    global _keep_raw_html
    _keep_raw_html = keep_raw_html


def _prepare(job: Job, page: Page) -> tuple[Prepared | ExtractError, float]:
    """The page prepared (or why not), and the seconds it took."""
    started = time.perf_counter()
    return _prepared(job, page), time.perf_counter() - started


def _prepared(job: Job, page: Page) -> Prepared | ExtractError:
    try:
        if page.feed is None:
            article = job(page.content, page.url, page.content_type)
        else:
            from_page = None if page.feed_only else job(page.content, page.url, page.content_type)
            article = with_feed(from_page, page.feed)
        keep = _keep_raw_html and not page.feed_only
        raw = utf8_html(page.content, page.content_type) if keep else None
        # Seen "now" for the record; the writer stamps it again as it goes into the store.
        return prepare(page.url, article, utcnow(), page.seen_urls, raw)
    except Exception as exc:  # noqa: BLE001 - reported for this page alone
        error = ExtractError(describe(exc), url=page.url)
        error.__cause__ = exc
        return error


def extract_pages(job: Job, pages: list[Page]) -> list[tuple[Prepared | ExtractError, float]]:
    """In an extraction process: each page prepared for the store, or why it failed, and
    how long that took."""
    return [_prepare(job, page) for page in pages]


_Stored = asyncio.Future[list[Intake | IngestError]]
_Group = list[tuple[list[Page], list[Prepared | ExtractError], _Stored]]


def _fail(group: _Group, error: IngestError) -> None:
    for _, _, stored in group:
        if not stored.done():  # its caller gave up (shutdown)
            stored.set_exception(error)


class PageWorkers:
    """Pages go to the extraction processes in batches: a page waits at most `BATCH_WAIT`
    seconds for others to share its transaction. Callers bound how many pages they hand
    over at once; `capacity` keeps every process busy.

    Batches are large because the store's cost per article falls with the batch: the index
    pages one article dirties are shared by the others (on SQLite at 3k articles, 47 WAL
    pages written per article in batches of 13, 18 in batches of 64), and FTS5 writes one
    segment per transaction."""

    BATCH_PAGES = 64
    BATCH_WAIT = 0.25
    QUEUED_BATCHES = 2
    PRELOAD = ("ingest.worker.page_workers",)  # the extractor, imported once by the server

    def __init__(
        self,
        store: StoreOptions,
        workers: int = 2,
        timeout: float = 20.0,
        job: Job = extract_job,
        feed_job: FeedJob = parse_feed,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.job = job
        self.feed_job = feed_job
        self.extractors = IsolatedPool(
            workers, _start_extractor, (store.keep_raw_html,), self.PRELOAD, timeout
        )
        self.writer = IsolatedPool(
            store.writers,
            writer.open_store,
            (store.database_url, store.site_min_articles),
            self.PRELOAD,
        )
        self._waiting: list[tuple[Page, asyncio.Future[Intake]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._batches: set[asyncio.Task[None]] = set()
        self._to_store: _Group = []
        self._storing: set[asyncio.Task[None]] = set()
        self.capacity = workers * self.QUEUED_BATCHES * self.BATCH_PAGES
        self.durations = Durations()  # extraction per page, intake per transaction

    @classmethod
    def for_settings(cls, store: Store, settings: Settings) -> PageWorkers:
        if store.in_memory:
            raise StoreError("worker processes need a database file, not an in-memory SQLite")
        options = StoreOptions.for_store(store, settings)
        return cls(options, settings.extract_workers, settings.extract_timeout)

    async def process(self, page: Page) -> Intake:
        """Extract, clean, deduplicate and store the page; its outcome in the store, or an
        `ExtractError` or `StoreError` saying why it is not there."""
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[Intake] = loop.create_future()
        self._waiting.append((page, outcome))
        if len(self._waiting) >= self.BATCH_PAGES:
            self._send()
        elif self._timer is None:
            self._timer = loop.call_later(self.BATCH_WAIT, self._send)
        return await outcome

    def _send(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._waiting = self._waiting, []
        if batch:
            task = asyncio.ensure_future(self._run(batch))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _run(self, batch: list[tuple[Page, asyncio.Future[Intake]]]) -> None:
        pages = [page for page, _ in batch]
        results: list[Intake | IngestError]
        try:
            results = await self._submit(pages, attempts=1 if len(pages) > 1 else 2)
        except ExtractError as exc:
            # A batch that hung or crashed a worker: find the page that did, one page at a
            # time (a crash breaks every page in flight); the others still count.
            results = [exc] if len(pages) == 1 else [await self._alone(p) for p in pages]
        except IngestError as exc:  # the store failed: no page of the batch is to blame
            results = [exc] * len(pages)
        for (_, outcome), result in zip(batch, results, strict=True):
            if outcome.done():  # its caller gave up (shutdown)
                continue
            if isinstance(result, IngestError):
                outcome.set_exception(result)
            else:
                outcome.set_result(result)

    async def _alone(self, page: Page) -> Intake | IngestError:
        try:
            return (await self._submit([page], attempts=2))[0]
        except IngestError as exc:
            return exc

    async def _submit(self, pages: list[Page], attempts: int) -> list[Intake | IngestError]:
        prepared = await self._extract(pages, attempts)
        stored: _Stored = asyncio.get_running_loop().create_future()
        self._to_store.append((pages, prepared, stored))
        self._storing = {task for task in self._storing if not task.done()}
        if len(self._storing) < self.store.writers:
            self._storing.add(asyncio.ensure_future(self._store_queued()))
        return await stored

    async def _store_queued(self) -> None:
        """Hand the extracted batches to a writer, all those waiting in one transaction:
        while the writers are busy, the batches that arrive are grouped (a group commit),
        so the busier the store, the less each article costs it. One of these runs per
        writer process at most."""
        while self._to_store:
            group, self._to_store = self._to_store, []
            pages = [page.stored() for batch, _, _ in group for page in batch]  # no content
            prepared = [item for _, batch, _ in group for item in batch]
            started = time.perf_counter()
            try:
                results = await self.writer.run(writer.store_pages, pages, prepared)
                self.durations.observe("intake", time.perf_counter() - started)
            except BrokenProcessPool:
                _fail(group, StoreError("the writer process died"))
                continue
            except IngestError as exc:
                _fail(group, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - a bug in the writer: fail its pages
                _fail(group, StoreError(describe(exc)))
                continue
            start = 0
            for batch, _, stored in group:
                if not stored.done():
                    stored.set_result(results[start : start + len(batch)])
                start += len(batch)

    async def parse_feed(self, content: bytes, url: str, content_type: str | None) -> ParsedFeed:
        """Parse a feed in an extraction process: feedparser takes milliseconds per entry,
        which the event loop would otherwise spend parsing instead of fetching, and a feed
        that hangs or crashes the parser fails alone, as a page would."""
        try:
            return await self.extractors.run(self.feed_job, content, url, content_type)
        except TimeoutError:
            raise FeedParseError(f"parsing took longer than {self.timeout:g}s", url) from None
        except BrokenProcessPool:
            raise FeedParseError("the parser process crashed on this feed", url) from None

    async def _extract(self, pages: list[Page], attempts: int) -> list[Prepared | ExtractError]:
        for attempt in range(1, attempts + 1):
            try:
                timed = await self.extractors.run(extract_pages, self.job, pages)
                for _, seconds in timed:
                    self.durations.observe("extract", seconds)
                return [prepared for prepared, _ in timed]
            except TimeoutError:
                raise ExtractError(
                    f"extraction took longer than {self.timeout:g}s",
                    kind=ErrorKind.EXTRACT_TIMEOUT,
                ) from None
            except BrokenProcessPool:
                if attempt == attempts:
                    raise ExtractError(
                        "the extractor process crashed on this page", kind=ErrorKind.EXTRACT_CRASH
                    ) from None
                # The pool may have broken on another page: try this one once more.
        raise AssertionError("unreachable")

    async def close(self) -> None:
        """Stop: the batches still in hand are cancelled and waited for (their callers have
        gone: a run that stops early cancels them), then the processes end."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        tasks = [*self._batches, *self._storing]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _, outcome in self._waiting:
            outcome.cancel()
        self._waiting = []
        self.extractors.close(finish=False)  # they write nothing; one may be hung
        self.writer.close()
