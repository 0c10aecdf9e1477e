"""One check of one feed: fetch it, parse it, decide its new state. Returns data; storing it
is `storage.feeds.save_feed_check`'s job."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import datetime

from ingest.errors import ErrorKind, FeedParseError, FetchError
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
    started = now()
    entries: tuple[FeedEntry, ...] = ()
    title = site_url = None
    skipped: tuple[str, ...] = ()
    try:
        response = await fetcher.fetch(state.url, state.etag, state.last_modified, FEED_ACCEPT)
    except FetchError as exc:
        outcome = CheckOutcome(error=f"{exc.kind}: {exc}")
        record = FetchRecord(
            url=state.url,
            status=None,
            bytes=0,
            duration_ms=(now() - started).total_seconds() * 1000,
            feed_id=feed_id,
            error_kind=exc.kind,
            error=str(exc),
            fetched_at=started,
        )
    else:
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
