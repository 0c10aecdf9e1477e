"""`ingest run`: the long-running worker.

APScheduler drives a tick that claims the feeds that are due (a batch at a time, under a
lease, until none of those due when it began is left) and runs the pipeline on them. Two
batches are in flight at once: while one drains (its last pages in the extractors), the
next one's feeds are being fetched and parsed, so the extractors never wait for a batch to
start.
Several workers may share one PostgreSQL database: claims use row locks and leases that
expire if a worker dies. On SQLite one daemon per file: a second one is refused.

SIGTERM/SIGINT: stop claiming, let the tick in flight finish within the grace period, release
the leases, stop. Every write is its own transaction, so a kill at any moment leaves the store
consistent, and entries not yet turned into articles are picked up by the next check.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import socket
from datetime import datetime
from pathlib import Path
from typing import IO

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine

from ingest.config import Settings
from ingest.metrics import MetricsServer, WorkerState
from ingest.page_workers import PageWorkers
from ingest.pipeline import Pipeline, worker_name
from storage.feeds import claim_due_feeds, release_leases
from storage.models import utcnow

log = logging.getLogger("ingest")
BATCHES_IN_FLIGHT = 2


class DaemonAlreadyRunningError(RuntimeError):
    pass


def sqlite_daemon_lock(engine: Engine) -> IO[str] | None:
    """Hold an exclusive lock beside an SQLite store for the daemon's lifetime."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    path = Path(engine.url.database).expanduser().resolve()
    handle = open(f"{path}.daemon.lock", "a+", encoding="utf-8")  # noqa: SIM115 - held open
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise DaemonAlreadyRunningError(
            f"another `ingest run` ({holder}) is already working on {path}: one daemon per "
            "SQLite file (use PostgreSQL to run several workers)"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
    handle.flush()
    return handle


class Daemon:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
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
            # Batch after batch until none of the feeds due when the tick began is left:
            # after an import or a pause, a backlog goes through at full speed rather than
            # one batch per tick interval, and a tick still ends.
            due_by = utcnow()
            lanes = (self._work_through(pipeline, due_by) for _ in range(BATCHES_IN_FLIGHT))
            await asyncio.gather(*lanes)
            self.state.ticked()
        finally:
            self.current = None

    async def _work_through(self, pipeline: Pipeline, due_by: datetime) -> None:
        """Claim and process a batch at a time until no feed due by `due_by` is left."""
        while not self.stopping.is_set():
            with self.engine.begin() as conn:
                claimed = claim_due_feeds(
                    conn,
                    self.owner,
                    utcnow(),
                    self.settings.lease_seconds,
                    self.settings.claim_batch,
                    due_by=due_by,
                )
            if not claimed:
                return
            try:
                await pipeline.process_feeds(claimed)
            finally:
                with self.engine.begin() as conn:
                    release_leases(conn, self.owner, claimed)
            self.state.batch_done()

    async def run(self, max_ticks: int | None = None) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        workers = PageWorkers.for_settings(self.engine, self.settings)
        metrics = None
        try:
            async with Pipeline(self.settings, self.engine, workers, self.owner) as pipeline:
                self.state.counts = lambda: pipeline.stats.counts
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
                scheduler.start()
                log.info("worker %s started", self.owner)
                while not self.stopping.is_set():
                    if max_ticks is not None and self.ticks >= max_ticks:
                        break
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.stopping.wait(), 0.2)
                scheduler.shutdown(wait=False)  # no more claims
                self.stopping.set()
                self.state.stopping = True
                await self._finish_in_flight()
        finally:
            with self.engine.begin() as conn:
                release_leases(conn, self.owner)
            workers.close()
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
            log.warning("in-flight work did not finish within the grace period: cancelled")
            task.cancel()
