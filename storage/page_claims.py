"""Claims on pages being fetched, so that several workers sharing one PostgreSQL database
fetch each new page once. The primary key settles who fetches: a claim is taken by inserting
it, or by taking over one whose holder let it lapse (a dead worker's)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, bindparam, delete, or_, select

from storage.dedup import articles_for_urls
from storage.driver import IN_SLOTS, execute_in_slots, slots
from storage.models import PageClaim
from storage.upsert import insert_for

CLAIMS: Table = PageClaim.__table__  # type: ignore[assignment]
_RELEASE = delete(CLAIMS).where(
    CLAIMS.c.url.in_(slots("url", IN_SLOTS)), CLAIMS.c.owner == bindparam("owner")
)


def claim_pages(
    conn: Connection, urls: list[str], owner: str, now: datetime, lease: float
) -> set[str]:
    """Which of `urls` `owner` now holds (its own claims renewed; another's live claim
    stays theirs)."""
    if not urls:
        return set()
    expires = now + timedelta(seconds=lease)
    stmt = insert_for(conn, CLAIMS).values(
        [{"url": url, "owner": owner, "expires_at": expires} for url in dict.fromkeys(urls)]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["url"],
        set_={"owner": stmt.excluded.owner, "expires_at": stmt.excluded.expires_at},
        where=or_(CLAIMS.c.expires_at < now, CLAIMS.c.owner == stmt.excluded.owner),
    ).returning(CLAIMS.c.url)
    return set(conn.execute(stmt).scalars())


def claim_unstored_pages(
    conn: Connection, pages: dict[str, list[str]], owner: str, now: datetime, lease: float
) -> tuple[set[str], dict[str, int]]:
    """Claim the pages (canonical URL -> the spellings it goes by) that are not articles yet.

    A worker that stored one of them after the caller last looked has let go of its claim in
    the transaction that stored it, so our claim did not have to wait: look again at the pages
    now held. Returns the pages `owner` is to fetch, and the articles found on that second
    look (whose claims are let go again)."""
    held = claim_pages(conn, sorted(pages), owner, now, lease)  # one order: no deadlocks
    known = articles_for_urls(conn, [url for key in held for url in pages[key]])
    stored = {key for key in held if any(url in known for url in pages[key])}
    release_pages(conn, sorted(stored), owner)
    return held - stored, known


def release_pages(conn: Connection, urls: list[str], owner: str) -> None:
    """Let go of the pages a worker has finished with."""
    execute_in_slots(conn, _RELEASE, "url", urls, {"owner": owner})


def page_claimed(conn: Connection, url: str, now: datetime) -> bool:
    """Whether another worker is still fetching `url`."""
    query = select(CLAIMS.c.owner).where(CLAIMS.c.url == url, CLAIMS.c.expires_at >= now)
    return conn.execute(query).first() is not None
