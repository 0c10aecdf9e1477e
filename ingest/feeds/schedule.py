"""When to check a feed next, and what its row says after a check: pure decisions.

`next_state(state, outcome, now, policy, jitter)` takes the feed's stored state and a summary
of what one check found and returns the new state. No I/O, no clock, no randomness of its
own (the caller passes `now` and a `jitter` in [0, 1)), so every rule is tested directly.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from ingest.config import Settings
from ingest.types import FeedState

RECENT_ENTRIES = 20


@dataclass(frozen=True)
class Policy:
    min_interval: int = 15 * 60
    default_interval: int = 60 * 60
    max_interval: int = 24 * 60 * 60
    max_backoff: int = 24 * 60 * 60

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            min_interval=settings.min_poll_interval,
            default_interval=settings.default_poll_interval,
            max_interval=settings.max_poll_interval,
            max_backoff=settings.max_backoff,
        )


@dataclass(frozen=True)
class CheckOutcome:
    """What one check of a feed found."""

    status: int | None = None
    headers: Mapping[str, str] | None = None
    error: str | None = None
    """Set when the check failed: network error, unparseable body, ... (readable text)."""
    new_url: str | None = None
    """The feed's new URL after a permanent redirect."""
    entry_dates: Sequence[datetime] = ()
    deferred: bool = False
    """The feed was never asked: its request waited too long for a connection slot behind
    other requests to its host. Not the feed's fault: nothing on it changes but when it is
    checked next."""


def _header(outcome: CheckOutcome, name: str) -> str | None:
    return (outcome.headers or {}).get(name)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def freshness_seconds(headers: Mapping[str, str] | None, now: datetime) -> float | None:
    """How long the response says it stays fresh: Cache-Control max-age, else Expires."""
    headers = headers or {}
    control = headers.get("cache-control", "")
    match = re.search(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", control, re.I)
    if match:
        return float(match.group(1))
    expires = headers.get("expires")
    if expires:
        try:
            when = parsedate_to_datetime(expires)
        except (TypeError, ValueError):
            return 0.0  # an invalid Expires means "already expired"
        if when.tzinfo is not None:
            return max(0.0, (when - now).total_seconds())
    return None


def adaptive_interval(entry_dates: Sequence[datetime], policy: Policy) -> int:
    """Poll about as often as the feed publishes: the median gap between its recent
    entries, within the policy's bounds."""
    recent = sorted(set(entry_dates), reverse=True)[:RECENT_ENTRIES]
    if len(recent) < 2:
        return policy.default_interval
    gaps = [(a - b).total_seconds() for a, b in zip(recent, recent[1:], strict=False)]
    return int(min(policy.max_interval, max(policy.min_interval, statistics.median(gaps))))


def backoff_seconds(error_count: int, policy: Policy, jitter: float) -> float:
    """Exponential backoff from the shortest interval, capped, with jitter in [0.5, 1]x."""
    base = min(policy.max_backoff, policy.min_interval * 2 ** min(error_count - 1, 30))
    return float(base) * (0.5 + jitter / 2)


def next_state(
    state: FeedState, outcome: CheckOutcome, now: datetime, policy: Policy, jitter: float
) -> FeedState:
    if outcome.deferred:
        put_off = policy.min_interval * (0.5 + jitter / 2)
        return replace(state, next_check_at=now + timedelta(seconds=put_off))
    checked = replace(state, last_checked_at=now, url=outcome.new_url or state.url)
    status = outcome.status

    if status == 410:
        return replace(
            checked,
            disabled=True,
            disabled_reason="410 Gone: the server says this feed was removed for good",
            last_error="HTTP 410 Gone",
            last_error_at=now,
            error_count=state.error_count + 1,
        )

    if status in (429, 503) and outcome.error is None:
        wait = parse_retry_after(_header(outcome, "retry-after"), now)
        if wait is not None:
            # Asked to come back later: not an error, the server told us when.
            wait = min(float(policy.max_backoff), max(wait, 1.0))
            return replace(checked, next_check_at=now + timedelta(seconds=wait))

    failed = outcome.error is not None or status is None or status >= 400
    if failed:
        count = state.error_count + 1
        text = outcome.error or f"HTTP {status}"
        delay = backoff_seconds(count, policy, jitter)
        return replace(
            checked,
            error_count=count,
            last_error=text,
            last_error_at=now,
            next_check_at=now + timedelta(seconds=delay),
        )

    interval = state.poll_interval
    etag, last_modified = state.etag, state.last_modified
    if status != 304:
        interval = adaptive_interval(outcome.entry_dates, policy)
        etag = _header(outcome, "etag")
        last_modified = _header(outcome, "last-modified")
    wait = float(interval)
    fresh = freshness_seconds(outcome.headers, now)
    if fresh is not None:
        wait = max(wait, min(fresh, float(policy.max_interval)))
    return replace(
        checked,
        poll_interval=interval,
        etag=etag,
        last_modified=last_modified,
        error_count=0,  # the last error and its time stay on the row, as history
        last_success_at=now,
        next_check_at=now + timedelta(seconds=wait),
    )


def page_retry_at(
    attempts: int, now: datetime, interval: int, max_backoff: int, max_attempts: int
) -> datetime | None:
    """When a page that has now failed `attempts` times is tried again: `interval`, doubling
    with each failure, at most `max_backoff`; None once it has failed `max_attempts` times
    (given up)."""
    if attempts >= max_attempts:
        return None
    return now + timedelta(seconds=min(max_backoff, interval * 2 ** (attempts - 1)))
