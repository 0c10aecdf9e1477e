"""Extraction, cleaning, dedup and storing of fetched pages, in worker processes with a time
limit per page.

The main process only schedules and fetches; everything a page costs in CPU after that runs
here, so both cores work and the event loop never waits on a parser or the store. A page that
hangs the HTML parser (pathological nesting makes Lexbor quadratic) or crashes it must not
take the worker down: the page fails with a `PageError`, the pool is rebuilt, and the run goes
on. Each page's fetch log row, article and entry link are written in one transaction in the
worker process, so a process killed mid-page leaves nothing half-written.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, update
from sqlalchemy.exc import SQLAlchemyError

from ingest.charset import decode_html
from ingest.extract import Article, extract_article
from ingest.intake import Intake, Prepared, prepare, take_in_prepared
from storage.engine import create_store_engine
from storage.fetches import FetchRecord, log_fetches
from storage.models import Entry, utcnow

Job = Callable[[bytes, str, str | None], Article]


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
    keep_raw_html: bool = False
    site_min_articles: int = 5


def extract_job(content: bytes, url: str, content_type: str | None) -> Article:
    return extract_article(content, url, content_type)


_store: Engine | None = None
_LINK_ENTRY = (
    update(Entry)
    .where(Entry.id == bindparam("entry_id"))
    .values(article_id=bindparam("linked_article"))
)


def _open_store(database_url: str) -> None:
    global _store
    _store = create_store_engine(database_url)


def _ready() -> bool:
    return True


def _take_in(conn: Connection, page: Page, prepared: Prepared) -> Intake:
    if page.fetch is not None:
        log_fetches(conn, [page.fetch])
    intake = take_in_prepared(conn, prepared, page.site_min_articles)
    if page.entry_id is not None:
        conn.execute(_LINK_ENTRY, {"entry_id": page.entry_id, "linked_article": intake.article_id})
    return intake


def _process(job: Job, pages: list[Page]) -> list[Intake | str]:
    """Each page's outcome, or why it failed. Extraction runs outside the transaction; the
    pages are then stored in one transaction (one commit, one full-text index flush), each
    in a savepoint so that one page's failure does not take the others with it."""
    prepared: list[Prepared | str] = []
    for page in pages:
        try:
            article = job(page.content, page.url, page.content_type)
            raw = decode_html(page.content, page.content_type) if page.keep_raw_html else None
            prepared.append(prepare(page.url, article, utcnow(), page.seen_urls, raw))
        except Exception as exc:  # noqa: BLE001 - reported for this page alone
            prepared.append(f"{type(exc).__name__}: {exc}")
    assert _store is not None, "worker started without a store"
    results: list[Intake | str] = []
    with _store.begin() as conn:
        for page, item in zip(pages, prepared, strict=True):
            if isinstance(item, str):
                results.append(item)
                continue
            try:
                with conn.begin_nested():
                    results.append(_take_in(conn, page, item))
            except SQLAlchemyError as exc:
                results.append(f"{type(exc).__name__}: {exc}")
    return results


class PageWorkers:
    """Pages go to the worker processes in small batches: a page waits at most
    `BATCH_WAIT` seconds for others to share its transaction. Callers bound how many pages
    they hand over at once; `capacity` keeps every worker busy."""

    BATCH_PAGES = 16
    BATCH_WAIT = 0.05
    QUEUED_BATCHES = 4

    def __init__(
        self,
        database_url: str,
        workers: int = 2,
        timeout: float = 20.0,
        job: Job = extract_job,
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        self.timeout = timeout
        self.job = job
        self.executor = self._new_executor()
        self._waiting: list[tuple[Page, asyncio.Future[Intake]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._batches: set[asyncio.Task[None]] = set()
        self.capacity = workers * self.QUEUED_BATCHES * self.BATCH_PAGES

    @classmethod
    def for_engine(cls, engine: Engine, workers: int, timeout: float) -> PageWorkers:
        if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
            raise ValueError("worker processes need a database file, not an in-memory SQLite")
        return cls(engine.url.render_as_string(hide_password=False), workers, timeout)

    def _new_executor(self) -> ProcessPoolExecutor:
        """Workers forked from a server that has already imported the extractor, started
        before any page is given to them, so the time limit measures the pages alone."""
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["ingest.page_workers"])
        executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_open_store,
            initargs=(self.database_url,),
        )
        for started in [executor.submit(_ready) for _ in range(self.workers)]:
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
            if len(pages) == 1:
                results = [str(exc)]
            else:
                # Find the page that hung or crashed the worker, one page at a time (a
                # crash breaks every page in flight): the others still count.
                results = [await self._alone(page) for page in pages]
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
        for attempt in range(1, attempts + 1):
            executor = self.executor
            future = asyncio.get_running_loop().run_in_executor(executor, _process, self.job, pages)
            try:
                return await asyncio.wait_for(future, self.timeout)
            except TimeoutError:
                self._rebuild(executor)
                raise PageError(f"extraction took longer than {self.timeout:g}s") from None
            except BrokenProcessPool:
                self._rebuild(executor)
                if attempt == attempts:
                    raise PageError("the extractor process crashed on this page") from None
                # The pool may have broken on another page: try this one once more.
            except Exception as exc:  # noqa: BLE001 - e.g. the store refused the transaction
                raise PageError(f"{type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")

    def _rebuild(self, broken: ProcessPoolExecutor) -> None:
        """Kill the pool's processes (a hung one would never return) and start afresh."""
        if broken is not self.executor:
            return  # already rebuilt by another page's failure
        processes = list(getattr(broken, "_processes", {}).values())
        broken.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
        self.executor = self._new_executor()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
