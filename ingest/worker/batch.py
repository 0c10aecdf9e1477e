"""The one-off runs: `ingest backfill` (given feeds and pages now, ignoring schedules) and
`ingest reprocess` (stored pages through extraction, cleaning and dedup again)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from ingest.config import Settings
from ingest.errors import IngestError
from ingest.worker.page_workers import Page, PageWorkers
from ingest.worker.pipeline import Pipeline, RunStats
from storage.store import Store

Progress = Callable[[RunStats], None]


async def run_backfill(
    settings: Settings,
    store: Store,
    feed_ids: Sequence[int],
    page_urls: Sequence[str],
    progress: Progress = lambda _: None,
) -> RunStats:
    """Every feed and page at once (the fetcher's limits pace them); `progress` is called
    as each is done."""
    workers = PageWorkers.for_settings(store, settings)
    try:
        async with Pipeline(settings, store, workers) as pipeline:

            async def one_feed(feed_id: int) -> None:
                await pipeline.process_feed(feed_id)
                progress(pipeline.stats)

            async def one_page(url: str) -> None:
                await pipeline.ingest_pages([url])
                progress(pipeline.stats)

            await asyncio.gather(*map(one_feed, feed_ids), *map(one_page, page_urls))
            return pipeline.stats
    finally:
        workers.close()


async def run_reprocess(
    settings: Settings, store: Store, since: datetime | None, chunk: int = 200
) -> tuple[int, list[str]]:
    """Stored pages through the page workers (isolated, both cores), a chunk at a time so
    that memory does not grow with the store. The raw HTML is kept whatever the setting:
    it is what reprocessing needs."""
    workers = PageWorkers.for_settings(store, replace(settings, store_raw_html=True))
    room = asyncio.Semaphore(workers.capacity)
    errors: list[str] = []
    done = 0

    async def one(article_id: int, url: str, raw: str) -> None:
        nonlocal done
        try:
            await workers.process(Page(raw.encode("utf-8"), url, "text/html; charset=utf-8"))
            done += 1
        except IngestError as exc:
            errors.append(f"article {article_id}: {exc}")
        finally:
            room.release()

    try:
        ids = await store.stored_page_ids(since)
        tasks = []
        for start in range(0, len(ids), chunk):
            for page in await store.stored_pages(ids[start : start + chunk]):
                await room.acquire()
                tasks.append(asyncio.ensure_future(one(*page)))
        await asyncio.gather(*tasks)
    finally:
        workers.close()
    return done, errors
