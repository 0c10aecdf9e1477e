"""Writes and reads of the `feeds` table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, case, delete, exists, func, or_, select, update

from ingest.owners import gone
from ingest.types import FeedCheck, FeedState, Subscription, utcnow
from storage.entries import EntryRecord, upsert_entries
from storage.fetches import log_fetches
from storage.models import Feed
from storage.upsert import insert_for, upsert

FEEDS: Table = Feed.__table__  # type: ignore[assignment]


def add_feeds(
    conn: Connection, feeds: Iterable[str | Subscription], poll_interval: int = 3600
) -> int:
    """Subscribe to `feeds`; a feed already subscribed keeps its state (and its own title),
    but takes the category given. Returns rows sent."""
    now = utcnow()
    subscriptions = [Subscription(f) if isinstance(f, str) else f for f in feeds]
    rows = [
        {
            "url": s.url,
            "title": s.title,
            "category": s.category,
            "poll_interval": poll_interval,
            "next_check_at": now,
            "error_count": 0,
            "disabled": False,
            "created_at": now,
        }
        for s in subscriptions
    ]
    excluded = insert_for(conn, FEEDS).excluded
    update = {
        "title": func.coalesce(FEEDS.c.title, excluded.title),
        "category": func.coalesce(excluded.category, FEEDS.c.category),
    }
    return upsert(conn, FEEDS, rows, key=["url"], update=update)


def set_enabled(conn: Connection, feed_id: int, enabled: bool, reason: str | None) -> None:
    """Disable a feed (it is no longer checked), or enable it again: checked at once, its
    error count cleared."""
    if enabled:
        values: dict[str, object] = {
            "disabled": False,
            "disabled_reason": None,
            "error_count": 0,
            "next_check_at": utcnow(),
        }
    else:
        values = {"disabled": True, "disabled_reason": reason}
    conn.execute(update(Feed).where(Feed.id == feed_id).values(**values))


def remove_feed(conn: Connection, url: str) -> bool:
    result = conn.execute(delete(Feed).where(Feed.url == url))
    return bool(result.rowcount)


def list_feeds(conn: Connection) -> Sequence[Feed]:
    rows = conn.execute(select(Feed.__table__).order_by(Feed.url)).all()
    return [Feed(**row._mapping) for row in rows]


STATE_COLUMNS = (
    "etag",
    "last_modified",
    "poll_interval",
    "next_check_at",
    "last_checked_at",
    "last_success_at",
    "error_count",
    "last_error",
    "last_error_at",
    "disabled",
    "disabled_reason",
)


def load_feed_state(conn: Connection, feed_id: int) -> FeedState:
    row = conn.execute(
        select(FEEDS.c.url, *(FEEDS.c[name] for name in STATE_COLUMNS)).where(FEEDS.c.id == feed_id)
    ).one()
    return FeedState(**row._mapping)


def save_feed_check(conn: Connection, check: FeedCheck) -> None:
    """Write what one check found, in the caller's transaction: the feed's new state, its
    entries (new ones without an article yet) and the fetch log row.

    A permanent redirect moves the feed to its new URL, unless another subscription already
    has that URL (then the feed keeps its own and the redirect stays in the log).
    """
    state = check.state
    values: dict[str, object] = {name: getattr(state, name) for name in STATE_COLUMNS}
    other = FEEDS.alias("other")
    taken = exists().where(other.c.url == state.url, other.c.id != check.feed_id)
    values["url"] = case((taken, FEEDS.c.url), else_=state.url)
    if check.title:
        values["title"] = check.title
    if check.site_url:
        values["site_url"] = check.site_url
    conn.execute(update(FEEDS).where(FEEDS.c.id == check.feed_id).values(values))
    upsert_entries(
        conn,
        [
            EntryRecord(
                check.feed_id,
                e.guid,
                e.link,
                e.title,
                e.published,
                author=e.author,
                content=e.content or e.summary,
            )
            for e in check.entries
        ],
    )
    log_fetches(conn, [check.fetch])


def claim_due_feeds(
    conn: Connection,
    owner: str,
    now: datetime,
    lease_seconds: int,
    limit: int,
    due_by: datetime | None = None,
) -> list[int]:
    """Lease up to `limit` feeds that are due (by `due_by`, default now) and not leased
    (or whose lease expired, or whose holder ran on this machine and is gone).

    On PostgreSQL the due rows are locked with FOR UPDATE SKIP LOCKED, so workers claiming
    at the same moment take different feeds; SQLite has a single writer anyway.
    """
    holders = (
        select(FEEDS.c.lease_owner)
        .where(FEEDS.c.next_check_at <= (due_by or now), FEEDS.c.lease_expires_at >= now)
        .distinct()
    )  # the due feeds' live leases (by the next_check_at index), not every feed's
    dead = sorted(holder for holder in conn.execute(holders).scalars() if gone(holder))
    due = (
        select(FEEDS.c.id)
        .where(
            FEEDS.c.disabled.is_(False),
            FEEDS.c.next_check_at <= (due_by or now),
            or_(
                FEEDS.c.lease_expires_at.is_(None),
                FEEDS.c.lease_expires_at < now,
                FEEDS.c.lease_owner.in_(dead),
            ),
        )
        .order_by(FEEDS.c.next_check_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = conn.execute(
        update(FEEDS)
        .where(FEEDS.c.id.in_(due.scalar_subquery()))
        .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds))
        .returning(FEEDS.c.id)
    )
    return sorted(int(feed_id) for feed_id in claimed.scalars())


def release_leases(conn: Connection, owner: str, feed_ids: Iterable[int] | None = None) -> None:
    query = update(FEEDS).where(FEEDS.c.lease_owner == owner)
    if feed_ids is not None:
        query = query.where(FEEDS.c.id.in_(list(feed_ids)))
    conn.execute(query.values(lease_owner=None, lease_expires_at=None))


def feed_ids(conn: Connection, urls: Iterable[str] | None = None) -> list[int]:
    """Ids of the given feeds (all enabled feeds when `urls` is None)."""
    query = select(FEEDS.c.id).order_by(FEEDS.c.id)
    if urls is None:
        query = query.where(FEEDS.c.disabled.is_(False))
    else:
        query = query.where(FEEDS.c.url.in_(list(urls)))
    return [int(i) for i in conn.execute(query).scalars()]
