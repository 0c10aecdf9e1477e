"""The values the stages hand each other, and the clock they share.

Everything here is a frozen value or a closed vocabulary (`StrEnum`), importing no stage:
the fetcher, the feed reader, the extractor, dedup, the worker and `storage` all speak in
these terms. Times are aware UTC datetimes throughout.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import zstandard

from ingest.errors import ErrorKind


def utcnow() -> datetime:
    return datetime.now(UTC)


# -- extraction and cleaning ------------------------------------------------------------


class BlockKind(StrEnum):
    """Kinds of block. Headings and list items stand on their own lines in the text."""

    PARAGRAPH = "p"
    HEADING = "h"
    LIST_ITEM = "li"
    QUOTE = "quote"
    PREFORMATTED = "pre"
    TABLE = "table"


class RemovalReason(StrEnum):
    """Why cleaning dropped a block (the `reason` of a `removed_blocks` row)."""

    DUPLICATE = "duplicate"
    RELATED = "related-links"
    BOILERPLATE = "boilerplate"
    SITE_BOILERPLATE = "site-boilerplate"
    COMMENTS = "comments"
    BYLINE = "byline"
    AUTHOR_BIO = "author-bio"


@dataclass(frozen=True, init=False)
class Block:
    """The unit that extraction produces and cleaning works on: a block of the text.

    Its markup (`html`) may be given as a function that serialises it from the page, called
    on first use: a caller that wants only the text (or a block that cleaning drops) never
    pays for it. Blocks compare by their text, kind and link density."""

    text: str
    kind: str = BlockKind.PARAGRAPH
    link_density: float = 0.0
    """Share of the block's characters that are link text."""

    def __init__(
        self,
        text: str,
        kind: str = BlockKind.PARAGRAPH,
        html: str | Callable[[], str] = "",
        link_density: float = 0.0,
    ) -> None:
        # Extraction makes one per paragraph: the generated frozen __init__ (a call to
        # object.__setattr__ per field) takes 1.4 us, writing the fields directly 0.5 us.
        fields = self.__dict__
        fields["text"], fields["kind"], fields["_html"] = text, kind, html
        fields["link_density"] = link_density

    @property
    def html(self) -> str:
        """The block's own markup (unsanitised), when it came from HTML."""
        html: str | Callable[[], str] = self.__dict__["_html"]
        if not isinstance(html, str):
            html = self.__dict__["_html"] = html()
        return html

    @property
    def markup(self) -> str | Callable[[], str]:
        """The markup as given, serialised or not: for a copy of the block."""
        markup: str | Callable[[], str] = self.__dict__["_html"]
        return markup


@dataclass(frozen=True)
class Removed:
    """A block that cleaning dropped, and why: in an article and in the store alike."""

    reason: str
    text: str


# -- fetching and feeds -----------------------------------------------------------------


@dataclass(frozen=True)
class FetchRecord:
    """One HTTP request, as the fetch log keeps it."""

    url: str
    status: int | None
    bytes: int
    duration_ms: float
    feed_id: int | None = None
    error_kind: ErrorKind | None = None
    error: str | None = None
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class Subscription:
    """A feed to subscribe to, with what an OPML outline says of it."""

    url: str
    title: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class FeedState:
    """A feed's row as scheduling sees it."""

    url: str
    next_check_at: datetime
    poll_interval: int
    etag: str | None = None
    last_modified: str | None = None
    error_count: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_success_at: datetime | None = None
    last_checked_at: datetime | None = None
    disabled: bool = False
    disabled_reason: str | None = None


@dataclass(frozen=True)
class FeedEntry:
    guid: str
    link: str | None
    title: str | None
    published: datetime | None
    author: str | None = None
    summary: str | None = None
    content: str | None = None


@dataclass(frozen=True)
class FeedCheck:
    """What one check of one feed found, and the feed's state after it."""

    feed_id: int
    state: FeedState
    entries: tuple[FeedEntry, ...]
    fetch: FetchRecord
    title: str | None = None
    site_url: str | None = None
    skipped: tuple[str, ...] = ()


class TextSource(StrEnum):
    """Where an article's text came from."""

    PAGE = "page"
    FEED = "feed"


@dataclass(frozen=True)
class EntryData:
    """What a feed says of an entry's page: the article's second source."""

    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    content: str | None = None
    """The entry's full content, else its summary (HTML)."""


@dataclass(frozen=True)
class PendingEntry:
    """An entry whose page is not an article yet (`feed_id` None: a page given directly)."""

    id: int
    feed_id: int | None
    link: str
    feed: EntryData | None = None
    attempts: int = 0
    """Times its page failed so far."""


@dataclass(frozen=True)
class Claim:
    """A page a worker has claimed to fetch (several workers on PostgreSQL)."""

    page: str  # the page's canonical URL
    owner: str


# -- dedup and the store ----------------------------------------------------------------


class Outcome(StrEnum):
    """What taking an article in did."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SAME_TEXT = "same-text"
    NEAR_DUPLICATE = "near-duplicate"


@dataclass(frozen=True)
class Candidate:
    """A stored article sharing a band key with one being taken in."""

    id: int
    duplicate_of: int | None
    fingerprint: bytes | None


@dataclass(frozen=True)
class Intake:
    article_id: int
    outcome: Outcome
    duplicate_of: int | None = None


@dataclass(frozen=True)
class ArticleRecord:
    """An article ready for the store."""

    canonical_url: str
    host: str
    seen_at: datetime
    text: str
    html: str = ""
    urls: tuple[str, ...] = ()
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    lead_image: str | None = None
    word_count: int = 0
    content_hash: str | None = None
    fingerprint: bytes | None = None
    raw_html: InitVar[str | bytes | None] = None
    """The page's HTML, as text or as UTF-8 bytes."""
    removed: tuple[Removed, ...] = field(default=())
    text_source: str = TextSource.PAGE
    feed_fields: tuple[str, ...] = ()
    """The fields the feed entry gave (the page's where it had them)."""
    wall: str | None = None
    """Why the page is not an article (a paywall, a consent dialog ...), if it is not."""
    raw_html_blob: bytes | None = field(default=None, repr=False, compare=False)
    """The raw HTML compressed when the record is made (not in the write transaction), and
    carried over by `dataclasses.replace`. Only the compressed form is kept: a record
    travels between processes on its way to the store."""

    def __post_init__(self, raw_html: str | bytes | None) -> None:
        if self.raw_html_blob is None and raw_html is not None:
            object.__setattr__(self, "raw_html_blob", compress_html(raw_html))


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_COMPRESSOR = zstandard.ZstdCompressor(level=3)
_DECOMPRESSOR = zstandard.ZstdDecompressor()


def compress_html(html: str | bytes) -> bytes:
    """Zstandard, level 3: a typical news page (170 KB) in 0.5 ms to a fifth of its size;
    zlib needed 4 ms for the same size, more than extracting the article. `html` as text
    or as UTF-8 bytes."""
    return _COMPRESSOR.compress(html.encode("utf-8") if isinstance(html, str) else html)


def decompress_html(blob: bytes) -> str:
    """Zstandard frames, or zlib streams from stores written before it."""
    if blob.startswith(_ZSTD_MAGIC):
        return _DECOMPRESSOR.decompress(blob).decode("utf-8")
    return zlib.decompress(blob).decode("utf-8")
