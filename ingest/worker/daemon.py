"""`ingest run`: the long-running worker.

APScheduler drives a tick that claims the feeds that are due (under a lease, `claim_batch`
in flight, until none of those due when it began is left) and runs the pipeline on them.
Several workers may share one PostgreSQL database: claims use row locks and leases that
expire if a worker dies. On SQLite one daemon per file: a second one is refused.

SIGTERM/SIGINT: stop claiming, let the tick in flight finish within the grace period, release
the leases, stop. Every write is its own transaction, so a kill at any moment leaves the store
consistent, and entries not yet turned into articles are picked up by the next check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ingest.config import Settings
from ingest.errors import StoreError
from ingest.owners import worker_name
from ingest.types import utcnow
from ingest.worker.metrics import MetricsServer, WorkerState
from ingest.worker.page_workers import PageWorkers
from ingest.worker.pipeline import Pipeline
from ingest.worker.retention import PRUNE_EVERY, cutoffs_for, prune_store
from storage.store import Store

log = logging.getLogger("ingest")


class Daemon:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.owner = worker_name()
        self.stopping = asyncio.Event()
        self.state = WorkerState(counts=dict, tick_interval=settings.tick_interval)
        self.current: asyncio.Task[None] | None = None

    @property
    def ticks(self) -> int:
        return self.state.ticks

    async def tick(self, pipeline: Pipeline) -> None:
        if self.stopping.is_set():
            return
        self.current = asyncio.current_task()
        try:
            await self._work_through(pipeline, due_by=utcnow())
            self.state.ticked()
        except StoreError as exc:
            # Each feed's own failures are recorded on it (`check_feed`); this is the store
            # itself, unreachable or refusing: one line, and the next tick tries again.
            log.error("the tick stopped: %s", exc)
        except asyncio.CancelledError:
            if not self.stopping.is_set():
                raise
            # Stopping, and the grace period is over: what was in flight is given up (its
            # pages are fetched again by the next run), said in `_finish_in_flight`.
        finally:
            self.current = None

    async def prune(self) -> None:
        """Retention, as the settings ask (daily; the first at start)."""
        cutoffs = cutoffs_for(self.settings, utcnow())
        try:
            pruned = await asyncio.to_thread(prune_store, self.store, cutoffs)
        except StoreError as exc:
            log.error("pruning stopped: %s", exc)
            return
        log.info(
            "pruned articles=%s raw_html=%s fetches=%s",
            pruned.articles,
            pruned.raw_html,
            pruned.fetches,
        )

    async def _work_through(self, pipeline: Pipeline, due_by: datetime) -> None:
        """Process the feeds due by `due_by` until none is left, `claim_batch` at a time,
        claiming the next as soon as one is done: after an import or a pause a backlog goes
        through at full speed (and a tick still ends), and the next feeds are fetched and
        parsed while the last pages of the others are being stored, so the extractors do
        not wait for a batch to start."""
        running: set[asyncio.Task[None]] = set()
        more = True
        try:
            while True:
                room = self.settings.claim_batch - len(running)
                if more and room > 0 and not self.stopping.is_set():
                    claimed = await self.store.due_feeds(
                        self.owner, self.settings.lease_seconds, room, due_by
                    )
                    more = len(claimed) == room
                    running.update(asyncio.ensure_future(self._one(pipeline, f)) for f in claimed)
                if not running:
                    return
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # the store failing: the tick ends (see `tick`)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def _one(self, pipeline: Pipeline, feed_id: int) -> None:
        try:
            await pipeline.process_feed(feed_id)
        finally:
            await self.store.release_leases(self.owner, [feed_id])
        self.state.feed_done()

    async def run(self, max_ticks: int | None = None) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        workers = PageWorkers.for_settings(self.store, self.settings)
        metrics = None
        try:
            async with Pipeline(self.settings, self.store, workers, self.owner) as pipeline:
                self.state.counts = lambda: pipeline.stats.counts
                self.state.durations = lambda: (pipeline.stats.durations, workers.durations)
                self.state.gauges = self.store.gauges
                if self.settings.metrics_port:
                    metrics = MetricsServer(
                        self.state, self.settings.metrics_port, self.settings.metrics_host
                    )
                    log.info("metrics and health on port %s", metrics.port)
                scheduler = AsyncIOScheduler(event_loop=loop)
                scheduler.add_job(
                    self.tick,
                    "interval",
                    args=[pipeline],
                    seconds=self.settings.tick_interval,
                    next_run_time=utcnow(),
                    max_instances=1,
                    coalesce=True,
                    misfire_grace_time=None,
                )
                if not cutoffs_for(self.settings, utcnow()).keep_all:
                    scheduler.add_job(
                        self.prune,
                        "interval",
                        seconds=PRUNE_EVERY,
                        next_run_time=utcnow(),
                        max_instances=1,
                        coalesce=True,
                        misfire_grace_time=None,
                    )
                scheduler.start()
                log.info("worker %s started", self.owner)
                while not self.stopping.is_set():
                    if max_ticks is not None and self.ticks >= max_ticks:
                        break
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.stopping.wait(), 0.2)
                self.stopping.set()  # no more claims
                self.state.stopping = True
                scheduler.pause()  # no more ticks; the one in flight goes on
                await self._finish_in_flight()
                # Only now: the scheduler's shutdown cancels the jobs still running.
                scheduler.shutdown(wait=False)
        finally:
            await self.store.release_leases(self.owner)
            await workers.close()
            if metrics is not None:
                metrics.close()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            log.info("worker %s stopped after %s ticks", self.owner, self.ticks)

    async def _finish_in_flight(self) -> None:
        task = self.current
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), self.settings.grace_period)
        except TimeoutError:
            log.warning(
                "in-flight work did not finish within the %gs grace period: given up (its "
                "pages are fetched again by the next run)",
                self.settings.grace_period,
            )
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
