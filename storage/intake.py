"""The SQL half of taking articles in: one intake transaction and every statement it runs.

What to do with an article (same URL, same text, near copy, new) is decided outside the
store (`ingest.dedup.decide`); `IntakeTransaction` offers the lookups that decision needs
and the writes that carry it out, all in one transaction that `Store.intake()` opens.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ingest.errors import StoreConflict, StoreError, describe
from ingest.types import ArticleRecord, Candidate, Claim, FetchRecord
from storage import articles, dedup, entries, fetches, page_claims, site_boilerplate
from storage.articles import StoredArticle
from storage.dedup import Known
from storage.pending import PendingRows


class IntakeTransaction:
    """One intake transaction; every call runs in it. Database errors come out as
    `StoreError` (a unique constraint met as `StoreConflict`) from `savepoint()`, and from
    the transaction as a whole when it ends.

    An article's URLs, band keys and removed blocks wait in `pending` (see
    `storage.pending`): every call but the writes that add to it sends them first, and so
    must the transaction's owner before it commits (`Store.intake` does)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pending = PendingRows()

    def flush(self) -> None:
        self.pending.flush(self.conn)

    def lock_keys(self, keys: Iterable[int]) -> None:
        """Wait for the other intake transactions holding any of these keys (see
        `storage.dedup.lock_keys`)."""
        self.flush()
        dedup.lock_keys(self.conn, keys)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """The writes inside are undone alone when they fail (the rows that waited before
        go in first, those added inside before it ends)."""
        try:
            self.flush()
            with self.conn.begin_nested():
                try:
                    yield
                    self.flush()
                finally:
                    self.pending.clear()  # sent, or undone with the savepoint
        except IntegrityError as exc:
            raise StoreConflict(describe(exc)) from exc
        except SQLAlchemyError as exc:
            raise StoreError(describe(exc)) from exc

    # -- lookups ------------------------------------------------------------------------

    def known(self, urls: Iterable[str], hashes: Iterable[str], keys: Iterable[int]) -> Known:
        """What the store holds under these, for a whole batch at once (see `Known`)."""
        self.flush()
        return dedup.known(self.conn, urls, hashes, keys)

    def article_for_urls(self, urls: Iterable[str]) -> tuple[int, str] | None:
        self.flush()
        return dedup.article_for_urls(self.conn, urls)

    def article_with_hash(self, digest: str) -> int | None:
        self.flush()
        return dedup.article_with_hash(self.conn, digest)

    def near_candidates(self, keys: Sequence[int]) -> list[Candidate]:
        self.flush()
        return dedup.near_candidates(self.conn, keys)

    def frequent_blocks(
        self, keys: Mapping[str, Iterable[str]], minimum: int
    ) -> dict[str, dict[str, int]]:
        self.flush()
        return site_boilerplate.frequent_blocks(self.conn, keys, minimum)

    def articles_with_blocks(self, host: str, keys: Iterable[str]) -> list[int]:
        self.flush()
        return site_boilerplate.articles_with_blocks(self.conn, host, keys)

    def article_content(self, article_id: int) -> tuple[str, str]:
        self.flush()
        return site_boilerplate.article_content(self.conn, article_id)

    # -- writes that wait in `pending` ----------------------------------------------------

    def store_article(
        self, record: ArticleRecord, duplicate_of: int | None, unseen: bool
    ) -> StoredArticle:
        return articles.store_article(
            self.conn, record, duplicate_of, unseen=unseen, pending=self.pending
        )

    def add_article_urls(self, article_id: int, urls: list[str], seen_at: datetime) -> None:
        self.pending.add_urls(dict.fromkeys(urls, article_id), seen_at)

    def replace_bands(self, article_id: int, keys: Sequence[int], replace: bool) -> None:
        dedup.replace_bands(self.conn, article_id, keys, replace=replace, pending=self.pending)

    # -- writes -------------------------------------------------------------------------

    def record_blocks(
        self, blocks: Sequence[tuple[str, int, Iterable[str]]], replace: Sequence[int]
    ) -> None:
        self.flush()
        site_boilerplate.record_blocks(self.conn, blocks, replace=replace)

    def replace_content(
        self, article_id: int, text: str, html: str, reason: str, removed: list[str]
    ) -> None:
        self.flush()
        site_boilerplate.replace_content(self.conn, article_id, text, html, reason, removed)

    def log_fetches(self, records: list[FetchRecord]) -> None:
        self.flush()
        fetches.log_fetches(self.conn, records)

    def link_entries(self, links: Mapping[int, int]) -> None:
        self.flush()
        entries.link_entries(self.conn, links)

    def release_claims(self, claims: Iterable[Claim]) -> None:
        """Let go of pages stored in this transaction, per owner."""
        self.flush()
        by_owner: dict[str, list[str]] = {}
        for claim in claims:
            by_owner.setdefault(claim.owner, []).append(claim.page)
        for owner, pages in by_owner.items():
            page_claims.release_pages(self.conn, pages, owner)
