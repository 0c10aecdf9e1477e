"""Counts behind per-host boilerplate: which canonical articles of a host contain a block."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, update

from ingest.text import int64_key
from storage.driver import IN_SLOTS, execute_in_slots, insert_rows, slots
from storage.models import Article, HostBlock, RemovedBlock

_DELETE_BLOCKS = delete(HostBlock).where(HostBlock.article_id == bindparam("article_id"))
HOST_BLOCKS: Table = HostBlock.__table__  # type: ignore[assignment]
_FREQUENT = (
    select(HostBlock.block_key)
    .where(HostBlock.block_key.in_(slots("key", IN_SLOTS)))
    .group_by(HostBlock.block_key)
    .having(func.count() >= bindparam("minimum"))
)
_WITH_BLOCKS = (
    select(HostBlock.article_id).where(HostBlock.block_key.in_(slots("key", IN_SLOTS))).distinct()
)


def host_block_key(host: str, key: str) -> int:
    """One signed 64-bit key for a block of a host."""
    return int64_key(f"{host}\0{key}")


def _keyed(host: str, keys: Iterable[str]) -> dict[int, str]:
    return {host_block_key(host, key): key for key in keys}


def record_blocks(
    conn: Connection,
    host: str,
    articles: Sequence[tuple[int, Iterable[str]]],
    replace: Sequence[int] = (),
) -> None:
    """The blocks of the host's articles (id, block keys); the articles in `replace` had
    blocks recorded before (updated pages), which go first."""
    if replace:
        conn.execute(_DELETE_BLOCKS, [{"article_id": article_id} for article_id in replace])
    rows = [
        (host_block_key(host, key), article_id) for article_id, keys in articles for key in keys
    ]
    insert_rows(conn, HOST_BLOCKS, ("block_key", "article_id"), rows)


def frequent_blocks(conn: Connection, host: str, keys: Iterable[str], minimum: int) -> set[str]:
    """Which of `keys` appear in at least `minimum` different articles of the host."""
    keyed = _keyed(host, keys)
    rows = execute_in_slots(conn, _FREQUENT, "key", sorted(keyed), {"minimum": minimum})
    return {keyed[row[0]] for row in rows}


def articles_with_blocks(conn: Connection, host: str, keys: Iterable[str]) -> list[int]:
    rows = execute_in_slots(conn, _WITH_BLOCKS, "key", sorted(_keyed(host, keys)))
    return sorted({int(row[0]) for row in rows})


def article_content(conn: Connection, article_id: int) -> tuple[str, str]:
    row = conn.execute(select(Article.text, Article.html).where(Article.id == article_id)).one()
    return row.text, row.html


def replace_content(
    conn: Connection, article_id: int, text: str, html: str, reason: str, removed: list[str]
) -> None:
    """New text and HTML for an article, and the blocks taken out appended to its record."""
    conn.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(text=text, html=html, word_count=len(text.split()))
    )
    start = conn.execute(
        select(func.coalesce(func.max(RemovedBlock.position), -1)).where(
            RemovedBlock.article_id == article_id
        )
    ).scalar_one()
    conn.execute(
        insert(RemovedBlock),
        [
            {"article_id": article_id, "position": start + 1 + i, "reason": reason, "text": t}
            for i, t in enumerate(removed)
        ],
    )
