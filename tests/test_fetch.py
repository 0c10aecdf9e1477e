"""Fetching feeds from a real HTTP server on 127.0.0.1, good and bad, into a real store.

Each case asserts what the store says afterwards: the feed's state, its entries, and the
fetch log; and that the process goes on.
"""

from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import brotli
import httpcore
import pytest
from sqlalchemy import Engine, func, select

from ingest.config import Settings
from ingest.feeds.check import FeedCheck, check_feed
from ingest.feeds.schedule import Policy
from ingest.http.fetch import (
    BlockedFetchError,
    Fetcher,
    RedirectFetchError,
    RobotsFetchError,
    TooLargeFetchError,
)
from ingest.http.pages import PageFetcher
from ingest.http.sockets import AsyncioBackend
from storage.engine import create_store_engine
from storage.feeds import add_feeds, load_feed_state, save_feed_check
from storage.models import Entry, Feed, Fetch
from storage.schema import upgrade
from tests.helpers.feeds import ITEMS, rss
from tests.helpers.httpserver import TestServer, drip, redirect, respond, send, silent_listener

T = TypeVar("T")
CAP = 1024 * 1024
SETTINGS = Settings(
    allow_private_networks=True,
    request_timeout=2.0,
    max_body_bytes=CAP,
    max_connections_per_host=4,
)
POLICY = Policy.from_settings(SETTINGS)
LARGE_BODY = b"<rss>" + b"x" * (5 * CAP)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture
def server() -> Iterator[TestServer]:
    srv = TestServer()
    yield srv
    srv.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def check(store: Engine, url: str, settings: Settings = SETTINGS) -> FeedCheck:
    """Subscribe (once) and check the feed now, as the worker does; store the result."""
    with store.begin() as conn:
        add_feeds(conn, [url])
        feed_id = conn.execute(select(Feed.id).where(Feed.url == url)).scalar()
        if feed_id is None:  # moved by a permanent redirect earlier
            feed_id = conn.execute(select(Feed.id)).scalar_one()
        state = load_feed_state(conn, feed_id)

    async def go() -> FeedCheck:
        async with Fetcher(settings) as fetcher:
            return await check_feed(fetcher, feed_id, state, POLICY, jitter=lambda: 1.0)

    result = run(go())
    with store.begin() as conn:
        save_feed_check(conn, result)
    return result


def feed_row(store: Engine) -> Any:
    with store.connect() as conn:
        return conn.execute(select(Feed.__table__)).one()


def entry_guids(store: Engine) -> list[str]:
    with store.connect() as conn:
        return list(conn.execute(select(Entry.guid).order_by(Entry.guid)).scalars())


def fetch_log(store: Engine) -> list[Any]:
    with store.connect() as conn:
        return list(conn.execute(select(Fetch.__table__).order_by(Fetch.id)))


def peak_memory(action: Callable[[], object]) -> int:
    """Peak bytes traced while `action` runs (the test server shares this process)."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def seconds_until_next_check(result: FeedCheck) -> float:
    return (result.state.next_check_at - datetime.now(UTC)).total_seconds()


def test_a_good_feed_is_stored(server: TestServer, store: Engine) -> None:
    url = server.route("/feed", respond(200, rss(ITEMS), headers={"ETag": '"v1"'}))
    result = check(store, url)
    assert entry_guids(store) == ["guid-0", "guid-1", "guid-2"]
    row = feed_row(store)
    assert (row.title, row.etag, row.error_count, row.last_error) == ("A feed", '"v1"', 0, None)
    assert row.last_success_at is not None
    assert result.fetch.status == 200
    assert [(f.status, f.error) for f in fetch_log(store)] == [(200, None)]
    assert "feed-ingest" in server.request_headers["/feed"][0]["User-Agent"]


def test_304_costs_no_parsing_and_keeps_the_entries(server: TestServer, store: Engine) -> None:
    def conditional(h: Any) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            send(h, 304, headers={"ETag": '"v1"'})
        else:
            send(h, 200, rss(ITEMS), headers={"ETag": '"v1"'})

    url = server.route("/feed", conditional)
    check(store, url)
    second = check(store, url)
    assert second.fetch.status == 304 and second.entries == ()
    assert server.request_headers["/feed"][1]["If-None-Match"] == '"v1"'
    assert entry_guids(store) == ["guid-0", "guid-1", "guid-2"]
    assert feed_row(store).error_count == 0


def test_429_with_retry_after_waits_without_an_error(server: TestServer, store: Engine) -> None:
    url = server.route("/feed", respond(429, b"slow down", "text/plain", {"Retry-After": "600"}))
    result = check(store, url)
    row = feed_row(store)
    assert row.error_count == 0 and row.last_error is None
    assert 590 < seconds_until_next_check(result) <= 600
    assert fetch_log(store)[0].status == 429


def test_500_backs_off_then_a_success_resets(server: TestServer, store: Engine) -> None:
    url = server.route("/feed", respond(500, b"oops", "text/plain"))
    first = check(store, url)
    second = check(store, url)
    assert feed_row(store).error_count == 2
    assert feed_row(store).last_error == "HTTP 500"
    assert seconds_until_next_check(second) > seconds_until_next_check(first) * 1.5
    server.route("/feed", respond(200, rss(ITEMS)))
    check(store, url)
    row = feed_row(store)
    assert row.error_count == 0 and row.last_success_at is not None
    assert len(entry_guids(store)) == 3
    assert [f.error for f in fetch_log(store)] == ["HTTP 500", "HTTP 500", None]


def test_a_permanent_redirect_chain_moves_the_feed(server: TestServer, store: Engine) -> None:
    server.route("/old", redirect(301, "/older"))
    server.route("/older", redirect(308, server.url("/feed")))
    server.route("/feed", respond(200, rss(ITEMS)))
    check(store, server.url("/old"))
    assert feed_row(store).url == server.url("/feed")
    assert len(entry_guids(store)) == 3


def test_a_temporary_redirect_keeps_the_feed_url(server: TestServer, store: Engine) -> None:
    server.route("/old", redirect(301, "/temp"))
    server.route("/temp", redirect(302, "/feed"))
    server.route("/feed", respond(200, rss(ITEMS)))
    check(store, server.url("/old"))
    # 301 then 302: only the permanent part of the chain is followed in the store.
    assert feed_row(store).url == server.url("/temp")
    store_2 = feed_row(store)
    assert store_2.error_count == 0


def test_a_redirect_loop_is_an_error(server: TestServer, store: Engine) -> None:
    server.route("/a", redirect(302, "/b"))
    server.route("/b", redirect(302, "/a"))
    check(store, server.url("/a"))
    row = feed_row(store)
    assert row.error_count == 1 and "redirect loop" in row.last_error
    assert fetch_log(store)[0].error_kind == "redirect"
    assert entry_guids(store) == []


def test_too_many_redirects(server: TestServer) -> None:
    for i in range(12):
        server.route(f"/r{i}", redirect(302, f"/r{i + 1}"))
    with pytest.raises(RedirectFetchError, match="more than 10 redirects"):
        run(Fetcher(SETTINGS).fetch(server.url("/r0")))


def test_redirect_to_a_non_http_scheme(server: TestServer) -> None:
    server.route("/x", redirect(302, "file:///etc/passwd"))
    with pytest.raises(RedirectFetchError, match="non-HTTP"):
        run(Fetcher(SETTINGS).fetch(server.url("/x")))


class LoopbackOnly(httpcore.AsyncNetworkBackend):
    """The connect call for the guard tests: every vetted connection goes to the local test
    server, and every attempt is recorded; nothing can leave 127.0.0.1."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.attempts: list[str] = []
        self.real = AsyncioBackend()

    async def connect_tcp(self, host: str, port: int, *a: Any, **kw: Any) -> Any:
        self.attempts.append(host)
        return await self.real.connect_tcp("127.0.0.1", self.port, *a, **kw)

    async def connect_unix_socket(self, *a: Any, **kw: Any) -> Any:
        raise AssertionError("unused")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def test_redirect_to_a_private_address_is_refused_with_the_guard_on(
    server: TestServer, store: Engine
) -> None:
    server.route("/feed", redirect(302, "http://10.0.0.1/admin"))
    names = {"feeds.example": ["93.184.216.34"], "10.0.0.1": ["10.0.0.1"]}

    async def resolve(host: str, port: int) -> list[str]:
        return names[host]

    connect = LoopbackOnly(server.port)
    guarded = replace(SETTINGS, allow_private_networks=False)

    async def go() -> None:
        async with Fetcher(guarded, resolve=resolve, backend=connect) as fetcher:
            await fetcher.fetch("http://feeds.example/feed")

    with pytest.raises(BlockedFetchError, match=r"10.0.0.1 \(10.0.0.1\): private"):
        run(go())
    assert connect.attempts == ["93.184.216.34"]  # the first hop only
    assert server.hits["/feed"] == 1 and server.hits["/admin"] == 0


def test_the_guard_refuses_a_real_loopback_server(server: TestServer, store: Engine) -> None:
    url = server.route("/feed", respond(200, rss(ITEMS)))
    check(store, url, replace(SETTINGS, allow_private_networks=False))
    assert server.hits["/feed"] == 0
    row = feed_row(store)
    assert row.error_count == 1 and "loopback" in row.last_error
    assert fetch_log(store)[0].error_kind == "blocked"


def test_a_body_dripping_past_the_deadline_is_cut_off(server: TestServer, store: Engine) -> None:
    url = server.route("/feed", drip(rss(ITEMS), every=0.05))  # ~30 s for the whole body
    started = time.monotonic()
    check(store, url, replace(SETTINGS, request_timeout=1.0))
    assert time.monotonic() - started < 3
    row = feed_row(store)
    assert row.error_count == 1 and "within 1s" in row.last_error
    assert fetch_log(store)[0].error_kind == "timeout"
    assert entry_guids(store) == []


def test_a_server_that_accepts_and_never_answers(store: Engine) -> None:
    with silent_listener() as port:
        started = time.monotonic()
        check(store, f"http://127.0.0.1:{port}/feed", replace(SETTINGS, request_timeout=1.0))
        assert time.monotonic() - started < 3
    assert fetch_log(store)[0].error_kind == "timeout"
    assert feed_row(store).error_count == 1


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """About 100x the cap of zeros, compressed: a few hundred KiB that expand to 100 MiB."""
    size = 100 * CAP
    compressor = brotli.Compressor(quality=5)
    block = b"\0" * CAP
    br = b"".join(compressor.process(block) for _ in range(size // CAP)) + compressor.finish()
    return {"gzip": gzip.compress(b"\0" * size, 9), "br": br}


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_compression_bombs_are_stopped_near_the_cap(
    server: TestServer, store: Engine, bombs: dict[str, bytes], encoding: str
) -> None:
    url = server.route(
        "/feed", respond(200, bombs[encoding], headers={"Content-Encoding": encoding})
    )
    assert len(bombs[encoding]) < CAP  # small on the wire
    peak = peak_memory(lambda: check(store, url))
    assert peak < 3 * CAP, f"peak {peak} bytes while refusing a bomb with a {CAP}-byte cap"
    row = feed_row(store)
    assert row.error_count == 1 and f"larger than {CAP} bytes" in row.last_error
    assert fetch_log(store)[0].error_kind == "too-large"


def test_an_oversized_plain_body_is_refused(server: TestServer) -> None:
    server.route("/big", respond(200, b"x" * (CAP + 1), "text/plain"))
    with pytest.raises(TooLargeFetchError):
        run(Fetcher(SETTINGS).fetch(server.url("/big")))


def test_a_lying_content_length_changes_nothing(server: TestServer, store: Engine) -> None:
    """Too small: the body ends where the header says (the rest is never read) and the
    truncated document stores nothing. Too large: the response is incomplete, an error.
    Neither allocates by the header."""

    def too_small(h: Any) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/xml")
        h.send_header("Content-Length", "120")
        h.end_headers()
        h.wfile.write(LARGE_BODY)  # made before measuring: the server shares our process

    def too_large(h: Any) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/xml")
        h.send_header("Content-Length", str(10 * 1024**3))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(rss(ITEMS))
        h.close_connection = True

    def both() -> None:
        check(store, server.route("/small", too_small))
        check(store, server.route("/large", too_large))

    peak = peak_memory(both)
    assert peak < 3 * CAP
    log = fetch_log(store)
    assert (log[0].status, log[0].bytes) == (200, 120)
    assert log[1].error_kind == "network"
    assert "incomplete" in log[1].error.lower() or "peer closed" in log[1].error.lower()
    assert entry_guids(store) == []


def test_wrong_charset_declared(server: TestServer, store: Engine) -> None:
    body = rss([("1", "https://c.example/1", "Café crème")]).decode().encode("cp1252")
    url = server.route("/feed", respond(200, body, "application/rss+xml; charset=utf-8"))
    check(store, url)
    with store.connect() as conn:
        assert conn.execute(select(Entry.title)).scalar_one() == "Café crème"


def test_html_at_a_feed_url_is_reported_with_the_feed_it_links(
    server: TestServer, store: Engine
) -> None:
    page = b'<html><head><link rel="alternate" type="application/atom+xml" href="/atom.xml">'
    url = server.route("/blog", respond(200, page + b"</head><body>Hi</body></html>", "text/html"))
    check(store, url)
    row = feed_row(store)
    assert row.error_count == 1
    assert row.last_error == (
        f"not a feed: {url} is an HTML page; it links to a feed at {server.url('/atom.xml')}"
    )
    assert entry_guids(store) == []


def test_billion_laughs_served_over_http(server: TestServer, store: Engine) -> None:
    decls = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE rss [{decls}]><rss version="2.0"><channel><title>B'
        "</title><item><guid>1</guid><title>&j;</title><link>https://b.example/1</link></item>"
        "</channel></rss>"
    ).encode()
    url = server.route("/feed", respond(200, doc))
    peak = peak_memory(lambda: check(store, url))
    assert peak < 50 * 1024 * 1024
    with store.connect() as conn:
        titles = list(conn.execute(select(Entry.title)).scalars())
    assert all("aaaaaaaaaaaaaaaaaaaa" not in (t or "") for t in titles)


def test_external_entity_pointing_at_a_local_file(
    server: TestServer, store: Engine, tmp_path: Path
) -> None:
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:SECRET")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>&x;</title><item><guid>1</guid>'
        "<title>&x;</title><link>https://x.example/1</link></item></channel></rss>"
    ).encode()
    check(store, server.route("/feed", respond(200, doc)))
    with store.connect() as conn:
        stored = repr(conn.execute(select(Entry.__table__)).all())
    stored += repr(feed_row(store))
    assert "SECRET" not in stored


def test_one_broken_entry_among_good_ones(server: TestServer, store: Engine) -> None:
    doc = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><guid>good-1</guid><title>One</title><link>https://g.example/1</link></item>"
        b"<item><guid>bad</guid><title>Fish & chips <b></title><pubDate>32 Foo</pubDate></item>"
        b"<item><guid>good-2</guid><title>Two</title><link>https://g.example/2</link></item>"
        b"</channel></rss>"
    )
    check(store, server.route("/feed", respond(200, doc)))
    guids = entry_guids(store)
    assert "good-1" in guids and "good-2" in guids
    assert feed_row(store).error_count == 0


def test_duplicate_guids_in_one_document(server: TestServer, store: Engine) -> None:
    items = [("g", "https://d.example/1", "First"), ("g", "https://d.example/1", "Second")]
    check(store, server.route("/feed", respond(200, rss(items))))
    assert entry_guids(store) == ["g"]


def test_an_empty_200(server: TestServer, store: Engine) -> None:
    check(store, server.route("/feed", respond(200, b"")))
    row = feed_row(store)
    assert row.error_count == 1 and row.last_error == "empty response: no feed document"
    assert fetch_log(store)[0].error_kind == "parse"


def test_an_invalid_json_feed(server: TestServer, store: Engine) -> None:
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": "nope"}'
    check(store, server.route("/feed.json", respond(200, body, "application/feed+json")))
    assert "invalid JSON Feed" in feed_row(store).last_error
    assert entry_guids(store) == []


def test_410_gone_disables_the_feed(server: TestServer, store: Engine) -> None:
    check(store, server.route("/feed", respond(410, b"gone", "text/plain")))
    row = feed_row(store)
    assert row.disabled and "410 Gone" in row.disabled_reason
    assert fetch_log(store)[0].status == 410


def test_robots_txt_disallowing_a_page(server: TestServer) -> None:
    server.route("/robots.txt", respond(200, b"User-agent: *\nDisallow: /private/\n", "text/plain"))
    server.route("/private/page", respond(200, b"<html>secret</html>", "text/html"))
    server.route("/public/page", respond(200, b"<html>ok</html>", "text/html"))

    async def go() -> tuple[bytes, str]:
        async with Fetcher(SETTINGS) as fetcher:
            pages = PageFetcher(fetcher)
            ok = await pages.fetch(server.url("/public/page"))
            try:
                await pages.fetch(server.url("/private/page"))
            except RobotsFetchError as exc:
                return ok.content, str(exc)
            raise AssertionError("robots.txt was not honoured")

    content, error = run(go())
    assert content == b"<html>ok</html>" and "robots.txt disallows" in error
    assert server.hits["/private/page"] == 0
    assert server.hits["/robots.txt"] == 1  # cached per host


ROBOTS_CASES = [
    # RFC 9309: the longest match wins, Allow on a tie; `*` and `$` wildcards.
    ("User-agent: *\nDisallow: /\nAllow: /news/\n", "/news/story", True),
    ("User-agent: *\nDisallow: /\nAllow: /news/\n", "/about", False),
    ("User-agent: *\nAllow: /news/\nDisallow: /news/private/\n", "/news/private/x", False),
    ("User-agent: *\nDisallow: /*.pdf$\n", "/paper.pdf", False),
    ("User-agent: *\nDisallow: /*.pdf$\n", "/paper.pdf.html", True),
    ("User-agent: *\nDisallow: /*/print\n", "/news/story/print", False),
    ("User-agent: *\nDisallow: /page\nAllow: /page\n", "/page", True),  # a tie: Allow
    # The group naming our agent, not `*`.
    ("User-agent: *\nDisallow: /\n\nUser-agent: feed-ingest\nAllow: /\n", "/news/x", True),
    ("User-agent: feed-ingest\nDisallow: /news/\n\nUser-agent: *\nAllow: /\n", "/news/x", False),
]


@pytest.mark.parametrize(("robots", "path", "allowed"), ROBOTS_CASES)
def test_robots_txt_is_read_by_rfc_9309(
    server: TestServer, robots: str, path: str, allowed: bool
) -> None:
    server.route("/robots.txt", respond(200, robots.encode(), "text/plain"))
    server.route(path, respond(200, b"<html>ok</html>", "text/html"))

    async def go() -> bool:
        async with Fetcher(SETTINGS) as fetcher:
            try:
                await PageFetcher(fetcher).fetch(server.url(path))
            except RobotsFetchError:
                return False
            return True

    assert run(go()) is allowed
    assert server.hits[path] == (1 if allowed else 0)


def test_crawl_delay_spaces_page_requests_up_to_the_setting(server: TestServer) -> None:
    server.route("/robots.txt", respond(200, b"User-agent: *\nCrawl-delay: 60\n", "text/plain"))
    for n in range(3):
        server.route(f"/p{n}", respond(200, b"<html>ok</html>", "text/html"))

    async def go() -> float:
        async with Fetcher(replace(SETTINGS, max_crawl_delay=0.5)) as fetcher:
            pages = PageFetcher(fetcher)
            started = time.monotonic()
            await asyncio.gather(*(pages.fetch(server.url(f"/p{n}")) for n in range(3)))
            return time.monotonic() - started

    elapsed = run(go())
    # Three pages start two gaps of the capped delay apart, not 60 s.
    assert 1.0 <= elapsed < 10


def test_robots_txt_can_be_ignored_by_setting(server: TestServer) -> None:
    server.route("/robots.txt", respond(200, b"User-agent: *\nDisallow: /\n", "text/plain"))
    server.route("/page", respond(200, b"<html>ok</html>", "text/html"))

    async def go() -> int:
        async with Fetcher(replace(SETTINGS, respect_robots_txt=False)) as fetcher:
            return (await PageFetcher(fetcher).fetch(server.url("/page"))).status

    assert run(go()) == 200 and server.hits["/robots.txt"] == 0


def test_many_fetches_respect_the_per_host_limit(server: TestServer) -> None:
    active = 0
    most = 0

    def slow(h: Any) -> None:
        nonlocal active, most
        active += 1
        most = max(most, active)
        time.sleep(0.1)
        active -= 1
        send(h, 200, b"ok", "text/plain")

    url = server.route("/slow", slow)
    settings = replace(SETTINGS, max_connections_per_host=2)

    async def go() -> list[int]:
        async with Fetcher(settings) as fetcher:
            responses = await asyncio.gather(*(fetcher.fetch(f"{url}?n={i}") for i in range(8)))
            return [r.status for r in responses]

    assert run(go()) == [200] * 8
    assert most == 2


def test_the_process_keeps_going_after_every_kind_of_failure(
    server: TestServer, store: Engine
) -> None:
    """One worker, one fetcher, bad feeds and a good one: the good one is stored."""
    server.route("/bad", respond(500, b"x", "text/plain"))
    server.route("/html", respond(200, b"<html></html>", "text/html"))
    server.route("/good", respond(200, rss(ITEMS)))
    urls = [server.url(p) for p in ("/bad", "/html", "/good")]
    with store.begin() as conn:
        add_feeds(conn, urls)
        states = {
            u: (i, load_feed_state(conn, i)) for i, u in conn.execute(select(Feed.id, Feed.url))
        }

    async def go() -> list[FeedCheck]:
        async with Fetcher(SETTINGS) as fetcher:
            return list(
                await asyncio.gather(
                    *(check_feed(fetcher, i, s, POLICY) for i, s in states.values())
                )
            )

    results = run(go())
    with store.begin() as conn:
        for result in results:
            save_feed_check(conn, result)
        errors = dict(conn.execute(select(Feed.url, Feed.error_count)).all())
        count = conn.execute(select(func.count()).select_from(Entry)).scalar_one()
    assert errors == {urls[0]: 1, urls[1]: 1, urls[2]: 0}
    assert count == 3
    assert all(r.state.next_check_at > datetime.now(UTC) + timedelta(minutes=1) for r in results)
