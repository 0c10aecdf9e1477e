"""A request's deadline runs while it holds a connection, not while it waits for one: a feed
is never penalised for another feed's slowness. Real server on 127.0.0.1, default per-host
limit (2 connections)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ingest.cli import main
from ingest.config import Settings
from ingest.errors import ErrorKind
from ingest.feeds.schedule import CheckOutcome, Policy, next_state
from ingest.http.fetch import Fetcher, QueueTimeoutFetchError, TimeoutFetchError
from ingest.types import FeedState
from storage.engine import create_store_engine
from storage.models import Feed, Fetch
from tests.helpers.feeds import rss
from tests.helpers.httpserver import Route, TestServer, drip, respond, silent_listener
from tests.helpers.workers import settings_env


@pytest.fixture
def slow_host() -> Iterator[tuple[TestServer, int]]:
    """One host (127.0.0.1): a feed dripping a byte a second, one that never answers (on
    another port of the same host), a 410 feed and a 429 feed asking for an hour."""
    server = TestServer()
    server.route("/drip.xml", drip(rss([]), every=1.0))
    server.route("/gone.xml", respond(410, b"gone", "text/plain"))
    server.route("/busy.xml", respond(429, b"slow down", "text/plain", {"Retry-After": "3600"}))
    for name in ("gone", "busy"):
        server.route(f"/{name}-slowly.xml", _after(1.0, server.routes[f"/{name}.xml"]))
    with silent_listener() as port:
        yield server, port
    server.close()


def _after(seconds: float, route: Route) -> Route:
    def slowly(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        route(handler)

    return slowly


def _settings(**changes: object) -> Settings:
    defaults: dict[str, object] = {"allow_private_networks": True, "request_timeout": 2.0}
    return Settings(**(defaults | changes))  # type: ignore[arg-type]


def test_a_request_waiting_for_a_slot_keeps_its_whole_deadline(
    slow_host: tuple[TestServer, int],
) -> None:
    server, silent = slow_host

    async def run() -> list[object]:
        async with Fetcher(_settings()) as fetcher:
            hanging = [
                asyncio.ensure_future(fetcher.fetch(server.url("/drip.xml"))),
                asyncio.ensure_future(fetcher.fetch(f"http://127.0.0.1:{silent}/never.xml")),
            ]
            await asyncio.sleep(0.3)  # both of the host's slots are taken, for 2 s
            # Each takes a second to answer: it needs its own deadline, not what is left.
            innocent = [
                fetcher.fetch(server.url("/gone-slowly.xml")),
                fetcher.fetch(server.url("/busy-slowly.xml")),
            ]
            return await asyncio.gather(*hanging, *innocent, return_exceptions=True)

    *slow, gone, busy = asyncio.run(run())
    assert all(isinstance(result, TimeoutFetchError) for result in slow), slow
    assert getattr(gone, "status", None) == 410, gone
    assert getattr(busy, "status", None) == 429, busy


def test_a_wait_past_the_queue_limit_is_its_own_error_kind(
    slow_host: tuple[TestServer, int],
) -> None:
    server, silent = slow_host

    async def run() -> object:
        async with Fetcher(_settings(request_timeout=3.0, queue_timeout=0.5)) as fetcher:
            hanging = [
                asyncio.ensure_future(fetcher.fetch(f"http://127.0.0.1:{silent}/a")),
                asyncio.ensure_future(fetcher.fetch(f"http://127.0.0.1:{silent}/b")),
            ]
            await asyncio.sleep(0.2)
            try:
                return await fetcher.fetch(server.url("/gone.xml"))
            except QueueTimeoutFetchError as exc:
                return exc
            finally:
                for task in hanging:
                    task.cancel()
                await asyncio.gather(*hanging, return_exceptions=True)

    error = asyncio.run(run())
    assert isinstance(error, QueueTimeoutFetchError)
    assert error.kind is ErrorKind.QUEUE_TIMEOUT


def test_a_feed_put_off_by_the_queue_keeps_its_state() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    state = FeedState("http://x.example/f", now, 3600, error_count=2, last_error="old")
    outcome = CheckOutcome(error="queue-timeout: no connection came free", deferred=True)
    after = next_state(state, outcome, now, Policy(min_interval=600), jitter=1.0)
    assert after.error_count == 2 and after.last_error == "old"
    assert after.last_checked_at == state.last_checked_at
    assert after.next_check_at == now + timedelta(seconds=600)


def test_a_crawl_delay_spaces_requests_to_its_host() -> None:
    server = TestServer()
    server.route("/f.xml", respond(200, rss([]), "application/rss+xml"))

    async def run() -> float:
        async with Fetcher(_settings()) as fetcher:
            fetcher.set_min_gap("127.0.0.1", 0.4)
            started = time.monotonic()
            await asyncio.gather(*(fetcher.fetch(server.url(f"/f.xml?{n}")) for n in range(3)))
            return time.monotonic() - started

    try:
        assert asyncio.run(run()) >= 0.8  # three starts, two gaps
    finally:
        server.close()


@pytest.mark.slow
def test_the_410_is_disabled_and_the_429_waits_its_hour_beside_two_hanging_feeds(
    slow_host: tuple[TestServer, int], database_url: str
) -> None:
    server, silent = slow_host
    env = settings_env(database_url) | {"INGEST_MAX_CONNECTIONS_PER_HOST": "2"}
    urls = [
        server.url("/drip.xml"),
        f"http://127.0.0.1:{silent}/never.xml",
        server.url("/drip.xml?2"),
        f"http://127.0.0.1:{silent}/never-2.xml",
        server.url("/gone.xml"),
        server.url("/busy.xml"),
    ]
    started = datetime.now(UTC)
    result = CliRunner().invoke(main, ["backfill", *urls], env=env)
    assert "Traceback" not in result.output
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        feeds = {row.url: row for row in conn.execute(select(Feed))}
        kinds = {row.url: row.error_kind for row in conn.execute(select(Fetch))}
    engine.dispose()
    gone, busy = feeds[urls[4]], feeds[urls[5]]
    assert gone.disabled and "410" in (gone.disabled_reason or "")
    assert busy.error_count == 0 and busy.last_error is None
    wait = busy.next_check_at.replace(tzinfo=UTC) - started
    assert timedelta(minutes=59) < wait < timedelta(minutes=61)
    assert {kinds[url] for url in urls[:4]} == {ErrorKind.TIMEOUT}
