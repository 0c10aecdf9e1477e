"""One check of one feed: fetch it, parse it, decide its new state. Returns data; storing it
is `storage.feeds.save_feed_check`'s job."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import datetime

from ingest.errors import ErrorKind, FeedParseError, FetchError, IngestError, describe
from ingest.feeds.parse import ParsedFeed, parse_feed
from ingest.feeds.schedule import CheckOutcome, Policy, next_state
from ingest.http.fetch import Fetcher
from ingest.types import FeedCheck, FeedEntry, FeedState, FetchRecord, utcnow

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)


Parser = Callable[[bytes, str, str | None], Awaitable[ParsedFeed]]


async def parse_here(content: bytes, url: str, content_type: str | None) -> ParsedFeed:
    """In this process (the daemon parses in its worker processes: `PageWorkers.parse_feed`)."""
    return parse_feed(content, url, content_type)


async def check_feed(
    fetcher: Fetcher,
    feed_id: int,
    state: FeedState,
    policy: Policy,
    now: Callable[[], datetime] = utcnow,
    jitter: Callable[[], float] = random.random,
    parse: Parser = parse_here,
) -> FeedCheck:
    """The feed-check boundary: whatever goes wrong inside one feed's check (a network
    error, a document no parser reads, a bug that hostile bytes find) is recorded on that
    feed, with its kind and reason, and never reaches the caller, so one feed can only ever
    fail itself."""
    started = now()
    try:
        return await _check(fetcher, feed_id, state, policy, now, jitter, parse, started)
    except FetchError as exc:
        return failed_check(feed_id, state, policy, exc, started, now(), jitter())
    except Exception as exc:  # noqa: BLE001 - see the docstring
        error = IngestError(f"the check failed: {describe(exc)}", url=state.url)
        return failed_check(feed_id, state, policy, error, started, now(), jitter())


def failed_check(
    feed_id: int,
    state: FeedState,
    policy: Policy,
    error: IngestError,
    started: datetime,
    now: datetime,
    jitter: float,
) -> FeedCheck:
    """A check that found no entries, only `error`: recorded on the feed, which backs off
    (unless the request never left the queue: then it is only put off)."""
    record = FetchRecord(
        url=state.url,
        status=None,
        bytes=0,
        duration_ms=(now - started).total_seconds() * 1000,
        feed_id=feed_id,
        error_kind=error.kind,
        error=str(error),
        fetched_at=started,
    )
    outcome = CheckOutcome(
        error=f"{error.kind}: {error}", deferred=error.kind is ErrorKind.QUEUE_TIMEOUT
    )
    return FeedCheck(feed_id, next_state(state, outcome, now, policy, jitter), (), record)


async def _check(
    fetcher: Fetcher,
    feed_id: int,
    state: FeedState,
    policy: Policy,
    now: Callable[[], datetime],
    jitter: Callable[[], float],
    parse: Parser,
    started: datetime,
) -> FeedCheck:
    entries: tuple[FeedEntry, ...] = ()
    title = site_url = None
    skipped: tuple[str, ...] = ()
    response = await fetcher.fetch(state.url, state.etag, state.last_modified, FEED_ACCEPT)
    error = error_kind = None
    if 200 <= response.status < 300:
        try:
            parsed = await parse(
                response.content, response.url, response.headers.get("content-type")
            )
        except FeedParseError as exc:
            error, error_kind = str(exc), exc.kind
        else:
            entries, skipped = parsed.entries, parsed.skipped
            title, site_url = parsed.title, parsed.site_url
    outcome = CheckOutcome(
        status=response.status,
        headers=response.headers,
        error=error,
        new_url=response.permanent_url,
        entry_dates=[e.published for e in entries if e.published],
    )
    record = FetchRecord(
        url=state.url,
        status=response.status,
        bytes=len(response.content),
        duration_ms=response.elapsed_ms,
        feed_id=feed_id,
        error_kind=error_kind or (ErrorKind.HTTP if response.status >= 400 else None),
        error=error or (f"HTTP {response.status}" if response.status >= 400 else None),
        fetched_at=started,
    )
    return FeedCheck(
        feed_id=feed_id,
        state=next_state(state, outcome, now(), policy, jitter()),
        entries=entries,
        fetch=record,
        title=title,
        site_url=site_url,
        skipped=skipped,
    )
