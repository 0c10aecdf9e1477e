"""The one-off runs: `ingest backfill` (given feeds and pages now, ignoring schedules) and
`ingest reprocess` (stored pages through extraction, cleaning and dedup again)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ingest.config import Settings
from ingest.dedup.decide import merge_scope, wrongly_merged
from ingest.errors import IngestError
from ingest.types import EntryData
from ingest.urls import canonical_url
from ingest.worker.page_workers import Page, PageWorkers
from ingest.worker.pipeline import Pipeline, RunStats
from storage.store import Store

Progress = Callable[[RunStats], None]


PROGRESS_EVERY = 0.5  # seconds between two calls of a backfill's `progress`


async def run_backfill(
    settings: Settings,
    store: Store,
    feed_ids: Sequence[int],
    page_urls: Sequence[str],
    progress: Progress = lambda _: None,
) -> RunStats:
    """Every feed and page at once (the fetcher's limits pace them); `progress` is called
    every `PROGRESS_EVERY` seconds and at the end. SIGINT or SIGTERM stops the run: the
    work in flight is cancelled (what was stored stays; a rerun does the rest) and the
    stats say `interrupted`."""
    workers = PageWorkers.for_settings(store, settings)
    try:
        async with Pipeline(settings, store, workers) as pipeline:

            async def one_page(url: str) -> None:
                await pipeline.ingest_pages([url])

            work = [*map(pipeline.process_feed, feed_ids), *map(one_page, page_urls)]
            ticker = asyncio.ensure_future(_every(PROGRESS_EVERY, progress, pipeline.stats))
            try:
                pipeline.stats.interrupted = await until_stopped(_all_or_none(work))
            finally:
                ticker.cancel()
                progress(pipeline.stats)
            return pipeline.stats
    finally:
        await workers.close()


async def _every(seconds: float, call: Progress, stats: RunStats) -> None:
    while True:
        await asyncio.sleep(seconds)
        call(stats)


async def until_stopped(work: Coroutine[Any, Any, None]) -> bool:
    """Run `work` to its end, or until SIGINT or SIGTERM: then it is cancelled and waited
    for, and the answer is True (stopped)."""
    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[None] = loop.create_future()

    def stop() -> None:
        if not stopped.done():
            stopped.set_result(None)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    task = asyncio.ensure_future(work)
    try:
        await asyncio.wait([task, stopped], return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
            return False
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return True
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        stopped.cancel()
        task.cancel()


async def _all_or_none(work: Sequence[Coroutine[Any, Any, None]]) -> None:
    """Run all of `work`; when one fails (the store is gone: every feed's own failures are
    recorded on it), the rest is cancelled and waited for before the error goes up, so no
    task is left running or unreported."""
    tasks = [asyncio.ensure_future(one) for one in work]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@dataclass(frozen=True)
class Reprocessed:
    done: int
    errors: list[str]
    split_articles: int = 0
    """Articles that held other stories by the old merge rule."""
    split_entries: int = 0
    """Entries taken from them, to be fetched as stories of their own."""
    interrupted: bool = False
    """Stopped by a signal: the articles not reached are as they were."""


async def run_reprocess(
    settings: Settings, store: Store, since: datetime | None, chunk: int = 200
) -> Reprocessed:
    """Stored pages through the page workers (isolated, both cores), a chunk at a time so
    that memory does not grow with the store, with what their entries' feeds say; then
    articles that took in other stories by a merge the rule no longer makes are split (see
    `split_wrong_merges`). The raw HTML is kept whatever the setting: it is what
    reprocessing needs."""
    workers = PageWorkers.for_settings(store, replace(settings, store_raw_html=True))
    room = asyncio.Semaphore(workers.capacity)
    errors: list[str] = []
    done = 0

    async def one(article_id: int, url: str, raw: str, feed: EntryData | None) -> None:
        nonlocal done
        try:
            page = Page(raw.encode("utf-8"), url, "text/html; charset=utf-8", feed=feed)
            await workers.process(page)
            done += 1
        except IngestError as exc:
            errors.append(f"article {article_id}: {exc}")
        finally:
            room.release()

    async def every_page() -> None:
        ids = await store.stored_page_ids(since)
        tasks: list[asyncio.Future[None]] = []
        try:
            for start in range(0, len(ids), chunk):
                for page in await store.stored_pages(ids[start : start + chunk]):
                    await room.acquire()
                    tasks.append(asyncio.ensure_future(one(*page)))
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    try:
        if await until_stopped(every_page()):
            return Reprocessed(done, errors, interrupted=True)
    finally:
        await workers.close()
    articles, entries = await split_wrong_merges(store)
    return Reprocessed(done, errors, articles, entries)


async def split_wrong_merges(store: Store) -> tuple[int, int]:
    """Split the stories an article took in by its text where the merge rule no longer
    would (walls, consent boxes, short texts of another host): their URLs leave the article
    and their entries are unlinked, so that the next check of their feeds fetches them as
    articles of their own. The articles split and the entries unlinked."""
    articles: set[int] = set()
    entries = 0
    for group in await store.merged_url_groups():
        if all(canonical_url(url) == group.canonical_url for url in group.urls):
            continue  # new spellings of the article's own page
        if wrongly_merged(merge_scope(group.words, group.wall), group.host, group.urls):
            entries += await store.split_off(group.article_id, group.urls)
            articles.add(group.article_id)
    return len(articles), entries
