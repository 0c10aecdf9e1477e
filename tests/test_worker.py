"""The daemon as users run it: real processes, signals, kill -9, several workers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update

from ingest.config import Settings
from ingest.errors import FeedParseError, IngestError, StoreError
from ingest.extract.article import Article, extract_article
from ingest.feeds.parse import ParsedFeed, parse_feed
from ingest.text import int64_key
from ingest.types import Removed
from ingest.worker import page_workers, writer
from ingest.worker.page_workers import Page, PageWorkers, StoreOptions
from storage.engine import create_store_engine
from storage.models import Article as ArticleRow
from storage.models import Feed
from storage.schema import upgrade
from storage.store import Store
from tests.helpers.feeds import rss
from tests.helpers.httpserver import TestServer, respond, send
from tests.helpers.site import Site
from tests.helpers.workers import (
    counts,
    finish,
    needs_aeb,
    page_hits,
    settings_env,
    snapshot,
    start_worker,
    subscribe,
    upgrade_store,
    wait_for,
)

pytestmark = pytest.mark.slow


def test_a_second_daemon_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = {**settings_env(url), "INGEST_TICK_INTERVAL": "60"}
    upgrade_store(env)
    first = start_worker(env)
    try:
        wait_for(
            lambda: (
                (tmp_path / "store.db.daemon.lock").exists()
                and "pid" in (tmp_path / "store.db.daemon.lock").read_text()
            )
        )
        second = subprocess.run(
            [sys.executable, "-m", "ingest", "run", "--ticks", "1"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 1
        assert "already working on" in second.stderr and "one daemon per SQLite file" in (
            second.stderr
        )
    finally:
        first.send_signal(signal.SIGTERM)
        assert finish(first, 30)[0] == 0


@needs_aeb
def test_sigterm_during_work_stops_cleanly_and_a_rerun_finishes(site: Site, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = {**settings_env(url), "INGEST_GRACE_PERIOD": "20", "INGEST_MAX_CONNECTIONS": "2"}
    upgrade_store(env)
    subscribe(url, site.good_feeds)
    worker = start_worker(env)
    wait_for(lambda: sum(page_hits(site.server)[p] for p in site.pages) >= 2)
    worker.send_signal(signal.SIGTERM)
    code, stderr = finish(worker, 40)
    assert code == 0, stderr
    after_stop = counts(url)
    assert after_stop["leased"] == 0
    assert after_stop["articles"] == after_stop["distinct urls"]
    rerun = start_worker(env, "--ticks", "3")
    assert finish(rerun, 120)[0] == 0
    final = counts(url)
    assert final["articles"] == final["distinct urls"] == len(site.pages) + 3
    assert final["linked"] == final["entries"] - sum(
        1
        for items in site.feed_items.values()
        for _, link, _ in items
        if any(b in link for b in site.broken_pages)
    )


@needs_aeb
def test_kill_9_then_restart_ends_like_an_uninterrupted_run(
    site: Site, database_url: str, tmp_path: Path
) -> None:
    def run_to_completion(url: str, interrupt: bool) -> dict[str, int]:
        env = {**settings_env(url), "INGEST_LEASE_SECONDS": "2"}
        upgrade_store(env)
        subscribe(url, site.good_feeds)
        if interrupt:
            before = sum(page_hits(site.server).values())
            worker = start_worker(env)
            wait_for(lambda: sum(page_hits(site.server).values()) >= before + 10)
            os.killpg(worker.pid, signal.SIGKILL)
            finish(worker, 30)
            time.sleep(2.5)  # the dead worker's leases expire
        finisher = start_worker(env, "--ticks", "4")
        code, stderr = finish(finisher, 180)
        assert code == 0, stderr
        return counts(url)

    interrupted = run_to_completion(database_url, interrupt=True)  # each engine
    clean = run_to_completion(f"sqlite:///{tmp_path / 'clean.db'}", interrupt=False)
    assert interrupted == clean
    assert clean["articles"] == clean["distinct urls"] == len(site.pages) + 3
    after, before = snapshot(database_url), snapshot(f"sqlite:///{tmp_path / 'clean.db'}")
    for part in ("articles", "copies", "urls", "entries", "removed"):
        assert after[part] == before[part], part


def test_three_workers_share_one_postgresql(pg_database_url: str) -> None:
    server = TestServer()
    try:
        feed_urls = []
        for i in range(30):
            items = [(f"g{i}-{k}", server.url(f"/p/{(i + k) % 20}.html"), "t") for k in range(2)]
            server.route(f"/f/{i}.xml", respond(200, _rss(items)))
            feed_urls.append(server.url(f"/f/{i}.xml"))
        for n in range(20):
            body = f"<html><body><article><p>{_paragraph(n)}</p></article></body></html>"
            server.route(f"/p/{n}.html", respond(200, body.encode(), "text/html"))
        env = {
            **settings_env(pg_database_url),
            # Nine processes share two cores here: a fetch that misses a 2 s deadline is
            # (rightly) tried again on a later tick, which this test would count as twice.
            "INGEST_REQUEST_TIMEOUT": "15",
            "INGEST_MIN_POLL_INTERVAL": "3600",
            "INGEST_DEFAULT_POLL_INTERVAL": "3600",
            "INGEST_MAX_POLL_INTERVAL": "7200",
            "INGEST_CLAIM_BATCH": "3",
        }
        subscribe(pg_database_url, feed_urls)
        workers = [start_worker(env, "--ticks", "6") for _ in range(3)]
        for worker in workers:
            code, stderr = finish(worker, 120)
            assert code == 0, stderr
        hits = page_hits(server)
        assert all(hits[f"/f/{i}.xml"] == 1 for i in range(30)), hits  # once per due time
        # Pages listed by feeds that different workers process at the same moment: claimed
        # by one, awaited by the others.
        assert all(hits[f"/p/{n}.html"] == 1 for n in range(20)), hits
        final = counts(pg_database_url)
        assert final["articles"] == final["distinct urls"] == 20
        assert final["entries"] == final["linked"] == 60
        assert final["leased"] == 0
    finally:
        server.close()


def test_one_tick_works_through_every_due_feed_a_batch_at_a_time(tmp_path: Path) -> None:
    """A backlog (seven due feeds, batches of two) goes through in one tick, not one batch
    per tick interval."""
    server = TestServer()
    try:
        feed_urls = []
        for i in range(7):
            server.route(f"/f/{i}.xml", respond(200, _rss([(f"t{i}", server.url(f"/p/{i}"), "t")])))
            body = f"<html><body><article><p>{_paragraph(i)}</p></article></body></html>"
            server.route(f"/p/{i}", respond(200, body.encode(), "text/html"))
            feed_urls.append(server.url(f"/f/{i}.xml"))
        url = f"sqlite:///{tmp_path / 'store.db'}"
        env = {**settings_env(url), "INGEST_CLAIM_BATCH": "2", "INGEST_TICK_INTERVAL": "3600"}
        upgrade_store(env)
        subscribe(url, feed_urls)
        code, stderr = finish(start_worker(env, "--ticks", "1"), 120)
        assert code == 0, stderr
        hits = page_hits(server)
        assert all(hits[f"/f/{i}.xml"] == 1 and hits[f"/p/{i}"] == 1 for i in range(7)), hits
        final = counts(url)
        assert (final["articles"], final["linked"], final["leased"]) == (7, 7, 0)
    finally:
        server.close()


def test_a_tick_claims_the_next_feed_while_the_others_are_still_draining(
    tmp_path: Path,
) -> None:
    """Two feeds in flight (`claim_batch`); the third is claimed as soon as one of them is
    done, not once both are. The first feed's page is answered only once the third feed
    has been fetched (or after 5 s); the second feed is empty and done at once."""
    server = TestServer()
    third_fetched = threading.Event()
    waited: list[bool] = []
    page = f"<html><body><article><p>{_paragraph(0)}</p></article></body></html>".encode()

    def slow_page(h: BaseHTTPRequestHandler) -> None:
        waited.append(third_fetched.wait(5))
        send(h, 200, page, "text/html")

    def third_feed(h: BaseHTTPRequestHandler) -> None:
        third_fetched.set()
        send(h, 200, _rss([]))

    try:
        feed_urls = [
            server.route("/f/0.xml", respond(200, _rss([("t0", server.url("/p/0"), "t")]))),
            server.route("/f/1.xml", respond(200, _rss([]))),
            server.route("/f/2.xml", third_feed),
        ]
        server.route("/p/0", slow_page)
        url = f"sqlite:///{tmp_path / 'store.db'}"
        env = {
            **settings_env(url),
            "INGEST_CLAIM_BATCH": "2",
            "INGEST_TICK_INTERVAL": "3600",
            "INGEST_REQUEST_TIMEOUT": "15",
        }
        upgrade_store(env)
        subscribe(url, feed_urls)
        engine = create_store_engine(url)
        with engine.begin() as conn:  # claimed in this order
            for i, feed_url in enumerate(feed_urls):
                due = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i)
                conn.execute(update(Feed).where(Feed.url == feed_url).values(next_check_at=due))
        engine.dispose()
        code, stderr = finish(start_worker(env, "--ticks", "1"), 120)
        assert code == 0, stderr
        assert waited == [True]
        assert page_hits(server)["/f/2.xml"] == 1
        assert counts(url)["articles"] == 1
    finally:
        server.close()


def _rss(items: list[tuple[str, str, str]]) -> bytes:
    from tests.helpers.feeds import rss

    return rss(items)


def _paragraph(n: int) -> str:
    words = ["river", "council", "bridge", "budget", "school", "harbour", "train", "market"]
    return " ".join(f"{words[(n * 7 + i * 3) % 8]}{n}x{i}" for i in range(80)) + "."


def crash_or_extract(content: bytes, url: str, content_type: str | None) -> Article:
    if content == b"crash":
        os._exit(1)  # as a segfault in the parser would: the process dies
    if content == HANG:
        time.sleep(60)
    if content == b"unstorable":  # a removed block without a reason breaks NOT NULL
        article = extract_article(ordinary_page(99), url, content_type)
        return replace(article, removed=(Removed(None, "x"),))  # type: ignore[arg-type]
    return extract_article(content, url, content_type)


def ordinary_page(n: int) -> bytes:
    sentence = f"A perfectly ordinary paragraph of text number {n}, about nothing much. "
    return f"<html><body><p>{sentence * 5}</p></body></html>".encode()


def stored_text(url: str, article_id: int) -> str:
    engine = create_store_engine(url)
    with engine.connect() as conn:
        text = conn.execute(select(ArticleRow.text).where(ArticleRow.id == article_id)).scalar()
    engine.dispose()
    return text or ""


def outcomes(database_url: str, pages: list[bytes], together: bool) -> list[str]:
    """Each page through the workers (one after the other, or all at once so that they
    share batches): "ok <n>" when stored with its text, else the error."""
    upgrade(create_store_engine(database_url))

    async def one(pool: PageWorkers, n: int, content: bytes) -> str:
        try:
            intake = await pool.process(Page(content, f"https://x.example/{n}"))
        except IngestError as exc:
            return str(exc)
        text = stored_text(database_url, intake.article_id)
        return f"ok {n}" if f"number {n}," in text else f"wrong {n}"

    async def go() -> list[str]:
        pool = PageWorkers(StoreOptions(database_url), workers=2, timeout=2.0, job=crash_or_extract)
        try:
            if together:
                return list(await asyncio.gather(*(one(pool, n, p) for n, p in enumerate(pages))))
            return [await one(pool, n, page) for n, page in enumerate(pages)]
        finally:
            await pool.close()

    return asyncio.run(go())


HANG = b"hang"  # the extraction job sleeps on it, as one stuck in a parser would


def crash_hang_or_parse(content: bytes, url: str, content_type: str | None) -> ParsedFeed:
    if content == b"crash":
        os._exit(1)
    if content == b"hang":
        time.sleep(60)
    return parse_feed(content, url, content_type)


def test_a_feed_that_crashes_or_hangs_the_parser_fails_alone(tmp_path: Path) -> None:
    """Feeds are parsed in the extraction processes, with the pages' isolation."""
    good = rss([("g", "https://x.example/1", "One")])
    feeds = [good, b"crash", good, b"hang", good]
    url = f"sqlite:///{tmp_path}/store.db"
    upgrade(create_store_engine(url))

    async def go() -> list[str]:
        pool = PageWorkers(
            StoreOptions(url),
            timeout=2.0,
            feed_job=crash_hang_or_parse,
        )
        results = []
        try:
            for content in feeds:
                try:
                    parsed = await pool.parse_feed(content, "https://x.example/feed", None)
                    results.append(f"ok {len(parsed.entries)}")
                except FeedParseError as exc:
                    results.append(str(exc))
            return results
        finally:
            await pool.close()

    assert asyncio.run(go()) == [
        "ok 1",
        "the parser process crashed on this feed",
        "ok 1",
        "parsing took longer than 2s",
        "ok 1",
    ]


def test_a_page_that_crashes_or_hangs_the_parser_is_isolated(tmp_path: Path) -> None:
    pages = [ordinary_page(0), b"crash", ordinary_page(2), HANG, ordinary_page(4)]
    started = time.monotonic()
    results = outcomes(f"sqlite:///{tmp_path}/store.db", pages, together=False)
    assert results == [
        "ok 0",
        "the extractor process crashed on this page",
        "ok 2",
        "extraction took longer than 2s",
        "ok 4",
    ]
    assert time.monotonic() - started < 20


def test_batches_waiting_for_the_writer_go_in_together_each_with_its_own_outcome(
    tmp_path: Path,
) -> None:
    """While the writer waits for the store (its write lock held here), the batches that
    come out of extraction queue up; they are then stored in one transaction, and each
    page still gets the outcome of its own article."""
    url = f"sqlite:///{tmp_path}/store.db"
    engine = create_store_engine(url)
    upgrade(engine)

    async def go() -> tuple[int, list[int]]:
        pool = PageWorkers(StoreOptions(url), workers=2, timeout=10.0)
        pool.BATCH_PAGES = 1  # each page a batch of its own
        pages = [Page(ordinary_page(n), f"https://x.example/{n}") for n in range(6)]

        async def until(condition: Callable[[], bool]) -> None:
            for _ in range(600):  # however loaded the machine
                if condition():
                    return
                await asyncio.sleep(0.05)

        try:
            with engine.connect() as conn:
                holding = conn.begin()  # BEGIN IMMEDIATE: the store's write lock
                tasks = [asyncio.ensure_future(pool.process(pages[0]))]
                # The first batch waits for the lock in the writer; the others queue up.
                await until(lambda: bool(pool._storing) and not pool._to_store)
                tasks += [asyncio.ensure_future(pool.process(page)) for page in pages[1:]]
                await until(lambda: len(pool._to_store) == len(pages) - 1)
                queued = len(pool._to_store)
                holding.rollback()
            return queued, [intake.article_id for intake in await asyncio.gather(*tasks)]
        finally:
            await pool.close()

    queued, article_ids = asyncio.run(go())
    assert queued == 5
    for n, article_id in enumerate(article_ids):
        assert f"number {n}," in stored_text(url, article_id)
    engine.dispose()


def test_a_shared_store_gets_two_writer_processes_an_sqlite_file_one(database_url: str) -> None:
    store = Store(database_url)
    expected = {"sqlite": 1, "postgresql": 2}[store.engine.dialect.name]
    assert StoreOptions.for_store(store, Settings()).writers == expected
    store.close()


def test_on_postgresql_a_second_writer_stores_while_the_first_waits(
    pg_database_url: str,
) -> None:
    """Two writer processes on a shared store: a batch held up by another worker's lock on
    one of its keys (its host here) does not hold up the next batch, which has none in
    common with it; one writer would store them one after the other."""
    url = pg_database_url
    engine = create_store_engine(url)
    held = int64_key("host\0a.example")  # a collision key of the first page

    async def go() -> tuple[bool, int, int]:
        pool = PageWorkers(StoreOptions(url, writers=2), workers=1, timeout=10.0)
        pool.BATCH_PAGES = 1  # each page a batch of its own
        try:
            with engine.connect() as conn:
                holding = conn.begin()
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": held})
                first = asyncio.ensure_future(pool.process(Page(distinct_page(0), A_PAGE)))
                for _ in range(1200):  # until a writer waits for the lock, however loaded
                    if lock_waiters(engine):
                        break
                    await asyncio.sleep(0.05)
                second = await asyncio.wait_for(
                    pool.process(Page(distinct_page(1), "https://b.example/1")), 60
                )
                waiting = not first.done()
                holding.rollback()
            return waiting, (await first).article_id, second.article_id
        finally:
            await pool.close()

    waiting, first_id, second_id = asyncio.run(go())
    assert waiting
    assert stored_text(url, first_id).startswith("word0-")
    assert stored_text(url, second_id).startswith("word1-")
    engine.dispose()


A_PAGE = "https://a.example/0"


def lock_waiters(engine: Engine) -> int:
    with engine.connect() as conn:
        query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        return int(conn.execute(text(query)).scalar_one())


def distinct_page(n: int) -> bytes:
    """A page no other `distinct_page` shares a band key with (`ordinary_page`s are near
    copies of each other)."""
    words = " ".join(f"word{n}-{i}" for i in range(120))
    return f"<html><body><p>{words}.</p></body></html>".encode()


def test_an_article_the_store_refuses_fails_alone_in_its_batch(tmp_path: Path) -> None:
    """Batches go in without a savepoint per article; when one fails, the batch is undone
    and stored again article by article, in the same call, so that the others go in."""
    url = f"sqlite:///{tmp_path}/store.db"
    upgrade(create_store_engine(url))
    pages = [ordinary_page(0), b"unstorable", *(ordinary_page(n) for n in range(2, 10))]
    writer.open_store(url, site_min_articles=5)  # as in the writer process
    batch = [Page(p, f"https://x.example/{n}") for n, p in enumerate(pages)]
    prepared = [p for p, _ in page_workers.extract_pages(crash_or_extract, batch)]
    results = writer.store_pages([page.stored() for page in batch], prepared)
    assert isinstance(results[1], StoreError) and str(results[1]).startswith("IntegrityError")
    assert "NOT NULL" in str(results[1])
    for n, result in enumerate(results):
        if n != 1:
            assert not isinstance(result, StoreError)
            assert f"number {n}," in stored_text(url, result.article_id)


def test_a_crash_or_hang_in_a_batch_fails_that_page_alone(tmp_path: Path) -> None:
    pages = [ordinary_page(0), b"crash", ordinary_page(2), ordinary_page(3), HANG]
    pages += [ordinary_page(n) for n in range(5, 12)]
    results = outcomes(f"sqlite:///{tmp_path}/store.db", pages, together=True)
    assert results[1] == "the extractor process crashed on this page"
    assert results[4] == "extraction took longer than 2s"
    assert [r for n, r in enumerate(results) if n not in (1, 4)] == [
        f"ok {n}" for n in range(12) if n not in (1, 4)
    ]


def test_a_crash_or_hang_is_an_extract_error_of_its_own_kind(tmp_path: Path) -> None:
    """What the pipeline writes to the fetch log and the entry: the kind says which."""
    url = f"sqlite:///{tmp_path}/store.db"
    upgrade(create_store_engine(url))

    async def go() -> list[tuple[str, str]]:
        pool = PageWorkers(StoreOptions(url), workers=1, timeout=2.0, job=crash_or_extract)
        kinds = []
        try:
            for content in (b"crash", HANG):
                try:
                    await pool.process(Page(content, "https://x.example/p"))
                except IngestError as exc:
                    kinds.append((exc.kind, type(exc).__name__))
            return kinds
        finally:
            await pool.close()

    assert asyncio.run(go()) == [
        ("extract-crash", "ExtractError"),
        ("extract-timeout", "ExtractError"),
    ]


def test_closing_with_a_batch_in_flight_ends_it_at_once_and_leaves_nothing_running(
    tmp_path: Path,
) -> None:
    """A run that stops early (the store went away, a signal) cancels its callers; the batch
    they left behind must not go on into a closed pool (an unhandled error at exit), nor a
    hung extraction hold up the stop."""
    url = f"sqlite:///{tmp_path}/store.db"
    upgrade(create_store_engine(url))
    unhandled: list[object] = []

    async def go() -> tuple[float, int]:
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: unhandled.append(ctx))
        pool = PageWorkers(StoreOptions(url), workers=1, timeout=30.0, job=crash_or_extract)
        callers = [
            asyncio.ensure_future(pool.process(Page(content, f"https://x.example/{n}")))
            for n, content in enumerate((HANG, ordinary_page(1)))
        ]
        await asyncio.sleep(1.0)  # the batch is in the extractor, which hangs
        for caller in callers:
            caller.cancel()
        started = time.monotonic()
        await pool.close()
        took = time.monotonic() - started
        await asyncio.sleep(0.5)
        return took, len(asyncio.all_tasks()) - 1

    took, left = asyncio.run(go())
    assert took < 10
    assert left == 0
    assert unhandled == []
