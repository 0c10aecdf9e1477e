"""Extraction, cleaning, dedup and storing of fetched pages, in worker processes: a pool
that extracts with a time limit, and one writer that stores.

The main process only schedules and fetches; everything a page costs in CPU after that runs
here, and feeds are parsed here too, so both cores work and the event loop never waits on a
parser or the store. A page that
hangs the HTML parser (pathological nesting makes Lexbor quadratic) or crashes it must not
take the worker down: the pool is rebuilt, the pages of the batch are tried again one at a
time, and only the culprit fails, with a `PageError`.

Extraction processes never write: the writer alone takes the store's write lock, so they
never wait for it, and no parser runs inside a transaction. A group of batches' fetch log
rows, articles and entry links are written in one transaction, so a process killed
mid-batch leaves nothing half-written.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ingest.charset import decode_html
from ingest.config import Settings
from ingest.extract import Article, extract_article
from ingest.feedparse import FeedParseError, ParsedFeed, parse_feed
from ingest.intake import Intake, Prepared, prepare, take_in_all
from storage.engine import SQLITE_INTAKE_CACHE_KIB, create_store_engine
from storage.entries import link_entries
from storage.fetches import FetchRecord, log_fetches
from storage.models import utcnow
from storage.page_claims import release_pages

Job = Callable[[bytes, str, str | None], Article]
FeedJob = Callable[[bytes, str, str | None], ParsedFeed]
R = TypeVar("R")


class PageError(RuntimeError):
    pass


@dataclass(frozen=True)
class Page:
    """A fetched page and where it belongs."""

    content: bytes
    url: str  # after redirects
    content_type: str | None = None
    seen_urls: tuple[str, ...] = ()  # the entry's link and the redirects on the way
    entry_id: int | None = None  # the entry to link to the article
    fetch: FetchRecord | None = None  # the fetch log row, written with the article
    claim: tuple[str, str] | None = None  # (page, owner): the claim let go with the article


@dataclass(frozen=True)
class StoreOptions:
    """How the worker processes store pages."""

    database_url: str
    keep_raw_html: bool = False
    site_min_articles: int = 5


def extract_job(content: bytes, url: str, content_type: str | None) -> Article:
    return extract_article(content, url, content_type)


_store: Engine | None = None
_options = StoreOptions("")


def _take_options(options: StoreOptions) -> None:
    """Initialises an extraction process."""
    global _options
    _options = options


def _open_store(options: StoreOptions) -> None:
    """Initialises the writer process."""
    global _store
    _take_options(options)
    _store = create_store_engine(options.database_url, sqlite_cache_kib=SQLITE_INTAKE_CACHE_KIB)


def _ready() -> bool:
    return True


def _prepare(job: Job, page: Page) -> Prepared | str:
    try:
        article = job(page.content, page.url, page.content_type)
        raw = decode_html(page.content, page.content_type) if _options.keep_raw_html else None
        # Seen "now" for the record; take_in_all() stamps it again as it goes into the store.
        return prepare(page.url, article, utcnow(), page.seen_urls, raw)
    except Exception as exc:  # noqa: BLE001 - reported for this page alone
        return _why(exc)


def _extract_pages(job: Job, pages: list[Page]) -> list[Prepared | str]:
    """In an extraction process: each page prepared for the store, or why it failed."""
    return [_prepare(job, page) for page in pages]


def _store_pages(pages: list[Page], prepared: list[Prepared | str]) -> list[Intake | str]:
    """In the writer process: each page's outcome, or why it failed. The pages go in in one
    transaction (one commit, one full-text index flush), a page's failure undoing its own
    writes only; the fetch log rows and entry links of the pages stored are written with
    them."""
    try:
        return _store_batch(pages, prepared, isolated=False)
    except SQLAlchemyError:
        # Rare: an article broke a constraint (or met another worker's). Again, each article
        # in its own savepoint, so that the failing one alone stays out.
        return _store_batch(pages, prepared, isolated=True)


def _store_batch(
    pages: list[Page], prepared: list[Prepared | str], isolated: bool
) -> list[Intake | str]:
    assert _store is not None, "worker started without a store"
    with _store.begin() as conn:
        ready = [item for item in prepared if isinstance(item, Prepared)]
        taken = iter(
            take_in_all(conn, ready, _options.site_min_articles, clock=utcnow, isolated=isolated)
        )
        results = [item if isinstance(item, str) else _described(next(taken)) for item in prepared]
        stored = [(p, r) for p, r in zip(pages, results, strict=True) if isinstance(r, Intake)]
        log_fetches(conn, [p.fetch for p, _ in stored if p.fetch is not None])
        link_entries(conn, {p.entry_id: r.article_id for p, r in stored if p.entry_id is not None})
        for owner in {p.claim[1] for p, _ in stored if p.claim is not None}:
            claims = [p.claim[0] for p, _ in stored if p.claim is not None and p.claim[1] == owner]
            release_pages(conn, claims, owner)
    return results


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _described(outcome: Intake | Exception) -> Intake | str:
    return _why(outcome) if isinstance(outcome, Exception) else outcome


_Stored = asyncio.Future[list[Intake | str]]


def _fail(group: list[tuple[list[Page], list[Prepared | str], _Stored]], error: PageError) -> None:
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

    def __init__(
        self,
        store: StoreOptions,
        workers: int = 2,
        timeout: float = 20.0,
        job: Job = extract_job,
        feed_job: FeedJob = parse_feed,
    ) -> None:
        self.store = store
        self.workers = workers
        self.timeout = timeout
        self.job = job
        self.feed_job = feed_job
        self.executor = self._new_pool(workers, _take_options)
        self.writer = self._new_pool(1, _open_store)
        self._waiting: list[tuple[Page, asyncio.Future[Intake]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._batches: set[asyncio.Task[None]] = set()
        self._to_store: list[tuple[list[Page], list[Prepared | str], _Stored]] = []
        self._storing: asyncio.Task[None] | None = None
        self.capacity = workers * self.QUEUED_BATCHES * self.BATCH_PAGES

    @classmethod
    def for_settings(cls, engine: Engine, settings: Settings) -> PageWorkers:
        if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
            raise ValueError("worker processes need a database file, not an in-memory SQLite")
        store = StoreOptions(
            engine.url.render_as_string(hide_password=False),
            settings.store_raw_html,
            settings.site_boilerplate_min_articles,
        )
        return cls(store, settings.extract_workers, settings.extract_timeout)

    def _new_pool(
        self, processes: int, initializer: Callable[[StoreOptions], None]
    ) -> ProcessPoolExecutor:
        """Processes forked from a server that has already imported the extractor, started
        before any page is given to them, so the time limit measures the pages alone."""
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["ingest.page_workers"])
        executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=context,
            initializer=initializer,
            initargs=(self.store,),
        )
        for started in [executor.submit(_ready) for _ in range(processes)]:
            started.result()
        return executor

    async def process(self, page: Page) -> Intake:
        """Extract, clean, deduplicate and store the page; its outcome in the store."""
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
        try:
            results = await self._submit(pages, attempts=1 if len(pages) > 1 else 2)
        except PageError as exc:
            # A batch that hung or crashed a worker: find the page that did, one page at a
            # time (a crash breaks every page in flight); the others still count.
            results = [str(exc)] if len(pages) == 1 else [await self._alone(p) for p in pages]
        for (_, outcome), result in zip(batch, results, strict=True):
            if outcome.done():  # its caller gave up (shutdown)
                continue
            if isinstance(result, str):
                outcome.set_exception(PageError(result))
            else:
                outcome.set_result(result)

    async def _alone(self, page: Page) -> Intake | str:
        try:
            return (await self._submit([page], attempts=2))[0]
        except PageError as exc:
            return str(exc)

    async def _submit(self, pages: list[Page], attempts: int) -> list[Intake | str]:
        prepared = await self._extract(pages, attempts)
        stored: _Stored = asyncio.get_running_loop().create_future()
        sent = [replace(page, content=b"") for page in pages]  # the writer needs no page
        self._to_store.append((sent, prepared, stored))
        if self._storing is None or self._storing.done():
            self._storing = asyncio.ensure_future(self._store_queued())
        return await stored

    async def _store_queued(self) -> None:
        """Hand the extracted batches to the writer, all those waiting in one transaction:
        while the writer is busy, the batches that arrive are grouped (a group commit), so
        the busier the store, the less each article costs it."""
        loop = asyncio.get_running_loop()
        while self._to_store:
            group, self._to_store = self._to_store, []
            pages = [page for batch, _, _ in group for page in batch]
            prepared = [item for _, batch, _ in group for item in batch]
            try:
                results = await loop.run_in_executor(self.writer, _store_pages, pages, prepared)
            except BrokenProcessPool:
                self.writer.shutdown(wait=False, cancel_futures=True)
                self.writer = self._new_pool(1, _open_store)
                _fail(group, PageError("the writer process died"))
                continue
            except Exception as exc:  # noqa: BLE001 - e.g. the store refused the transaction
                _fail(group, PageError(_why(exc)))
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
            return await self._isolated(self.feed_job, content, url, content_type)
        except TimeoutError:
            raise FeedParseError(f"parsing took longer than {self.timeout:g}s") from None
        except BrokenProcessPool:
            raise FeedParseError("the parser process crashed on this feed") from None

    async def _extract(self, pages: list[Page], attempts: int) -> list[Prepared | str]:
        for attempt in range(1, attempts + 1):
            try:
                return await self._isolated(_extract_pages, self.job, pages)
            except TimeoutError:
                raise PageError(f"extraction took longer than {self.timeout:g}s") from None
            except BrokenProcessPool:
                if attempt == attempts:
                    raise PageError("the extractor process crashed on this page") from None
                # The pool may have broken on another page: try this one once more.
        raise AssertionError("unreachable")

    async def _isolated(self, call: Callable[..., R], *args: Any) -> R:
        """`call(*args)` in an extraction process within the time limit; after a hang
        (TimeoutError) or a crash (BrokenProcessPool) the pool is rebuilt."""
        executor = self.executor
        future = asyncio.get_running_loop().run_in_executor(executor, call, *args)
        try:
            return await asyncio.wait_for(future, self.timeout)
        except (TimeoutError, BrokenProcessPool):
            self._rebuild(executor)
            raise

    def _rebuild(self, broken: ProcessPoolExecutor) -> None:
        """Kill the pool's processes (a hung one would never return) and start afresh."""
        if broken is not self.executor:
            return  # already rebuilt by another page's failure
        processes = list(getattr(broken, "_processes", {}).values())
        broken.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
        self.executor = self._new_pool(self.workers, _take_options)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.writer.shutdown(wait=True, cancel_futures=True)
