"""Everything about an extracted article that needs no store, computed before the intake
transaction (in an extraction process) so that the store's write lock is held for the SQL
alone: its record, hashes, fingerprint, band keys and block keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ingest.dedup.decide import MergeScope, merge_scope
from ingest.dedup.fingerprint import (
    Fingerprint,
    band_keys,
    choose_canonical_url,
    content_hash,
    fingerprint,
)
from ingest.dedup.site_boilerplate import block_keys, normalised_blocks
from ingest.extract.article import Article
from ingest.text import int64_key
from ingest.types import ArticleRecord
from ingest.urls import host_of, normalise_url


def urls_of(page_url: str, seen: Sequence[str], canonical: str) -> list[str]:
    """Every spelling to remember: as seen, normalised, and the canonical URL."""
    urls = {canonical, page_url, normalise_url(page_url)}
    for url in seen:
        urls.update((url, normalise_url(url)))
    return sorted(urls)


@dataclass(frozen=True)
class Prepared:
    """An article ready for the intake transaction."""

    record: ArticleRecord
    fingerprint: Fingerprint
    band_keys: list[int]
    block_keys: dict[str, str]
    merge: MergeScope = MergeScope.ANY_HOST
    collision_keys: tuple[int, ...] = ()
    """What its intake can collide on with another's (see `collision_keys`)."""


def collision_keys(record: ArticleRecord, bands: Iterable[int]) -> tuple[int, ...]:
    """The 64-bit keys two intake transactions must not hold at once while they decide
    what an article is: its band keys (a near copy always shares one with its original:
    that is how it is found), its content hash (the same text) and its URLs (the same
    page). Transactions with none in common cannot affect each other's decisions. (Its
    host's boilerplate counts are another matter, settled at the end: `host_key`.)"""
    names = [f"url\0{url}" for url in record.urls]
    if record.content_hash is not None:
        names.append(f"hash\0{record.content_hash}")
    return tuple(sorted({*bands, *map(int64_key, names)}))


def host_key(host: str) -> int:
    """The key an intake transaction holds while it counts a host's blocks and strips the
    host's boilerplate: taken after its articles are in, so that two transactions with
    articles of one host wait for each other for that last step alone; and each counts
    the other's blocks, which it could not see while both were uncommitted."""
    return int64_key(f"host\0{host}")


def prepare(
    page_url: str,
    article: Article,
    seen_at: datetime,
    seen_urls: Sequence[str] = (),
    raw_html: str | bytes | None = None,
) -> Prepared:
    canonical = choose_canonical_url(page_url, article.canonical_url)
    blocks = normalised_blocks(article.text)
    words = " ".join(normalised for _, normalised in blocks).split()  # = content_words(text)
    fp = fingerprint(words)
    host = host_of(canonical)
    merge = merge_scope(len(words), article.wall)
    # The content hash is the key same texts meet under: none for a text that never
    # merges, and for a short one, a key of its own host's.
    digest = None
    if merge is MergeScope.ANY_HOST:
        digest = content_hash(words)
    elif merge is MergeScope.SAME_HOST:
        digest = content_hash([f"\x00{host}", *words])
    record = ArticleRecord(
        canonical_url=canonical,
        host=host,
        seen_at=seen_at,
        text=article.text,
        html=article.html,
        urls=tuple(urls_of(page_url, seen_urls, canonical)),
        title=article.title,
        author=article.author,
        published_at=article.published,
        language=article.language,
        site_name=article.site_name,
        lead_image=article.lead_image,
        word_count=len(words),
        content_hash=digest,
        fingerprint=fp.to_bytes(),
        raw_html=raw_html,
        removed=article.removed,
        text_source=article.text_source,
        feed_fields=article.feed_fields,
        wall=article.wall,
    )
    keys = band_keys(fp) if merge is not MergeScope.NEVER else []
    return Prepared(record, fp, keys, block_keys(blocks), merge, collision_keys(record, keys))
