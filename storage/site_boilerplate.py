"""Counts behind per-host boilerplate: which canonical articles of a host contain a block."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, update

from ingest.text import int64_key
from storage.driver import any_of, execute_any, insert_rows
from storage.models import Article, HostBlock, RemovedBlock

_DELETE_BLOCKS = delete(HostBlock).where(HostBlock.article_id == bindparam("article_id"))
HOST_BLOCKS: Table = HostBlock.__table__  # type: ignore[assignment]


@lru_cache(maxsize=4)
def _statements(dialect: str) -> tuple[Any, Any]:
    frequent = (
        select(HostBlock.block_key, func.count())
        .where(any_of(HostBlock.block_key, "keys", dialect))
        .group_by(HostBlock.block_key)
        .having(func.count() >= bindparam("minimum"))
    )
    with_blocks = (
        select(HostBlock.article_id).where(any_of(HostBlock.block_key, "keys", dialect)).distinct()
    )
    return frequent, with_blocks


def host_block_key(host: str, key: str) -> int:
    """One signed 64-bit key for a block of a host."""
    return int64_key(f"{host}\0{key}")


def record_blocks(
    conn: Connection,
    articles: Sequence[tuple[str, int, Iterable[str]]],
    replace: Sequence[int] = (),
) -> None:
    """The blocks of articles (host, id, block keys), of any hosts; the articles in
    `replace` had blocks recorded before (updated pages), which go first."""
    if replace:
        conn.execute(_DELETE_BLOCKS, [{"article_id": article_id} for article_id in replace])
    rows = [
        (host_block_key(host, key), article_id)
        for host, article_id, keys in articles
        for key in keys
    ]
    insert_rows(conn, HOST_BLOCKS, ("block_key", "article_id"), rows)


def frequent_blocks(
    conn: Connection, keys: Mapping[str, Iterable[str]], minimum: int
) -> dict[str, dict[str, int]]:
    """Host -> which of its `keys` appear in at least `minimum` different articles of the
    host, and in how many (hosts with none left out), for all the hosts in one statement."""
    keyed = {host_block_key(host, key): (host, key) for host, its in keys.items() for key in its}
    frequent, _ = _statements(conn.dialect.name)
    rows = execute_any(conn, frequent, "keys", sorted(keyed), {"minimum": minimum})
    found: dict[str, dict[str, int]] = {}
    for block_key, articles in rows:
        host, key = keyed[block_key]
        found.setdefault(host, {})[key] = int(articles)
    return found


def articles_with_blocks(conn: Connection, host: str, keys: Iterable[str]) -> list[int]:
    _, with_blocks = _statements(conn.dialect.name)
    rows = execute_any(conn, with_blocks, "keys", sorted({host_block_key(host, k) for k in keys}))
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
