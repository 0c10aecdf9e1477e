"""The store's tables as SQLAlchemy 2 typed models.

Full-text search is not modelled here: it is engine-specific (an FTS5 table on SQLite, a
generated `tsvector` column on PostgreSQL) and lives in the migrations; see `storage.search`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from ingest.types import utcnow

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every engine.

    SQLite keeps no time zone, so values are normalised to UTC before they are written and
    tagged as UTC when they are read back.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store only takes aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    site_url: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    poll_interval: Mapped[int] = mapped_column(Integer, default=3600)
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    """The OPML folder the feed was imported from."""
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    language: Mapped[str | None] = mapped_column(String(35))
    site_name: Mapped[str | None] = mapped_column(Text)
    lead_image: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    """Unique: the same text under another URL is the same article (races settle here)."""
    fingerprint: Mapped[bytes | None] = mapped_column(LargeBinary)
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    raw_html: Mapped[bytes | None] = mapped_column(LargeBinary)
    text_source: Mapped[str] = mapped_column(String(8), default="page", server_default="page")
    """Where the text came from: "page", or "feed" (the entry's own content)."""
    feed_fields: Mapped[str | None] = mapped_column(Text)
    """The fields the feed entry gave, space-separated ("title author published text")."""
    wall: Mapped[str | None] = mapped_column(String(40))
    """Why the page is not an article ("paywall", "consent", "javascript", "empty")."""


class ArticleUrl(Base):
    """Every URL an article was seen under (its canonical URL included)."""

    __tablename__ = "article_urls"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RemovedBlock(Base):
    """A block that cleaning dropped from an article, and why."""

    __tablename__ = "removed_blocks"
    __table_args__ = (UniqueConstraint("article_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40), index=True)
    text: Mapped[str] = mapped_column(Text)


class NearDupBand(Base):
    """One LSH band of an article's MinHash fingerprint: equal keys make candidates.
    Without a rowid on SQLite: the primary key is the table (two copies of a row's 12
    bytes, not three).

    An index of `articles`, kept by the code that writes and deletes articles (intake,
    pruning). On PostgreSQL without a foreign key: the server would check and lock the
    article's row for each of its 40 bands (without, 3k-article pipeline runs went 2-15%
    faster). It is read joined to `articles`, so a band left by an article deleted by
    hand finds nothing, and PostgreSQL never gives an id again. SQLite keeps the key and
    its cascade (migration 0010): there an id is given again once the last article is
    deleted, and a band left behind would belong to the new article."""

    __tablename__ = "near_dup_bands"
    __table_args__ = {"sqlite_with_rowid": False}

    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


class HostBlock(Base):
    """A block that a canonical article of a host contains: per-host boilerplate is a block
    that many articles of one host share. Host and block are one 64-bit key
    (`storage.site_boilerplate.host_block_key`), and on SQLite the table has no rowid (the
    primary key is the table): 12 bytes of data a row, where the host's name and a hex key
    were stored three times over (table, primary key, article index)."""

    __tablename__ = "host_block_keys"
    __table_args__ = {"sqlite_with_rowid": False}

    block_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PageClaim(Base):
    """A page one worker is fetching: the others wait for its article instead of fetching
    it too. The claim lapses at `expires_at` if that worker dies."""

    __tablename__ = "page_claims"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Entry(Base):
    __tablename__ = "entries"
    __table_args__ = (UniqueConstraint("feed_id", "guid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    author: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    """The entry's full content, else its summary (HTML), as the feed gave it."""
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Times its page failed (fetch, extraction or store); reset by none: it is history."""
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When its page may be tried again after a failure."""
    last_error: Mapped[str | None] = mapped_column(Text)
    pruned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When retention removed its article: the entry is done, its page not fetched again."""


class Fetch(Base):
    """One HTTP fetch, successful or not."""

    __tablename__ = "fetches"
    __table_args__ = (Index("ix_fetches_feed_id_fetched_at", "feed_id", "fetched_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    error_kind: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
