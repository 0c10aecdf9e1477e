"""The feed's own word on an entry, as a source for its article. Pure.

Page metadata wins where the page has it; the entry's title, author and published time fill
what it lacks, and stand for the story when the page is a wall (a wall's title and date
are the wall's). The entry's content (many feeds ship the whole article) becomes the text
when the page is a wall, failed, or yields much less text than the feed gives: sanitised
and cleaned as a page's blocks are. The article says which fields came from the feed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from selectolax.lexbor import LexborHTMLParser

from ingest.extract.article import Article, article_from_blocks
from ingest.extract.content import fragment_blocks
from ingest.types import EntryData, TextSource

FEED_TEXT_SHARE = 0.5  # the page's text below this share of the feed's: the feed's wins
FIELDS = ("title", "author", "published", "text")
V = TypeVar("V", str, datetime)


def feed_article(entry: EntryData) -> Article:
    """The article the entry alone makes (its text empty when it has no content)."""
    tree = LexborHTMLParser(f"<html><body>{entry.content or ''}</body></html>")
    blocks, pruned = fragment_blocks(tree)
    article = article_from_blocks(blocks, entry.title, pruned, author=entry.author)
    return replace(
        article,
        author=entry.author,
        published=entry.published,
        text_source=TextSource.FEED,
        feed_fields=tuple(f for f in FIELDS if f == "text" or getattr(entry, f) is not None),
    )


def with_feed(page: Article | None, entry: EntryData) -> Article:
    """The article from the page (None: the page failed) and its entry together."""
    if page is None:
        return feed_article(entry)
    filled: list[str] = []
    article = page
    if entry.content:
        feed = feed_article(entry)
        if feed.word_count and (
            page.wall is not None or page.word_count < FEED_TEXT_SHARE * feed.word_count
        ):
            article = replace(
                page,
                text=feed.text,
                blocks=feed.blocks,
                removed=feed.removed,
                text_source=TextSource.FEED,
            )
            filled.append("text")
    title = _pick(page.title, entry.title, page.wall, "title", filled)
    author = _pick(page.author, entry.author, page.wall, "author", filled)
    published = _pick(page.published, entry.published, page.wall, "published", filled)
    return replace(
        article,
        title=title,
        author=author,
        published=published,
        feed_fields=tuple(f for f in FIELDS if f in filled),
    )


def _pick(
    on_page: V | None, in_feed: V | None, wall: str | None, name: str, filled: list[str]
) -> V | None:
    """The page's value, unless it has none or is a wall and the feed has one."""
    if in_feed is not None and (on_page is None or wall is not None):
        filled.append(name)
        return in_feed
    return on_page
