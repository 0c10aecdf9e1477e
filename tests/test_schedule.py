"""The feed scheduling rules, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingest.feeds.schedule import (
    CheckOutcome,
    Policy,
    adaptive_interval,
    backoff_seconds,
    freshness_seconds,
    next_state,
    page_retry_at,
    parse_retry_after,
)
from ingest.types import FeedState

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
POLICY = Policy(min_interval=900, default_interval=3600, max_interval=86400, max_backoff=86400)
STATE = FeedState(url="https://x/feed", next_check_at=NOW, poll_interval=3600)


def after(outcome: CheckOutcome, state: FeedState = STATE, jitter: float = 1.0) -> FeedState:
    return next_state(state, outcome, NOW, POLICY, jitter)


def wait(state: FeedState) -> float:
    return (state.next_check_at - NOW).total_seconds()


def test_success_uses_the_interval_and_stores_validators() -> None:
    new = after(CheckOutcome(200, {"etag": '"v2"', "last-modified": "Sat, 28 Nov 2026"}))
    assert (new.etag, new.last_modified) == ('"v2"', "Sat, 28 Nov 2026")
    assert new.last_success_at == NOW and new.error_count == 0
    assert wait(new) == 3600


def test_not_modified_keeps_validators_and_interval() -> None:
    state = FeedState("https://x/feed", NOW, 7200, etag='"v1"', last_modified="x", error_count=2)
    new = after(CheckOutcome(304, {}), state)
    assert (new.etag, new.last_modified, new.poll_interval) == ('"v1"', "x", 7200)
    assert new.error_count == 0 and wait(new) == 7200


def test_cache_headers_push_the_next_check_later_within_bounds() -> None:
    assert wait(after(CheckOutcome(200, {"cache-control": "public, max-age=10800"}))) == 10800
    assert wait(after(CheckOutcome(200, {"cache-control": "max-age=60"}))) == 3600
    assert wait(after(CheckOutcome(200, {"cache-control": "max-age=99999999"}))) == 86400
    expires = (NOW + timedelta(hours=5)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert wait(after(CheckOutcome(200, {"expires": expires}))) == 5 * 3600


def test_freshness_parsing() -> None:
    assert freshness_seconds({"cache-control": "s-maxage=5, max-age=7"}, NOW) == 7
    assert freshness_seconds({"expires": "0"}, NOW) == 0
    assert freshness_seconds({}, NOW) is None


def test_retry_after_is_a_wait_not_an_error() -> None:
    for status in (429, 503):
        new = after(CheckOutcome(status, {"retry-after": "120"}))
        assert wait(new) == 120
        assert new.error_count == 0 and new.last_error is None
    date = (NOW + timedelta(minutes=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert wait(after(CheckOutcome(429, {"retry-after": date}))) == 1800
    assert wait(after(CheckOutcome(503, {"retry-after": "9999999"}))) == POLICY.max_backoff


def test_retry_after_parsing() -> None:
    assert parse_retry_after("  42 ", NOW) == 42
    assert parse_retry_after("garbage", NOW) is None
    assert parse_retry_after("Sat, 28 Nov 2026 11:00:00 GMT", NOW) == 0


def test_errors_back_off_exponentially_with_jitter_and_a_cap() -> None:
    state = STATE
    waits = []
    for _ in range(10):
        state = after(CheckOutcome(500, {}), state, jitter=1.0)
        waits.append(wait(state))
    assert waits[:4] == [900, 1800, 3600, 7200]
    assert max(waits) == POLICY.max_backoff
    assert state.error_count == 10 and state.last_error == "HTTP 500"
    assert not state.disabled  # never silently abandoned
    low = backoff_seconds(3, POLICY, 0.0)
    assert low == 1800 and backoff_seconds(3, POLICY, 0.999) < 3600


def test_429_without_retry_after_is_an_error() -> None:
    assert after(CheckOutcome(429, {})).error_count == 1


def test_first_success_resets_the_error_count_and_keeps_the_last_error() -> None:
    failed = after(CheckOutcome(error="network: connection refused"))
    assert failed.error_count == 1 and failed.last_error == "network: connection refused"
    recovered = after(CheckOutcome(200, {}), failed)
    assert recovered.error_count == 0 and wait(recovered) == 3600
    assert recovered.last_error == "network: connection refused"
    assert recovered.last_success_at == NOW


def test_unparseable_200_is_an_error() -> None:
    new = after(CheckOutcome(200, {}, error="not a feed: ..."))
    assert new.error_count == 1 and new.last_error == "not a feed: ..."


def test_gone_disables_with_the_reason() -> None:
    new = after(CheckOutcome(410, {}))
    assert new.disabled and "410 Gone" in (new.disabled_reason or "")


def test_permanent_redirect_moves_the_feed() -> None:
    assert after(CheckOutcome(200, {}, new_url="https://y/feed")).url == "https://y/feed"


def test_adaptive_polling_follows_the_publishing_rate() -> None:
    busy = [NOW - timedelta(minutes=30 * i) for i in range(20)]
    weekly = [NOW - timedelta(days=7 * i) for i in range(5)]
    frantic = [NOW - timedelta(minutes=i) for i in range(20)]
    assert adaptive_interval(busy, POLICY) == 1800
    assert adaptive_interval(weekly, POLICY) == POLICY.max_interval
    assert adaptive_interval(frantic, POLICY) == POLICY.min_interval
    assert adaptive_interval([NOW], POLICY) == POLICY.default_interval
    assert wait(after(CheckOutcome(200, {}, entry_dates=busy))) == 1800


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [(1, 3600), (2, 7200), (3, 14400), (4, 28800), (5, None)],
)
def test_a_failed_page_is_retried_later_and_later_then_given_up(
    attempts: int, expected: int | None
) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    retry = page_retry_at(attempts, now, interval=3600, max_backoff=86400, max_attempts=5)
    assert retry == (now + timedelta(seconds=expected) if expected is not None else None)


def test_a_page_retry_waits_at_most_the_longest_backoff() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    retry = page_retry_at(9, now, interval=3600, max_backoff=86400, max_attempts=20)
    assert retry == now + timedelta(seconds=86400)
