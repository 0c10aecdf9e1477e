"""Claims on pages being fetched, so that several workers sharing one PostgreSQL database
fetch each new page once. The primary key settles who fetches: a claim is taken by inserting
it, or by taking over an abandoned one: its lease lapsed, or its holder ran on this machine
and is gone (a killed run's claims are taken over by the rerun at once)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, or_, select, update

from ingest.owners import gone
from storage.dedup import articles_for_urls
from storage.driver import any_of, execute_any
from storage.models import PageClaim
from storage.upsert import insert_for

CLAIMS: Table = PageClaim.__table__  # type: ignore[assignment]


@lru_cache(maxsize=4)
def _release(dialect: str) -> Any:
    return delete(CLAIMS).where(
        any_of(CLAIMS.c.url, "urls", dialect), CLAIMS.c.owner == bindparam("owner")
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
    held = set(conn.execute(stmt).scalars())
    missed = sorted(set(urls) - held)
    if missed:  # held by others: take over those whose holder is gone from this machine
        holders = select(CLAIMS.c.owner).where(CLAIMS.c.url.in_(missed)).distinct()
        dead = sorted(holder for holder in conn.execute(holders).scalars() if gone(holder))
        if dead:
            taken = (
                update(CLAIMS)
                .where(CLAIMS.c.url.in_(missed), CLAIMS.c.owner.in_(dead))
                .values(owner=owner, expires_at=expires)
                .returning(CLAIMS.c.url)
            )
            held.update(conn.execute(taken).scalars())
    return held


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
    execute_any(conn, _release(conn.dialect.name), "urls", urls, {"owner": owner})


class ClaimState(StrEnum):
    HELD = "held"
    """Another worker is fetching the page."""
    RELEASED = "released"
    """Nobody holds it: its holder stored it, or failed it and said so."""
    ABANDONED = "abandoned"
    """Its holder let the lease lapse or is gone: nobody will store it unless taken over."""


def claim_state(conn: Connection, url: str, now: datetime) -> ClaimState:
    row = conn.execute(select(CLAIMS.c.owner, CLAIMS.c.expires_at).where(CLAIMS.c.url == url))
    claim = row.first()
    if claim is None:
        return ClaimState.RELEASED
    if claim.expires_at < now or gone(claim.owner):
        return ClaimState.ABANDONED
    return ClaimState.HELD
